"""Run the payout workflow locally: the state machine in moto (server or `mock_aws`), the worker driven
from the tasks queue with the exact SQS event Lambda gives it.

    flow = create_workflow(sfn_client, sqs_client)          # the tasks queue + the state machine
    ports = PayoutPorts(workflow=flow.workflow)              # what the API, the evaluator, the worker use
    drain_tasks(sqs_client, flow.queue_url, propfirm.payouts.function.run_tasks)
    auto_requester(uow, ports, now=...)                     # demos only: funded accounts ask
    auto_approver(uow, ports, after_seconds=30, now=...)    # demos only: and are approved

moto runs the ASL only with `{"stepfunctions": {"execute_state_machine": True}}`: in-process pass it
to `mock_aws(config=...)`; a moto server takes it on `POST /moto-api/config` (`propfirm.local.aws.LocalAws`
does, and starts the server with `MOTO_PORT` set to its port: the interpreter calls SQS at
`localhost:$MOTO_PORT`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from propfirm.payouts import service
from propfirm.payouts.workflow import StepFunctionsWorkflow, definition
from propfirm.queues.lambda_events import LocalContext, sqs_event
from propfirm.store.payouts import PayoutRepository
from propfirm.store.uow import UnitOfWork

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
AUTO_APPROVER = "dev-auto-approver"
AUTO_REQUESTER = "dev-auto-requester"
LOCAL_ROLE_ARN = "arn:aws:iam::123456789012:role/propfirm-payouts-local"


@dataclass(frozen=True)
class LocalWorkflow:
    state_machine_arn: str
    queue_url: str
    queue_arn: str
    workflow: StepFunctionsWorkflow


def create_workflow(
    sfn: Any,
    sqs: Any,
    *,
    name: str = "propfirm-payouts",
    queue_name: str = "propfirm-payout-tasks",
    queue_url: str | None = None,
    role_arn: str = LOCAL_ROLE_ARN,
    definition_for: Callable[[str], str] = definition,
) -> LocalWorkflow:
    """The payout-tasks queue (or the given one) and the state machine (both reused when they exist).
    `definition_for(queue_url)` gives the definition: by default the ASL file with the queue substituted;
    tests pass the one the CDK app synthesized, resolved as CloudFormation would."""
    if queue_url is None:
        queue_url = sqs.create_queue(QueueName=queue_name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    arn = next(
        (m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"] if m["name"] == name), None
    )
    if arn is None:
        arn = sfn.create_state_machine(name=name, definition=definition_for(queue_url), roleArn=role_arn)[
            "stateMachineArn"
        ]
    return LocalWorkflow(arn, queue_url, queue_arn, StepFunctionsWorkflow(sfn, arn))


@dataclass
class DrainResult:
    received: int = 0
    failed: list[str] | None = None


def drain_tasks(
    sqs: Any,
    queue_url: str,
    handler: Handler,
    *,
    max_rounds: int = 20,
    visibility_timeout: int = 30,
) -> DrainResult:
    """Hand every waiting task message to the worker handler, ten at a time, until the queue answers
    empty; the records the handler did not report as failed are deleted (failed ones come back after
    the visibility timeout, as in AWS)."""
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    result = DrainResult(0, [])
    for _ in range(max_rounds):
        messages = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=0,
            VisibilityTimeout=visibility_timeout,
            MessageSystemAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            break
        response = handler(
            sqs_event(messages, arn, sqs.meta.region_name),
            LocalContext(function_name="payouts", aws_request_id=str(uuid.uuid4())),
        )
        failed = {f["itemIdentifier"] for f in response.get("batchItemFailures", [])}
        for m in messages:
            if m["MessageId"] not in failed:
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])
        result.received += len(messages)
        result.failed.extend(sorted(failed))  # type: ignore[union-attr]
    return result


def auto_approver(uow: UnitOfWork, ports: service.PayoutPorts, *, after_seconds: float, now: datetime) -> list[int]:
    """For demos: approve the payouts awaiting approval for at least `after_seconds`, as
    `dev-auto-approver` (recorded and audited like any approval). Returns the ids approved."""
    with uow:
        due = PayoutRepository(uow).awaiting_since(now - timedelta(seconds=after_seconds))
    approved = []
    for payout_id in due:
        try:
            service.approve(
                uow,
                payout_id,
                AUTO_APPROVER,
                "approved automatically (local stack)",
                now,
                ports,
            )
            approved.append(payout_id)
        except service.PayoutRefused:  # decided by a person meanwhile
            continue
    return approved


def auto_requester(uow: UnitOfWork, ports: service.PayoutPorts, *, now: datetime, limit: int = 50) -> list[int]:
    """For demos: request a payout for every active funded challenge that is eligible at `now` (the
    simulator's clock), as `dev-auto-requester`. Returns the new payouts' ids."""
    with uow:
        rows = uow.fetchall(
            "SELECT c.id, c.program_id, c.program_version, c.phase FROM challenges c"
            " WHERE c.status = 'active' AND c.login IS NOT NULL AND NOT EXISTS (SELECT 1 FROM payouts p"
            "   WHERE p.challenge_id = c.id AND p.status = ANY(%s)) ORDER BY c.id",
            (list(service.OPEN_STATES),),
        )
        funded = [
            int(cid)
            for cid, program_id, version, phase in rows
            if uow.programs.get(program_id, version).phases[phase].funded
        ]
    requested: list[int] = []
    for challenge_id in funded:
        if len(requested) >= limit:
            break
        if not service.check_eligibility(uow, challenge_id, now).eligible:
            continue
        try:
            record = service.request_payout(uow, challenge_id, AUTO_REQUESTER, now, ports)
        except service.PayoutRefused:  # asked by the trader meanwhile
            continue
        requested.append(record.id)
    return requested
