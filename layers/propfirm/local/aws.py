"""AWS on localhost: moto's server in a thread, with the stack's queues and Step Functions turned on.

Everything that talks to "AWS" in the local stack goes to this one server through `client(service)`.
Step Functions really execute their states (moto's ASL interpreter, switched on through
`/moto-api/config`); the interpreter calls the other services at `http://localhost:$MOTO_PORT`, so the
port is put into this process's environment before any execution starts. The process's AWS
environment is pointed at the server as well (fake credentials, the endpoint), so a part that builds
its own boto3 client from the environment reaches moto, never a real account.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import boto3
import httpx

REGION = "us-east-1"
_CREDENTIALS = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}  # noqa: S105 - moto's


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
    _server: Any = field(default=None, repr=False)
    port: int = 0
    queues: Queues | None = None

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> LocalAws:
        from moto.server import ThreadedMotoServer

        self._server = ThreadedMotoServer(ip_address=self.host, port=0, verbose=False)
        self._server.start()
        self.port = self._server.get_host_and_port()[1]
        point_environment_at(self.endpoint, self.port)
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
        dlq = sqs.create_queue(QueueName="evaluation-dlq.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
        attributes = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]
        dlq_arn = attributes["QueueArn"]
        redrive = f'{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":"5"}}'
        evaluation = sqs.create_queue(
            QueueName="evaluation.fifo",
            Attributes={"FifoQueue": "true", "VisibilityTimeout": "30", "RedrivePolicy": redrive},
        )["QueueUrl"]
        commands = sqs.create_queue(QueueName="commands.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
        payout_tasks = sqs.create_queue(QueueName="payout-tasks")["QueueUrl"]
        return Queues(evaluation=evaluation, commands=commands, payout_tasks=payout_tasks, dead_letter=dlq)

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            wsgi = getattr(self._server, "_server", None)  # stop() leaves the listening socket open
            if wsgi is not None:
                wsgi.server_close()
            self._server = None


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
