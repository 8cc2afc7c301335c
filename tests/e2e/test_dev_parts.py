"""The local stack's parts on their own: moto's server and queues, the repeating loop, and run isolation
on a shared database (two runs with the same logins never meet)."""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid

import pytest
from propfirm.domain.programs import load_example_programs
from propfirm.local.aws import LocalAws
from propfirm.local.database import phases_by_group, prepare_database, register_accounts, trader_email
from propfirm.local.loops import Repeating
from propfirm.local.summary import count_run
from propfirm.store.uow import UnitOfWork


def test_moto_server_has_the_queues_and_the_interpreters_port_and_leaves_no_listener(monkeypatch) -> None:
    for name in (
        "MOTO_PORT",
        "AWS_ENDPOINT_URL",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
    ):
        monkeypatch.setenv(name, os.environ.get(name, ""))  # restored after the test
    aws = LocalAws().start()
    try:
        assert os.environ["MOTO_PORT"] == str(aws.port)
        assert os.environ["AWS_ENDPOINT_URL"] == aws.endpoint
        sqs = aws.client("sqs")
        urls = sqs.list_queues()["QueueUrls"]
        assert aws.queues is not None
        for url in (aws.queues.evaluation, aws.queues.commands, aws.queues.payout_tasks):
            assert url in urls
        attributes = sqs.get_queue_attributes(QueueUrl=aws.queues.evaluation, AttributeNames=["All"])
        assert attributes["Attributes"]["FifoQueue"] == "true"
        assert "deadLetterTargetArn" in attributes["Attributes"]["RedrivePolicy"]
    finally:
        aws.stop()
    with socket.socket() as s, pytest.raises(ConnectionRefusedError):
        s.connect(("127.0.0.1", aws.port))


def test_a_repeating_loop_survives_a_failing_step_and_stops_cleanly() -> None:
    stop = threading.Event()
    calls = []

    def step() -> bool:
        calls.append(time.monotonic())
        if len(calls) == 2:
            raise RuntimeError("a hiccup")
        return True

    loop = Repeating("test", step, stop, pause=0.01, error_pause=0.01).start()
    deadline = time.monotonic() + 5
    while len(calls) < 5 and time.monotonic() < deadline:
        time.sleep(0.01)
    stop.set()
    assert loop.join(timeout=5)
    assert len(calls) >= 5 and loop.errors == 1 and "a hiccup" in (loop.last_error or "")


def test_two_runs_with_the_same_logins_on_one_database_stay_apart(database_url: str) -> None:
    prepare_database(database_url, None)
    prepare_database(database_url, None)  # idempotent
    programs = load_example_programs()
    groups = phases_by_group(programs)
    accounts = [(100_000 + i, group) for i, group in enumerate(sorted(groups))]
    first, second = f"dev-{uuid.uuid4().hex[:8]}", f"dev-{uuid.uuid4().hex[:8]}"
    from datetime import UTC, datetime

    now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # a Monday
    a = register_accounts(database_url, first, accounts, programs, now)
    b = register_accounts(database_url, second, accounts, programs, now)
    assert register_accounts(database_url, first, accounts, programs, now) == a  # idempotent per account
    assert len(a) == len(b) == len(accounts) and not set(a.values()) & set(b.values())
    funded_groups = sum(1 for where in groups.values() if where.funded)
    for server in (first, second):
        summary = count_run(database_url, server)
        assert summary["accounts"] == len(accounts) == summary["active"]
        assert summary["funded"] == summary["started_funded"] == funded_groups
        assert summary["failed"] == summary["passed"] == summary["payouts_paid"] == 0
    with UnitOfWork(database_url) as uow:
        rows = uow.fetchall(
            "SELECT c.server, c.phase, c.program_id, t.email FROM challenges c JOIN traders t"
            " ON t.id = c.trader_id WHERE c.server = %s AND c.login = %s",
            (first, accounts[0][0]),
        )
    where = groups[accounts[0][1]]
    assert rows == [(first, where.phase, where.program_id, trader_email(first, accounts[0][0]))]
