"""Payout fixtures: PostgreSQL migrated, Redis under the test's namespace, and moto in-process with the
Step Functions interpreter on. The state machine that runs is the one the CDK app synthesizes: its
definition and substitutions are taken from the template and resolved as CloudFormation would (the
tasks queue's Ref becomes the moto queue's URL), so what is tested is what `cdk deploy` ships. Its tasks
go through the tasks queue to the worker handler, called with Lambda's SQS event. One moto world per
module: the state machine, the queues and the bus are created once; each test gets its own MT5 server."""

from __future__ import annotations

import dataclasses
import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import pytest
import redis as redis_lib
from moto import mock_aws
from propfirm.evaluation.feedback import FeedbackRecorder
from propfirm.evaluation.live import LiveState
from propfirm.evaluation.relay import OutboxRelay
from propfirm.live.floors import read_floor, write_floor
from propfirm.live.keys import LiveKeys
from propfirm.live.records import FloorRecord, encode_snapshot, iso_utc
from propfirm.payouts import function, service
from propfirm.payouts.events import EventBridgePublisher
from propfirm.payouts.local import LocalWorkflow, create_workflow, drain_tasks
from propfirm.payouts.ports import PayoutPorts
from propfirm.payouts.tasks import TaskContext
from propfirm.queues.messages import CommandResult, parse_command
from propfirm.queues.sqs import SqsSender
from propfirm.store.deals import DealRow
from propfirm.store.registration import register_account_challenge
from propfirm.store.uow import UnitOfWork

from functions.payouts import handler

REGION = "us-east-1"
FUNDED = 2  # two-step-100k: phase1, phase2, funded


@dataclass(frozen=True)
class SynthesizedWorkflow:
    """The state machine as the CDK app's template has it."""

    definition: str  # DefinitionString, with its ${Name} placeholders
    substitutions: dict[str, Any]  # DefinitionSubstitutions: Name -> {"Ref": logical id} | str
    queue_ids: frozenset[str]  # logical ids of the template's SQS queues

    def resolve(self, tasks_queue_url: str) -> str:
        """What CloudFormation deploys: each placeholder replaced by its value; here every Ref must be a
        queue (the tasks queue), and any other intrinsic fails the test."""
        text = self.definition
        for name, value in self.substitutions.items():
            if isinstance(value, dict):
                assert set(value) == {"Ref"} and value["Ref"] in self.queue_ids, (name, value)
                value = tasks_queue_url
            text = text.replace("${" + name + "}", str(value))
        assert "${" not in text, "a placeholder the template does not substitute"
        json.loads(text)
        return text


@pytest.fixture(scope="session")
def synthesized_workflow(tmp_path_factory: pytest.TempPathFactory) -> SynthesizedWorkflow:
    """Synthesize the app once (a stand-in layer: the workflow does not need the built one)."""
    pytest.importorskip("aws_cdk")
    from infra.app import build_app, file_context

    layer = tmp_path_factory.mktemp("layer")
    (layer / "python").mkdir()
    outdir = tmp_path_factory.mktemp("cdk.out")
    app = build_app(outdir=str(outdir), context={**file_context(), "propfirm:layerDir": str(layer)})
    assembly = app.synth()
    [stack] = assembly.stacks
    resources = stack.template["Resources"]
    [machine] = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::StepFunctions::StateMachine"]
    if "DefinitionString" in machine:
        definition = machine["DefinitionString"]
    else:  # DefinitionBody.from_file: an S3 asset; the assets manifest names the staged file by its key
        key = machine["DefinitionS3Location"]["Key"]
        manifest = json.loads(Path(assembly.directory, f"{stack.stack_name}.assets.json").read_text())
        [path] = [
            entry["source"]["path"]
            for entry in manifest["files"].values()
            if any(d["objectKey"] == key for d in entry["destinations"].values())
        ]
        definition = Path(assembly.directory, path).read_text(encoding="utf-8")
    queues = frozenset(k for k, r in resources.items() if r["Type"] == "AWS::SQS::Queue")
    return SynthesizedWorkflow(definition, machine.get("DefinitionSubstitutions", {}), queues)


@dataclass
class Aws:
    sqs: Any
    sfn: Any
    flow: LocalWorkflow
    command_queue_url: str
    events_queue_url: str
    publisher: EventBridgePublisher


