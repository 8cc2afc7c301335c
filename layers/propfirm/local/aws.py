"""AWS on localhost: moto's server in a thread, with the stack's queues and Step Functions turned on.

Everything that talks to "AWS" in the local stack goes to this one server through `client(service)`.
Step Functions really execute their states (moto's ASL interpreter, switched on through
`/moto-api/config`); the interpreter calls the other services at `http://localhost:$MOTO_PORT`, so the
port is put into this process's environment before any execution starts. The process's AWS
environment is pointed at the server as well (fake credentials, the endpoint), so a part that builds
its own boto3 client from the environment reaches moto, never a real account.
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass, field
from typing import Any

import boto3
import httpx

REGION = "us-east-1"
_CREDENTIALS = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}  # noqa: S105 - moto's


# The queues as the stack defines them in AWS (infra/constructs/queues.py and payouts.py): FIFO with
# per-message-group deduplication and throughput, visibility six times the consumer's timeout, the same
# retention, a dead-letter queue after five receives. tests/e2e/test_dev_queues.py compares them with the
# synthesized template, so the two cannot drift apart.
EVALUATOR_TIMEOUT_SECONDS = 60  # infra.constants
PAYOUTS_TIMEOUT_SECONDS = 60  # infra.constants
MAX_RECEIVES = 5
_DAY = 86_400
_FIFO = {"FifoQueue": "true", "DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId"}


@dataclass(frozen=True)
class QueueSpec:
    name: str
    attributes: dict[str, str]
    dead_letter: str | None = None  # the name of its dead-letter queue (created before it)


QUEUE_SPECS: tuple[QueueSpec, ...] = (
    QueueSpec("evaluation-dlq.fifo", {**_FIFO, "MessageRetentionPeriod": str(14 * _DAY)}),
    QueueSpec(
        "evaluation.fifo",
        {**_FIFO, "VisibilityTimeout": str(6 * EVALUATOR_TIMEOUT_SECONDS), "MessageRetentionPeriod": str(_DAY)},
        dead_letter="evaluation-dlq.fifo",
    ),
    QueueSpec("commands-dlq.fifo", {**_FIFO, "MessageRetentionPeriod": str(14 * _DAY)}),
    QueueSpec(
        "commands.fifo",
        {**_FIFO, "VisibilityTimeout": "120", "MessageRetentionPeriod": str(4 * _DAY)},
        dead_letter="commands-dlq.fifo",
    ),
    QueueSpec("payout-tasks-dlq", {"MessageRetentionPeriod": str(14 * _DAY)}),
    QueueSpec(
        "payout-tasks",
        {"VisibilityTimeout": str(6 * PAYOUTS_TIMEOUT_SECONDS), "MessageRetentionPeriod": str(4 * _DAY)},
        dead_letter="payout-tasks-dlq",
    ),
)


@dataclass(frozen=True)
class Queues:
    evaluation: str
    commands: str
    payout_tasks: str
    dead_letter: str


@dataclass
class LocalAws:
    """moto's ThreadedMotoServer on 127.0.0.1 (a free port) and the queues of the stack."""

    host: str = "127.0.0.1"
    # the consumers' queues' visibility timeout when not AWS's (a fault run: a crashed consumer's messages
    # come back within the run)
    visibility_timeout: int | None = None
    _server: Any = field(default=None, repr=False)
    port: int = 0
    queues: Queues | None = None

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> LocalAws:
        from moto.server import ThreadedMotoServer

        from propfirm.local import moto_fifo

        moto_fifo.apply()

        # The environment is written before moto's thread starts: glibc's setenv is not safe while
        # another thread reads the environment (getenv in C code: time zones, resolvers, proxies).
        self.port = free_port(self.host)
        point_environment_at(self.endpoint, self.port)
        self._server = ThreadedMotoServer(ip_address=self.host, port=self.port, verbose=False)
        self._server.start()
        httpx.post(
            f"{self.endpoint}/moto-api/config",
            json={"stepfunctions": {"execute_state_machine": True}},
            timeout=10,
        ).raise_for_status()
        self.queues = self._create_queues()
        return self

    def client(self, service: str) -> Any:
        return boto3.client(service, region_name=REGION, endpoint_url=self.endpoint, **_CREDENTIALS)

    def _create_queues(self) -> Queues:
        sqs = self.client("sqs")
        urls: dict[str, str] = {}
        for spec in QUEUE_SPECS:
            attributes = dict(spec.attributes)
            if self.visibility_timeout is not None and "VisibilityTimeout" in attributes:
                attributes["VisibilityTimeout"] = str(self.visibility_timeout)
            if spec.dead_letter is not None:
                target = sqs.get_queue_attributes(QueueUrl=urls[spec.dead_letter], AttributeNames=["QueueArn"])
                redrive = {"deadLetterTargetArn": target["Attributes"]["QueueArn"], "maxReceiveCount": MAX_RECEIVES}
                attributes["RedrivePolicy"] = json.dumps(redrive)
            urls[spec.name] = sqs.create_queue(QueueName=spec.name, Attributes=attributes)["QueueUrl"]
        return Queues(
            evaluation=urls["evaluation.fifo"],
            commands=urls["commands.fifo"],
            payout_tasks=urls["payout-tasks"],
            dead_letter=urls["evaluation-dlq.fifo"],
        )

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            wsgi = getattr(self._server, "_server", None)  # stop() leaves the listening socket open
            if wsgi is not None:
                wsgi.server_close()
            self._server = None


def free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def point_environment_at(endpoint: str, port: int) -> None:
    """This process's AWS environment: moto only (never a real account), region, the interpreter's port."""
    os.environ["MOTO_PORT"] = str(port)
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    os.environ["AWS_DEFAULT_REGION"] = REGION
    os.environ["AWS_REGION"] = REGION
    os.environ["AWS_ACCESS_KEY_ID"] = _CREDENTIALS["aws_access_key_id"]
    os.environ["AWS_SECRET_ACCESS_KEY"] = _CREDENTIALS["aws_secret_access_key"]
    os.environ.pop("AWS_SESSION_TOKEN", None)
    os.environ.pop("AWS_PROFILE", None)
