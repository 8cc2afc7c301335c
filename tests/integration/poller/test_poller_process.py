"""`propfirm poller` as a process: password from Secrets Manager, runs cycles, exits 0 on SIGTERM;
refuses to start (exit 2) when a program's group is missing."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3
import orjson
import pytest
from moto.server import ThreadedMotoServer
from propfirm.live.keys import LiveKeys
from propfirm.sim.testing import running_simulator

from tests.instants import MONDAY_MORNING

ROOT = Path(__file__).resolve().parents[3]
PROPFIRM = str(Path(sys.executable).parent / "propfirm")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def moto_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def environment(endpoint: str, sim, namespace: str, redis_url: str, **extra: str) -> dict[str, str]:
    client = boto3.client("sqs", region_name="us-east-1", endpoint_url=endpoint,
                          aws_access_key_id="test", aws_secret_access_key="test")
    queue = client.create_queue(QueueName="evaluation.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    inherited = ("MT5_", "POLLER_", "AWS_", "POWERTOOLS_")  # another test's settings must not leak in
    env = {k: v for k, v in os.environ.items() if not k.startswith(inherited)}
    env.update(AWS_ENDPOINT_URL=endpoint, AWS_DEFAULT_REGION="us-east-1", AWS_ACCESS_KEY_ID="test",
               AWS_SECRET_ACCESS_KEY="test", MT5_URL=sim.url, MT5_MANAGER_LOGIN=str(sim.manager_login),
               EVALUATION_QUEUE_URL=queue, REDIS_URL=redis_url, REDIS_NAMESPACE=namespace,
               POLLER_INTERVAL_SECONDS="1", **extra)
    return env


@pytest.mark.slow
def test_the_process_takes_its_password_from_secrets_manager_and_stops_cleanly_on_sigterm(
        moto_endpoint, redis_client, redis_url, redis_namespace) -> None:
    with running_simulator(start=MONDAY_MORNING, accounts=10, seed=21) as sim:
        secrets = boto3.client("secretsmanager", region_name="us-east-1", endpoint_url=moto_endpoint,
                               aws_access_key_id="test", aws_secret_access_key="test")
        secret = secrets.create_secret(Name="mt5/manager",
                                       SecretString=orjson.dumps({"password": sim.manager_password}).decode())
        env = environment(moto_endpoint, sim, redis_namespace, redis_url,
                          MT5_MANAGER_PASSWORD_SECRET_ID=secret["ARN"])
        process = subprocess.Popen([PROPFIRM, "poller"], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        heartbeat = LiveKeys(redis_namespace).heartbeat("default")
        try:
            deadline = time.monotonic() + 20
            while (redis_client.get(heartbeat) is None and time.monotonic() < deadline
                   and process.poll() is None):
                time.sleep(0.1)
            assert redis_client.get(heartbeat) is not None, process.stderr.read() if process.poll() else ""
            process.send_signal(signal.SIGTERM)
            out, err = process.communicate(timeout=15)
        finally:
            if process.poll() is None:
                process.kill()
        assert process.returncode == 0, err
        logs = [orjson.loads(line) for line in out.splitlines() if line.startswith('{"level"')]
        assert any(line["message"] == "poller started" for line in logs)
        assert any("_aws" in orjson.loads(line) for line in out.splitlines() if line.startswith("{"))  # EMF


def test_the_process_refuses_to_start_naming_the_missing_groups(moto_endpoint, redis_url,
                                                                 redis_namespace) -> None:
    with running_simulator(start=MONDAY_MORNING, accounts=0, groups=["challenge\\phase1"]) as sim:
        env = environment(moto_endpoint, sim, redis_namespace, redis_url,
                          MT5_MANAGER_PASSWORD=sim.manager_password)
        done = subprocess.run([PROPFIRM, "poller"], env=env, cwd=ROOT, capture_output=True, text=True,
                              timeout=60)
    assert done.returncode == 2
    assert "funded\\\\standard" in done.stderr and "challenge\\\\phase2" in done.stderr
