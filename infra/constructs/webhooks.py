"""Outbound webhooks (propfirm.webhooks): a rule sends every `propfirm` event of the bus to a queue, a
function records one delivery per subscribed endpoint in PostgreSQL and POSTs it, signed as Standard
Webhooks; a schedule retries what failed, every minute, until the dead-letter list.

Why not EventBridge API destinations: their connections authenticate with a fixed header (basic, an API
key, OAuth), not an HMAC over each body, so they cannot sign as the specification says; an endpoint is a
CloudFormation resource, where the firm's endpoints are an admin's to add in the dashboard; and what was
delivered, when and how often is then not in the firm's database for the admin's view and replay.

The function leaves the VPC for the receivers (HTTPS through the NAT gateways): its security group
allows port 443 to anywhere, and nothing else but the database proxy and the AWS endpoints.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.constants import WEBHOOKS_HANDLER, WEBHOOKS_RETRY_HANDLER, WEBHOOKS_TIMEOUT_SECONDS
from infra.constructs.data import Data
from infra.constructs.events import DomainEvents
from infra.constructs.functions import python_function
from infra.constructs.network import Network
from infra.constructs.shared_layer import SharedCode


class Webhooks(Construct):
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
    ) -> None:
        super().__init__(scope, construct_id)
        group = network.consumer_groups["webhooks"]
        group.add_egress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "to the subscribers' HTTPS endpoints")
        self.queue, self.dead_letters, self.rule = domain_events.to_queue(
            self, Duration.seconds(WEBHOOKS_TIMEOUT_SECONDS), "every propfirm event to the outbound webhooks"
        )
        environment = {**data.database_environment}
        self.function = self._function(
            "Function",
            shared,
            network,
            group,
            WEBHOOKS_HANDLER,
            "webhooks",
            environment,
            log_retention,
            description="outbound webhooks: records and POSTs each event to its subscribers",
        )
        self.function.add_event_source(
            sources.SqsEventSource(self.queue, batch_size=10, report_batch_item_failures=True)
        )
        self.retry = self._function(
            "Retry",
            shared,
            network,
            group,
            WEBHOOKS_RETRY_HANDLER,
            "webhooks-retry",
            environment,
            log_retention,
            description="outbound webhooks: retries due deliveries (every minute)",
            reserved_concurrency=1,
        )
        schedule = events.Rule(
            self,
            "RetryEveryMinute",
            schedule=events.Schedule.rate(Duration.minutes(1)),
            description="retry the outbound webhook deliveries that are due",
        )
        schedule.add_target(targets.LambdaFunction(self.retry, retry_attempts=0))  # the next minute retries
        for fn in (self.function, self.retry):
            data.allow_database(group, fn, "webhooks")
            for name, value in data.allow_webhook_secrets(fn, seal=False).items():  # they sign: open only
                fn.add_environment(name, value)

    def _function(
        self,
        construct_id: str,
        shared: SharedCode,
        network: Network,
        group: ec2.ISecurityGroup,
        handler: str,
        service: str,
        environment: dict[str, str],
        log_retention: logs.RetentionDays,
        description: str,
        reserved_concurrency: int | None = None,
    ) -> lambda_.Function:
        return python_function(
            self,
            construct_id,
            shared=shared,
            network=network,
            security_group=group,
            handler=handler,
            service=service,
            environment=environment,
            timeout=Duration.seconds(WEBHOOKS_TIMEOUT_SECONDS),
            reserved_concurrency=reserved_concurrency,
            log_retention=log_retention,
            description=description,
        )
