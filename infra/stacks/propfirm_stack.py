"""The whole system in one stack, built from one construct per concern.

Env-agnostic by default (no account or region: `Fn::GetAZs` picks the two zones at deploy time).
Settings come from the context (`infra.settings.StackSettings`).
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Aws, CfnOutput, Duration, Stack, Tags
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.constants import EVALUATOR_TIMEOUT_SECONDS, PAYOUTS_ASL
from infra.constructs.abuse import AbuseScan
from infra.constructs.api import Api, limit_credentials_key
from infra.constructs.data import Data
from infra.constructs.evaluator import Evaluator
from infra.constructs.events import DomainEvents
from infra.constructs.migrations import Migrations
from infra.constructs.network import Network
from infra.constructs.notifications import Notifications
from infra.constructs.observability import Observability
from infra.constructs.payouts import Payouts
from infra.constructs.poller import Pollers
from infra.constructs.queues import Queues
from infra.constructs.shared_layer import SharedCode
from infra.constructs.web import WebHosting
from infra.constructs.webhooks import Webhooks
from infra.nag import acknowledge_findings
from infra.settings import SettingsError, StackSettings


class PropfirmStack(Stack):
    def __init__(
        self, scope: Construct, construct_id: str, *, payouts_asl: Path = PAYOUTS_ASL, **kwargs
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.settings = settings = StackSettings.from_node(self.node)
        retention = _retention(settings.log_retention_days)
        # the proxy target group takes no tags (CloudFormation schema)
        Tags.of(self).add("project", "propfirm", exclude_resource_types=["AWS::RDS::DBProxyTargetGroup"])

        self.network = Network(self, "Network", nat_gateways=settings.nat_gateways, log_retention=retention)
        self.data = Data(
            self,
            "Data",
            network=self.network,
            production=settings.production,
            max_acu=settings.aurora_max_acu,
            reader=settings.aurora_reader,
            cache_node_type=settings.cache_node_type,
            cache_nodes=settings.cache_nodes,
        )
        self.queues = Queues(self, "Queues", evaluator_timeout=Duration.seconds(EVALUATOR_TIMEOUT_SECONDS))
        self.events = DomainEvents(self, "Events", archive_days=365 if settings.production else 30)
        self.shared = SharedCode(self, "Shared", layer_dir=settings.layer_dir)
        self.pollers = Pollers(
            self,
            "Pollers",
            network=self.network,
            data=self.data,
            queues=self.queues,
            servers=settings.mt5_servers,
            shards=settings.shards,
            log_retention=retention,
        )
        common = dict(
            shared=self.shared,
            network=self.network,
            data=self.data,
            queues=self.queues,
            domain_events=self.events,
            log_retention=retention,
        )
        self.evaluator = Evaluator(self, "Evaluator", shards=settings.shards, **common)
        self.payouts = Payouts(self, "Payouts", asl_path=payouts_asl, **common)
        # the dashboards' hosting first: the API's CORS and the app client's callback name its domain
        auth_prefix = settings.auth_domain_prefix or f"propfirm-{Aws.ACCOUNT_ID}"
        auth_domain = f"{auth_prefix}.auth.{Aws.REGION}.amazoncognito.com"
        self.web = (
            WebHosting(self, "Web", auth_domain=auth_domain, production=settings.production) if settings.web else None
        )
        self.api = Api(
            self,
            "Api",
            mt5_server_name=settings.mt5_servers[0].name,
            poller_servers=[server.name for server in settings.mt5_servers],
            cors_origins=_cors_origins(settings.api_cors_origins, self.web),
            mfa_required=settings.mfa_required,
            app_url=self.web.app_url if self.web else None,
            auth_domain_prefix=auth_prefix if self.web else None,
            waf=settings.waf,
            production=settings.production,
            **common,
        )
        self._wire_payouts()
        self.webhooks = (
            Webhooks(
                self,
                "Webhooks",
                shared=self.shared,
                network=self.network,
                data=self.data,
                domain_events=self.events,
                log_retention=retention,
            )
            if settings.webhooks
            else None
        )
        self.notifications = (
            Notifications(
                self,
                "Notifications",
                shared=self.shared,
                network=self.network,
                data=self.data,
                domain_events=self.events,
                log_retention=retention,
                email_from=settings.notify_email_from,
                language=settings.notify_language,
            )
            if settings.notifications
            else None
        )
        self.abuse = AbuseScan(
            self, "Abuse", shared=self.shared, network=self.network, data=self.data, log_retention=retention
        )
        if self.web is not None:
            self.web.deploy(
                settings.web_dir,
                api_url=self.api.rest_api.url,
                auth_domain=auth_domain,
                client_id=self.api.client.user_pool_client_id,
            )
        # the MT5 passwords a purchase seals are opened by the poller that creates the account, and by
        # the API for the trader's one-time reveal: nobody else may use the key
        limit_credentials_key(
            self.api.credentials_key,
            [self.api.function.role, *self.pollers.open_sealed_passwords_with(self.api.credentials_key)],
        )
        self.migrations = Migrations(
            self,
            "Migrations",
            shared=self.shared,
            network=self.network,
            data=self.data,
            log_retention=retention,
            load_example_programs=settings.load_example_programs,
        )
        self.migrations.before(self.schema_consumers)
        self.observability = Observability(
            self,
            "Observability",
            queues=self.queues,
            evaluator=self.evaluator,
            payouts=self.payouts,
            api=self.api,
            pollers=self.pollers,
            data=self.data,
            bus=self.events.bus,
            alarm_email=settings.alarm_email,
            webhooks=self.webhooks,
            abuse=self.abuse.function,
            notifications=self.notifications.function if self.notifications else None,
        )
        self._outputs()
        acknowledge_findings(self)

    @property
    def schema_consumers(self) -> list[lambda_.Function]:
        """The functions that use the database, updated only after the migrations ran."""
        return [
            self.evaluator.function,
            self.evaluator.relay,
            self.payouts.worker,
            self.payouts.sweeper,
            self.api.function,
            *([self.webhooks.function, self.webhooks.retry] if self.webhooks else []),
            self.abuse.function,
            *([self.notifications.function] if self.notifications else []),
        ]

    def _wire_payouts(self) -> None:
        """The API starts payout executions and answers the approval token; the evaluator answers the
        withdrawal's token when the poller reports the balance operation done."""
        machine = self.payouts.state_machine
        for fn in (self.api.function, self.evaluator.function, self.evaluator.relay):
            fn.add_environment("PAYOUTS_STATE_MACHINE_ARN", machine.state_machine_arn)
            fn.add_environment("PAYOUTS_EVENT_BUS_NAME", self.events.bus.event_bus_name)
            self.payouts.grant_task_response(fn)
        machine.grant_start_execution(self.api.function)

    def _outputs(self) -> None:
        CfnOutput(self, "EvaluationQueueUrl", value=self.queues.evaluation.queue_url)
        CfnOutput(self, "CommandQueueUrl", value=self.queues.commands.queue_url)
        CfnOutput(self, "ApiUrl", value=self.api.rest_api.url)
        CfnOutput(self, "UserPoolId", value=self.api.user_pool.user_pool_id)
        CfnOutput(self, "UserPoolClientId", value=self.api.client.user_pool_client_id)
        CfnOutput(self, "WebhookSecretArn", value=self.api.webhook_secret.secret_arn)
        CfnOutput(self, "DatabaseProxyEndpoint", value=self.data.proxy.endpoint)
        CfnOutput(self, "DatabaseSecretArn", value=self.data.cluster.secret.secret_arn)  # type: ignore[union-attr]
        CfnOutput(self, "PayoutsStateMachineArn", value=self.payouts.state_machine.state_machine_arn)
        CfnOutput(self, "EventBusName", value=self.events.bus.event_bus_name)
        if self.web is not None:
            CfnOutput(self, "DashboardsUrl", value=self.web.app_url)
        CfnOutput(self, "AlarmTopicArn", value=self.observability.topic.topic_arn)
        for name, secret in self.pollers.password_secrets.items():
            CfnOutput(self, f"Mt5PasswordSecretArn{name.replace('-', '')}", value=secret.secret_arn)


RETENTION = {
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    400: logs.RetentionDays.THIRTEEN_MONTHS,
}


def _retention(days: int) -> logs.RetentionDays:
    if days not in RETENTION:
        raise SettingsError(f"propfirm:logRetentionDays={days}: one of {sorted(RETENTION)}")
    return RETENTION[days]


def _cors_origins(configured: str, web: WebHosting | None) -> str:
    """The browsers' origins the API answers: the dashboards' own, plus any configured (`*`, the default,
    means none other once the dashboards are deployed: only their origin is let in)."""
    if web is None:
        return configured
    extra = [o.strip() for o in configured.split(",") if o.strip() and o.strip() != "*"]
    return ",".join([web.origin, *extra])
