"""The abuse scan (propfirm.abuse): a function on a five-minute schedule reads each MT5 server's recent
deals from PostgreSQL, runs the detectors and records the findings. Near-line: nothing in the evaluation
path waits for it, and it reaches only the database proxy and the AWS endpoints."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.constants import ABUSE_HANDLER, ABUSE_TIMEOUT_SECONDS
from infra.constructs.data import Data
from infra.constructs.functions import python_function
from infra.constructs.network import Network
from infra.constructs.shared_layer import SharedCode


class AbuseScan(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        shared: SharedCode,
        network: Network,
        data: Data,
        log_retention: logs.RetentionDays,
    ) -> None:
        super().__init__(scope, construct_id)
        group = network.consumer_groups["abuse"]
        self.function = python_function(
            self,
            "Function",
            shared=shared,
            network=network,
            security_group=group,
            handler=ABUSE_HANDLER,
            service="abuse",
            environment={**data.database_environment},
            timeout=Duration.seconds(ABUSE_TIMEOUT_SECONDS),
            reserved_concurrency=1,  # one scan at a time: the next one refreshes what this one found
            log_retention=log_retention,
            description="abuse scan: the detectors over each server's recent deals",
        )
        data.allow_database(group, self.function, "abuse")
        self.schedule = events.Rule(
            self,
            "EveryFiveMinutes",
            schedule=events.Schedule.rate(Duration.minutes(5)),
            description="run the abuse scan",
        )
        self.schedule.add_target(targets.LambdaFunction(self.function, retry_attempts=0))