@pytest.fixture(scope="module")
def aws(synthesized_workflow: SynthesizedWorkflow) -> Iterator[Aws]:
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        sqs = boto3.client("sqs", region_name=REGION)
        sfn = boto3.client("stepfunctions", region_name=REGION)
        events = boto3.client("events", region_name=REGION)
        flow = create_workflow(sfn, sqs, definition_for=synthesized_workflow.resolve)
        command_queue = sqs.create_queue(
            QueueName="commands.fifo", Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "false"}
        )["QueueUrl"]
        # the bus's events land in a queue the tests read (a rule matching source propfirm)
        events.create_event_bus(Name="propfirm")
        events_queue = sqs.create_queue(QueueName="payout-events")["QueueUrl"]
        events_arn = sqs.get_queue_attributes(QueueUrl=events_queue, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        events.put_rule(Name="payouts", EventBusName="propfirm", EventPattern=json.dumps({"source": ["propfirm"]}))
        events.put_targets(Rule="payouts", EventBusName="propfirm", Targets=[{"Id": "q", "Arn": events_arn}])
        yield Aws(sqs, sfn, flow, command_queue, events_queue, EventBridgePublisher(events, "propfirm"))


class Rig:
    """One test's world: a funded challenge on its own server, the worker wired to moto, PostgreSQL and
    Redis, and helpers to run the workflow until a condition holds."""

    def __init__(self, url: str, aws: Aws, redis: redis_lib.Redis, namespace: str) -> None:
        self.url = url
        self.aws = aws
        self.redis = redis
        self.namespace = namespace
        self.keys = LiveKeys(namespace)
        self.server = f"srv-{uuid.uuid4().hex[:8]}"
        self.now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # a Monday; the tasks' clock, never the machine's
        self.funded_at = self.now - timedelta(days=20)
        self.relay = OutboxRelay(self.uow, SqsSender(aws.sqs, aws.command_queue_url))
        self.ports = PayoutPorts(workflow=aws.flow.workflow, events=aws.publisher)  # what the API is given
        self.context = TaskContext(
            uow_factory=self.uow,
            ports=self.ports,
            redis=redis,
            namespace=namespace,
            relay=self.relay,
            clock=lambda: self.now,
        )
        self._ticket = 1000

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.url)

    def configure(self, **changes: Any) -> PayoutPorts:
        """The rig's payout ports with `changes` (timeouts, second_approval_above), for its requests,
        decisions and worker alike; returned for an API the test also wires to them."""
        self.ports = dataclasses.replace(self.ports, **changes)
        self.context.ports = self.ports
        return self.ports

    def challenge(self, login: int, phase: int = FUNDED) -> int:
        with self.uow() as uow:
            challenge_id = register_account_challenge(
                uow, self.server, login, "two-step-100k", phase, f"{login}@example.com", time=self.funded_at
            )
            uow.commit()
        return challenge_id

    def trade(
        self, challenge_id: int, login: int, position: int, days: float, profit: str, *, close: bool = True
    ) -> list[int]:
        """A position opened `days` after funding and closed an hour later (commission 3.50 per side)."""
        opened = self.funded_at + timedelta(days=days)
        rows = [self._deal(challenge_id, login, position, opened, "in", "0", "-3.50", "0")]
        if close:
            rows.append(
                self._deal(
                    challenge_id,
                    login,
                    position,
                    opened + timedelta(hours=1),
                    "out",
                    profit,
                    "-3.50",
                    "-1.00",
                )
            )
        with self.uow() as uow:
            uow.deals.upsert(rows)
            uow.commit()
        return [r.ticket for r in rows]

    def balance_deal(self, challenge_id: int, login: int, days: float, amount: str, comment: str) -> int:
        self._ticket += 1
        row = DealRow(
            self.server,
            self._ticket,
            login,
            challenge_id,
            self.funded_at + timedelta(days=days),
            "balance",
            "in",
            "",
            Decimal(0),
            Decimal(0),
            Decimal(amount),
            Decimal(0),
            Decimal(0),
            0,
            0,
            comment,
            "balance_operation",
        )
        with self.uow() as uow:
            uow.deals.upsert([row])
            uow.commit()
        return row.ticket

    def _deal(
        self,
        cid: int,
        login: int,
        position: int,
        when: datetime,
        entry: str,
        profit: str,
        commission: str,
        swap: str,
    ) -> DealRow:
        self._ticket += 1
        return DealRow(
            self.server,
            self._ticket,
            login,
            cid,
            when,
            "buy" if entry == "in" else "sell",
            entry,
            "EURUSD",
            Decimal("1.00"),
            Decimal("1.10000"),
            Decimal(profit),
            Decimal(commission),
            Decimal(swap),
            position,
            0,
            "",
            "trade",
        )

    def floor(self, login: int) -> None:
        record = FloorRecord(Decimal("95000"), self.now + timedelta(hours=6), "daily_loss", "touch", "fail", 3)
        write_floor(self.redis, self.keys, self.server, login, record, self.now)

    def snapshot(self, login: int, balance: Decimal | str) -> None:
        """The poller's last snapshot of the account (flat: no position open)."""
        amount = Decimal(balance)
        raw = encode_snapshot(self.server, login, 1, iso_utc(self.now), amount, amount, Decimal(0), Decimal(0), ())
        self.redis.set(self.keys.snap(self.server, login), raw)

    def floor_present(self, login: int) -> bool:
        return bool(self.redis.exists(self.keys.floor(self.server, login)))

    def floor_level(self, login: int) -> Decimal | None:
        floor = read_floor(self.redis, self.keys, self.server, login)
        return None if floor is None else floor.level

    # -- the service, as the API calls it ------------------------------------------------------------
    def request(self, challenge_id: int) -> service.PayoutRecord:
        return service.request_payout(self.uow(), challenge_id, "trader@example.com", self.now, self.ports)

    def approve(self, payout_id: int, who: str = "admin@example.com") -> service.PayoutRecord:
        return service.approve(self.uow(), payout_id, who, "checked", self.now, self.ports)

    def reject(self, payout_id: int, reason: str = "trades copied from another account") -> service.PayoutRecord:
        return service.reject(self.uow(), payout_id, "admin@example.com", reason, self.now, self.ports)

    def get(self, payout_id: int) -> service.PayoutRecord:
        return service.get_payout(self.uow(), payout_id)

    # -- the workflow ---------------------------------------------------------------------------------
    def run_until(self, condition: Callable[[], bool], timeout: float = 10.0) -> None:
        """Hand the tasks queue's messages to the worker handler until `condition` holds."""
        function.set_runtime(self.context)
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError("the payout workflow did not get there in time")
            drain_tasks(self.aws.sqs, self.aws.flow.queue_url, handler.lambda_handler)
            time.sleep(0.02)

    def status_is(self, payout_id: int, *states: str) -> Callable[[], bool]:
        return lambda: self.get(payout_id).status in states

    def execution_status(self, payout: service.PayoutRecord) -> str:
        assert payout.execution_arn is not None
        return self.aws.sfn.describe_execution(executionArn=payout.execution_arn)["status"]

    def execution_ended(self, payout: service.PayoutRecord) -> Callable[[], bool]:
        return lambda: self.execution_status(payout) != "RUNNING"

    # -- the poller's side --------------------------------------------------------------------------
    def take_commands(self) -> list[Any]:
        """This test's commands on the command queue (the queue is shared by the module's tests)."""
        found = []
        while True:
            got = self.aws.sqs.receive_message(QueueUrl=self.aws.command_queue_url, MaxNumberOfMessages=10)
            if not got.get("Messages"):
                return [c for c in found if c.server == self.server]
            for m in got["Messages"]:
                self.aws.sqs.delete_message(QueueUrl=self.aws.command_queue_url, ReceiptHandle=m["ReceiptHandle"])
                found.append(parse_command(m["Body"]))

    def command_result(
        self, command_id: str, login: int, ok: bool, deal: int | None = None, workflow_reachable: bool = True
    ) -> None:
        """The poller's CommandResult reaching the evaluator (its feedback recorder, hook included);
        `workflow_reachable` False: an evaluator without Step Functions, whose hook cannot pass it on."""
        result = CommandResult(
            command_id=command_id,
            type="balance_operation",
            server=self.server,
            login=login,
            ok=ok,
            time=self.now,
            error=None if ok else "not enough money",
            retcode=None if ok else 10019,
            details={"deal": deal} if deal is not None else {},
        )
        live = LiveState(self.redis, self.namespace)
        workflow = self.aws.flow.workflow if workflow_reachable else None
        FeedbackRecorder(self.uow, live, lambda: self.now, workflow).record_command_result(result)

    def audit_kinds(self, challenge_id: int) -> list[str]:
        with self.uow() as uow:
            rows = uow.fetchall(
                "SELECT kind FROM audit_log WHERE challenge_id = %s AND kind LIKE 'payout.%%' ORDER BY id",
                (challenge_id,),
            )
        return [r[0] for r in rows]

    def events(self) -> list[dict[str, Any]]:
        found = []
        while True:
            got = self.aws.sqs.receive_message(QueueUrl=self.aws.events_queue_url, MaxNumberOfMessages=10)
            if not got.get("Messages"):
                return found
            for m in got["Messages"]:
                self.aws.sqs.delete_message(QueueUrl=self.aws.events_queue_url, ReceiptHandle=m["ReceiptHandle"])
                found.append(json.loads(m["Body"]))


@pytest.fixture
def rig(migrated_url: str, aws: Aws, redis_client: redis_lib.Redis, redis_namespace: str) -> Iterator[Rig]:
    rig = Rig(migrated_url, aws, redis_client, redis_namespace)
    rig.events()  # events of earlier tests
    yield rig
    function.set_runtime(None)
