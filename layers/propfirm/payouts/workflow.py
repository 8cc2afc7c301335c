"""The Step Functions side of payouts: start an execution, answer a task token; and the ASL file.

The state machine (`workflow.asl.json`, loaded by the CDK stack with `DefinitionBody.from_file` and
`${PayoutTasksQueueUrl}` substituted) sends every task to the payout-tasks queue with
`arn:aws:states:::sqs:sendMessage.waitForTaskToken`; the payouts worker runs the task and answers the
token (`propfirm.payouts.tasks`). Executions are named `payout-{id}`, so starting one twice is one
execution (the second start is refused with ExecutionAlreadyExists and the first one's ARN is used).
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from botocore.exceptions import ClientError

from propfirm.payouts.errors import TokenGone

ASL_FILE = "workflow.asl.json"
QUEUE_PLACEHOLDER = "${PayoutTasksQueueUrl}"
_GONE = frozenset(("TaskTimedOut", "TaskDoesNotExist", "InvalidToken"))


def asl_text() -> str:
    return resources.files("propfirm.payouts").joinpath(ASL_FILE).read_text(encoding="utf-8")


def definition(queue_url: str) -> str:
    """The ASL with the tasks queue URL substituted (what CloudFormation does with the placeholder)."""
    text = asl_text().replace(QUEUE_PLACEHOLDER, queue_url)
    json.loads(text)  # a broken substitution fails here, not in the service
    return text


def execution_name(payout_id: int) -> str:
    return f"payout-{payout_id}"


class StepFunctionsWorkflow:
    """`PayoutWorkflow` over a boto3 Step Functions client (AWS, or moto with execute_state_machine)."""

    def __init__(self, client: Any, state_machine_arn: str | None = None, *, region: str | None = None) -> None:
        self._client = client  # None: made on first use, in `region`
        self._region = region
        self.state_machine_arn = state_machine_arn

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3  # here, not at import: a cold start that never touches a payout does not pay for it

            self._client = boto3.client("stepfunctions", region_name=self._region)
        return self._client

    @property
    def can_start(self) -> bool:
        return self.state_machine_arn is not None

    def start(self, payout_id: int, execution_input: dict[str, Any]) -> str:
        if self.state_machine_arn is None:
            raise RuntimeError("no payout state machine configured (PAYOUTS_STATE_MACHINE_ARN)")
        name = execution_name(payout_id)
        try:
            response = self.client.start_execution(
                stateMachineArn=self.state_machine_arn, name=name, input=json.dumps(execution_input)
            )
            return str(response["executionArn"])
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ExecutionAlreadyExists":
                raise
        # started before (a retry after a crash): the execution ARN follows from the machine's ARN
        return self.state_machine_arn.replace(":stateMachine:", ":execution:") + f":{name}"

    def send_task_success(self, token: str, output: dict[str, Any]) -> None:
        self._answer(self.client.send_task_success, taskToken=token, output=json.dumps(output))

    def send_task_failure(self, token: str, error: str, cause: str) -> None:
        self._answer(self.client.send_task_failure, taskToken=token, error=error[:256], cause=cause[:32768])

    @staticmethod
    def _answer(call: Any, **kwargs: Any) -> None:
        try:
            call(**kwargs)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _GONE:
                raise TokenGone(exc.response["Error"].get("Message", "")) from exc
            raise
