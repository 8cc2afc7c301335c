"""Notifications (propfirm.notify): a rule sends every `propfirm` event of the bus to a queue; a function
tells the trader by email (SES) and the operators in Telegram and Discord, as `propfirm.notify.plan` says.

The Telegram and Discord settings are secrets: an operator puts them in the `NotificationChannels` secret
(JSON: `telegram_bot_token`, `telegram_chat_id`, `discord_webhook_url`); a channel without its settings is
off. Email is on when `propfirm:notifyEmailFrom` names SES's verified sender. The function reaches the
database through the proxy, the AWS endpoints, and port 443 of the world (Telegram, Discord, SES) only.
"""

from __future__ import annotations

from aws_cdk import Aws, Duration
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.constants import NOTIFICATIONS_HANDLER, NOTIFICATIONS_TIMEOUT_SECONDS
from infra.constructs.data import Data
from infra.constructs.events import DomainEvents
from infra.constructs.functions import python_function
from infra.constructs.network import Network
from infra.constructs.shared_layer import SharedCode


class Notifications(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        shared: SharedCode,
        network: Network,
        data: Data,
        domain_events: DomainEvents,
        log_retention: logs.RetentionDays,
        email_from: str | None,
        language: str,
    ) -> None:
        super().__init__(scope, construct_id)
        group = network.consumer_groups["notifications"]
        group.add_egress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "to Telegram, Discord and SES")
        self.channels = secretsmanager.Secret(
            self,
            "NotificationChannels",
            description="propfirm notifications: JSON with telegram_bot_token, telegram_chat_id, discord_webhook_url",
            # generated, never written into the template: a JSON object whose one key is ignored (every channel
            # off) until an operator adds the channels' settings
            generate_secret_string=secretsmanager.SecretStringGenerator(
                secret_string_template="{}", generate_string_key="unused", exclude_punctuation=True
            ),
        )
        self.queue, self.dead_letters, self.rule = domain_events.to_queue(
            self, Duration.seconds(NOTIFICATIONS_TIMEOUT_SECONDS), "every propfirm event to the notifications"
        )
        environment = {
            **data.database_environment,
            "NOTIFY_CHANNELS_SECRET_ARN": self.channels.secret_arn,
            "NOTIFY_LANGUAGE": language,
        }
        if email_from:
            environment["NOTIFY_EMAIL_FROM"] = email_from
        self.function = python_function(
            self,
            "Function",
            shared=shared,
            network=network,
            security_group=group,
            handler=NOTIFICATIONS_HANDLER,
            service="notifications",
            environment=environment,
            timeout=Duration.seconds(NOTIFICATIONS_TIMEOUT_SECONDS),
            log_retention=log_retention,
            description="notifications: the trader by email, the operators in Telegram and Discord",
        )
        self.function.add_event_source(sources.SqsEventSource(self.queue, batch_size=10))
        data.allow_database(group, self.function, "notifications")
        self.channels.grant_read(self.function)
        if email_from:
            identity = email_from.split("@", 1)[1] if "@" in email_from else email_from
            self.function.add_to_role_policy(
                iam.PolicyStatement(
                    actions=["ses:SendEmail"],
                    resources=[f"arn:{Aws.PARTITION}:ses:{Aws.REGION}:{Aws.ACCOUNT_ID}:identity/{identity}",
                               f"arn:{Aws.PARTITION}:ses:{Aws.REGION}:{Aws.ACCOUNT_ID}:identity/{email_from}"],
                )
            )
