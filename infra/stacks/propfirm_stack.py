"""The whole system in one stack, built from one construct per concern."""

from __future__ import annotations

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from infra.constructs.queues import Queues


class PropfirmStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.queues = Queues(self, "Queues")
        CfnOutput(self, "EvaluationQueueUrl", value=self.queues.evaluation.queue_url)
        CfnOutput(self, "CommandQueueUrl", value=self.queues.commands.queue_url)
