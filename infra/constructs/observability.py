"""Alarms to an SNS topic, and one dashboard.

Alarms: the dead-letter queues not empty (evaluation, commands, payout tasks), the evaluation queue's
oldest message too old (the evaluator is behind), errors and throttles of every function, the poller
silent (its per-cycle EMF metric missing: missing data is a breach, a stopped poller emits nothing),
the database under load (Aurora's ACU utilization near its maximum, or its CPU), payout executions
failed or timed out, API 5xx. Payouts that wait on a person (`PayoutEscalated`: nobody approved in
time; `PayoutNeedsReview`: the workflow stopped in manual review) are routed from the event bus to the
same topic, so the operators hear of them without watching the dashboard.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_rds as rds
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.constants import METRICS_NAMESPACE, POLLER_CYCLE_METRIC, POLLER_SERVICE_DIMENSION
from infra.constructs.api import Api
from infra.constructs.data import Data
from infra.constructs.evaluator import Evaluator
from infra.constructs.payouts import Payouts
from infra.constructs.poller import Pollers
from infra.constructs.queues import Queues
from infra.constructs.webhooks import Webhooks

EVALUATION_AGE_LIMIT_SECONDS = 60  # a cycle is 2 s: a minute-old message means the evaluator is stuck
POLLER_SILENT_MINUTES = 3  # metrics flush every 5 cycles (10 s), so a silent minute is already wrong
ESTIMATE_DRIFT_LIMIT = 50.0  # account currency: quotes move between the read and the estimate; more is a wrong model
DATABASE_LOAD_PERCENT = 90  # of the maximum ACU (or CPU): Aurora cannot grow further, queries queue
DATABASE_LOAD_MINUTES = 15
PAYOUTS_NEEDING_A_PERSON = ["PayoutEscalated", "PayoutNeedsReview"]  # propfirm.payouts (docs/payouts.md)


class Observability(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        queues: Queues,
        evaluator: Evaluator,
        payouts: Payouts,
        api: Api,
        pollers: Pollers,
        data: Data,
        bus: events.IEventBus,
        alarm_email: str | None,
        webhooks: Webhooks | None = None,
        abuse: lambda_.IFunction | None = None,
        notifications: lambda_.IFunction | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.topic = sns.Topic(self, "Alarms", display_name="propfirm alarms", enforce_ssl=True)
        if alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(alarm_email))
        self.alarms: list[cw.Alarm] = []
        self.poller_cycles = cw.Metric(
            namespace=METRICS_NAMESPACE,
            metric_name=POLLER_CYCLE_METRIC,
            dimensions_map={"service": POLLER_SERVICE_DIMENSION},
            statistic="SampleCount",
            period=Duration.minutes(1),
        )
        self._build_queue_alarms(queues, payouts)
        self._build_function_alarms("Evaluator", evaluator.function)
        self._build_function_alarms("Relay", evaluator.relay)
        self._build_function_alarms("PayoutsWorker", payouts.worker)
        self._build_function_alarms("PayoutsSweep", payouts.sweeper)
        self._build_function_alarms("Api", api.function)
        if abuse is not None:
            self._build_function_alarms("AbuseScan", abuse)
        if notifications is not None:
            self._build_function_alarms("Notifications", notifications)
            # every alarm's change reaches the operators' chats too (propfirm.notify.alarms), not only email
            self.topic.add_subscription(subscriptions.LambdaSubscription(notifications))
        if webhooks is not None:
            self._build_function_alarms("Webhooks", webhooks.function)
            self._build_function_alarms("WebhooksRetry", webhooks.retry)
            self._alarm(
                "WebhookEventsDlqNotEmpty",
                webhooks.dead_letters.metric_approximate_number_of_messages_visible(
                    period=Duration.minutes(1), statistic="Maximum"
                ),
                threshold=1,
                description="an event did not reach the outbound webhooks (docs/integrations.md)",
            )
        self._build_poller_alarm()
        self._build_poller_blind_alarm()
        self._build_estimate_drift_alarm()
        for server in pollers.services:
            self._build_server_poller_alarm(pollers, server)
        self._build_payout_alarms(payouts)
        self.payout_attention = self._build_payout_attention(bus)
        self._build_api_alarm(api)
        self._build_database_alarms(data.cluster)
        self.dashboard = self._build_dashboard(queues, evaluator, payouts, api, data.cluster)

    def _alarm(
        self,
        construct_id: str,
        metric: cw.IMetric,
        *,
        threshold: float,
        description: str,
        comparison: cw.ComparisonOperator = cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        periods: int = 1,
        missing: cw.TreatMissingData = cw.TreatMissingData.NOT_BREACHING,
    ) -> cw.Alarm:
        alarm = cw.Alarm(
            self,
            construct_id,
            metric=metric,
            threshold=threshold,
            comparison_operator=comparison,
            evaluation_periods=periods,
            treat_missing_data=missing,
            alarm_description=description,
        )
        alarm.add_alarm_action(cw_actions.SnsAction(self.topic))
        alarm.add_ok_action(cw_actions.SnsAction(self.topic))
        self.alarms.append(alarm)
        return alarm

    def _build_queue_alarms(self, queues: Queues, payouts: Payouts) -> None:
        dlqs: dict[str, sqs.IQueue] = {
            "EvaluationDlqNotEmpty": queues.evaluation_dlq,
            "CommandDlqNotEmpty": queues.command_dlq,
            "PayoutTasksDlqNotEmpty": payouts.tasks_dlq,
        }
        for construct_id, dlq in dlqs.items():
            self._alarm(
                construct_id,
                dlq.metric_approximate_number_of_messages_visible(
                    period=Duration.minutes(1), statistic="Maximum"
                ),
                threshold=1,
                description="a message failed every retry and waits in its dead-letter queue (docs/infrastructure.md)",
            )
        self._alarm(
            "EvaluationQueueBehind",
            queues.evaluation.metric_approximate_age_of_oldest_message(
                period=Duration.minutes(1), statistic="Maximum"
            ),
            threshold=EVALUATION_AGE_LIMIT_SECONDS,
            periods=3,
            description="the evaluator is behind the poller (oldest evaluation message over a minute)",
        )

    def _build_function_alarms(self, name: str, fn: lambda_.IFunction) -> None:
        self._alarm(
            f"{name}Errors",
            fn.metric_errors(period=Duration.minutes(5), statistic="Sum"),
            threshold=1,
            description=f"{name} invocations failed",
        )
        self._alarm(
            f"{name}Throttles",
            fn.metric_throttles(period=Duration.minutes(5), statistic="Sum"),
            threshold=1,
            description=f"{name} invocations throttled",
        )

    def _build_poller_alarm(self) -> None:
        self._alarm(
            "PollerSilent",
            self.poller_cycles,
            threshold=1,
            comparison=cw.ComparisonOperator.LESS_THAN_THRESHOLD,
            periods=POLLER_SILENT_MINUTES,
            missing=cw.TreatMissingData.BREACHING,
            description="no poller cycle reported for minutes: the poller is down or stuck (its Redis "
            "heartbeat poller:{server}:heartbeat says when it last completed a cycle)",
        )

    def _build_poller_blind_alarm(self) -> None:
        """A cycle that failed (MT5 unreachable, slow or busy; Redis or SQS refusing) is a blind interval:
        a dip below a floor that came and went in it is never seen (docs/faults.md). Say so at once."""
        failures = {
            name.lower(): cw.Metric(
                namespace=METRICS_NAMESPACE,
                metric_name=name,
                dimensions_map={"service": POLLER_SERVICE_DIMENSION},
                statistic="Sum",
                period=Duration.minutes(1),
            )
            for name in ("Mt5Errors", "InfraErrors")
        }
        self._alarm(
            "PollerBlind",
            cw.MathExpression(
                expression="FILL(mt5errors, 0) + FILL(infraerrors, 0)",
                using_metrics=failures,
                period=Duration.minutes(1),
                label="Failed poller cycles",
            ),
            threshold=1,
            description="poller cycles failed: the poller was blind to MT5 for a while; breaches that came "
            "and went meanwhile are unseen (the admin system page shows the heartbeat's age)",
        )

    def _build_estimate_drift_alarm(self) -> None:
        """The tick path values positions between full reads; at each full read its estimate is compared
        with MT5's equity (docs/poller.md). A large gap means the model is wrong (a symbol's contract size,
        a missing conversion rate): the kill switch still acts on MT5's figures only, but dips are missed."""
        self._alarm(
            "PollerEstimateDrift",
            cw.Metric(
                namespace=METRICS_NAMESPACE,
                metric_name="EstimateDrift",
                dimensions_map={"service": POLLER_SERVICE_DIMENSION},
                statistic="Maximum",
                period=Duration.minutes(5),
            ),
            threshold=ESTIMATE_DRIFT_LIMIT,
            periods=2,
            description="the tick path's equity estimates differ from MT5's by more than "
            f"{ESTIMATE_DRIFT_LIMIT:g} (account currency) at full reads: check the symbols' specifications",
        )

    def _build_server_poller_alarm(self, pollers: Pollers, server: str) -> None:
        self._alarm(
            f"PollerSilent-{server}",
            pollers.cycle_flushes(server),
            threshold=1,
            comparison=cw.ComparisonOperator.LESS_THAN_THRESHOLD,
            periods=POLLER_SILENT_MINUTES,
            missing=cw.TreatMissingData.BREACHING,
            description=f"the poller of MT5 server {server} logged no cycle metrics for minutes",
        )

    def _build_payout_alarms(self, payouts: Payouts) -> None:
        machine = payouts.state_machine
        self._alarm(
            "PayoutExecutionsFailed",
            machine.metric_failed(period=Duration.minutes(5), statistic="Sum"),
            threshold=1,
            description="a payout workflow execution failed",
        )
        self._alarm(
            "PayoutExecutionsTimedOut",
            machine.metric_timed_out(period=Duration.minutes(5), statistic="Sum"),
            threshold=1,
            description="a payout workflow execution timed out",
        )

    def _build_payout_attention(self, bus: events.IEventBus) -> events.Rule:
        rule = events.Rule(
            self,
            "PayoutsNeedingAPerson",
            event_bus=bus,
            description="payouts escalated (approval overdue) or in manual review, to the operators' topic",
            event_pattern=events.EventPattern(source=["propfirm"], detail_type=PAYOUTS_NEEDING_A_PERSON),
        )
        rule.add_target(targets.SnsTopic(self.topic))
        return rule

    def _build_api_alarm(self, api: Api) -> None:
        self._alarm(
            "Api5xx",
            api.rest_api.metric_server_error(period=Duration.minutes(5), statistic="Sum"),
            threshold=5,
            description="the API answered 5xx (it never should on any input)",
        )

    def _build_database_alarms(self, cluster: rds.DatabaseCluster) -> None:
        five = Duration.minutes(5)
        periods = DATABASE_LOAD_MINUTES // 5
        self._alarm(
            "DatabaseAcuHigh",
            cluster.metric_acu_utilization(period=five, statistic="Average"),
            threshold=DATABASE_LOAD_PERCENT,
            periods=periods,
            description="Aurora runs near its maximum capacity (propfirm:auroraMaxAcu): raise it or find the load",
        )
        self._alarm(
            "DatabaseCpuHigh",
            cluster.metric_cpu_utilization(period=five, statistic="Average"),
            threshold=DATABASE_LOAD_PERCENT,
            periods=periods,
            description="Aurora's CPU is saturated",
        )

    def _build_dashboard(
        self, queues: Queues, evaluator: Evaluator, payouts: Payouts, api: Api, cluster: rds.DatabaseCluster
    ) -> cw.Dashboard:
        dashboard = cw.Dashboard(self, "Dashboard", default_interval=Duration.hours(3))
        minute = Duration.minutes(1)
        dashboard.add_widgets(
            cw.AlarmStatusWidget(title="Alarms", alarms=self.alarms, width=24),
        )
        dashboard.add_widgets(
            cw.GraphWidget(
                title="Poller cycle time (ms)",
                width=8,
                left=[
                    cw.Metric(
                        namespace=METRICS_NAMESPACE,
                        metric_name=POLLER_CYCLE_METRIC,
                        dimensions_map={"service": POLLER_SERVICE_DIMENSION},
                        statistic="p99",
                        period=minute,
                    ),
                    cw.Metric(
                        namespace=METRICS_NAMESPACE,
                        metric_name=POLLER_CYCLE_METRIC,
                        dimensions_map={"service": POLLER_SERVICE_DIMENSION},
                        statistic="Average",
                        period=minute,
                    ),
                ],
            ),
            cw.GraphWidget(
                title="Accounts polled / changed",
                width=8,
                left=[
                    cw.Metric(
                        namespace=METRICS_NAMESPACE,
                        metric_name=name,
                        dimensions_map={"service": POLLER_SERVICE_DIMENSION},
                        statistic="Average",
                        period=minute,
                    )
                    for name in ("AccountsPolled", "AccountsChanged")
                ],
            ),
            cw.GraphWidget(
                title="Kill switch and MT5 errors",
                width=8,
                left=[
                    cw.Metric(
                        namespace=METRICS_NAMESPACE,
                        metric_name=name,
                        dimensions_map={"service": POLLER_SERVICE_DIMENSION},
                        statistic="Sum",
                        period=minute,
                    )
                    for name in ("Breaches", "Mt5Errors")
                ],
            ),
        )
        dashboard.add_widgets(
            cw.GraphWidget(
                title="Evaluation queue; lag: oldest message (s)",
                width=8,
                left=[
                    queues.evaluation.metric_approximate_number_of_messages_visible(period=minute),
                ],
                right=[queues.evaluation.metric_approximate_age_of_oldest_message(period=minute)],
            ),
            cw.GraphWidget(
                title="Evaluator",
                width=8,
                left=[
                    evaluator.function.metric_invocations(period=minute),
                    evaluator.function.metric_errors(period=minute),
                    evaluator.function.metric_throttles(period=minute),
                ],
                right=[evaluator.function.metric_duration(period=minute, statistic="p99")],
            ),
            cw.GraphWidget(
                title="Commands and dead letters",
                width=8,
                left=[
                    queues.commands.metric_approximate_number_of_messages_visible(period=minute),
                    queues.evaluation_dlq.metric_approximate_number_of_messages_visible(period=minute),
                    queues.command_dlq.metric_approximate_number_of_messages_visible(period=minute),
                    payouts.tasks_dlq.metric_approximate_number_of_messages_visible(period=minute),
                ],
            ),
        )
        dashboard.add_widgets(
            cw.GraphWidget(
                title="Database",
                width=8,
                left=[
                    cluster.metric_acu_utilization(period=minute),
                    cluster.metric_cpu_utilization(period=minute),
                ],
                right=[
                    cluster.metric_serverless_database_capacity(period=minute),
                    cluster.metric_database_connections(period=minute),
                ],
            ),
            cw.GraphWidget(
                title="Payout workflow",
                width=8,
                left=[
                    payouts.state_machine.metric_started(period=minute),
                    payouts.state_machine.metric_succeeded(period=minute),
                    payouts.state_machine.metric_failed(period=minute),
                ],
            ),
            cw.GraphWidget(
                title="API",
                width=8,
                left=[
                    api.rest_api.metric_count(period=minute),
                    api.rest_api.metric_client_error(period=minute),
                    api.rest_api.metric_server_error(period=minute),
                ],
                right=[api.rest_api.metric_latency(period=minute, statistic="p99")],
            ),
        )
        return dashboard
