"""A purchase through to its first evaluation, with the evaluator's own service (SQS in moto): the webhook's
`create_account` command goes out through the evaluator's outbox relay, the poller's result comes back,
the evaluator binds the login to the challenge (`bind_created_account`, idempotent), and the next
evaluation message starts the challenge's state; the funding deal is recognised as the system's own."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import boto3
import orjson
from moto import mock_aws
from propfirm.evaluation.bootstrap import build_runtime
from propfirm.evaluation.provisioning import bind_created_account
from propfirm.evaluation.settings import EvaluatorSettings
from propfirm.queues.messages import CommandResult, DealRecord, EvaluationMessage, SealedPasswords
from propfirm.sealing import open_sealed
from propfirm.settings import load
from propfirm.store.uow import UnitOfWork

from tests.integration.api.conftest import NOW, Api, new_login


def test_purchase_to_first_evaluation(api: Api) -> None:
    email = f"p{uuid.uuid4().hex[:8]}@example.com"
    status, _, body = api.purchase(
        {"order_id": uuid.uuid4().hex, "email": email, "name": "Pat Rov", "program": "two-step-100k"}
    )
    assert status == 202
    cid = body["challenge_id"]
    server = api.runtime.server
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        queue = sqs.create_queue(QueueName="commands.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
        settings = load(
            EvaluatorSettings,
            database_url=api.url,
            redis_namespace=api.runtime.keys.namespace,
            command_queue_url=queue,
        )
        evaluator_rt = build_runtime(settings, sqs_client=sqs, redis_client=api.runtime.redis)
        # the relay sends the purchase's command like any other
        assert evaluator_rt.relay.run(NOW) >= 1
        sent = []  # the relay sends every pending command of the database (other tests' too)
        while batch := sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", []):
            sent += [orjson.loads(m["Body"]) for m in batch]
        command = next(c for c in sent if c["command_id"] == f"{cid}:0:create_account")
        assert command["type"] == "create_account" and command["server"] == server
        # the poller created the account: its result goes through the evaluator, then the binding
        login = new_login()
        result = CommandResult(
            command_id=command["command_id"],
            type="create_account",
            server=server,
            login=login,
            ok=True,
            time=NOW,
            details={"group": command["group"], "funding_deal": 900001},
        )
        evaluator_rt.evaluator.handle(result)
        assert api.rows("SELECT status, login FROM challenges WHERE id = %s", (cid,)) == [("active", login)]
        evaluator_rt.evaluator.handle(result)  # a redelivered result binds nothing more
        with UnitOfWork(api.url) as uow:
            assert not bind_created_account(uow, result)
        # the first evaluation: the funding deal and a snapshot
        api.snapshot(login, balance="100000.00", equity="100000.00", at=NOW + timedelta(seconds=5))
        funding = DealRecord(
            ticket=900001,
            login=login,
            time=NOW + timedelta(seconds=1),
            action="balance",
            entry="in",
            symbol="",
            volume=Decimal(0),
            price=Decimal(0),
            profit=Decimal("100000"),
            commission=Decimal(0),
            swap=Decimal(0),
            position=0,
        )
        message = EvaluationMessage(
            server=server, cycle=1, shard=0, time=NOW + timedelta(seconds=5), logins=[login], deals=[funding]
        )
        evaluator_rt.evaluator.handle(message)
    rows = api.rows("SELECT status, login, state IS NOT NULL FROM challenges WHERE id = %s", (cid,))
    assert rows == [("active", login, True)]
    assert api.rows("SELECT role FROM deals WHERE server = %s AND ticket = 900001", (server,)) == [
        ("system",)
    ]
    assert api.rows("SELECT status FROM outbox WHERE command_id = %s", (f"{cid}:0:create_account",)) == [
        ("done",)
    ]
    view = api.call("GET", f"/challenges/{cid}", claims=api.trader_claims(email))[2]
    assert view["status"] == "active" and view["login"] == login
    assert view["floors"]["daily"] == "95000" and view["live"]["balance"] == "100000.00"


def test_no_plain_mt5_password_rests_in_postgresql_the_command_queue_or_its_dead_letter_queue(api: Api) -> None:
    email = f"p{uuid.uuid4().hex[:8]}@example.com"
    status, _, body = api.purchase(
        {"order_id": uuid.uuid4().hex, "email": email, "name": "Sam Seal", "program": "two-step-100k"}
    )
    assert status == 202
    cid = body["challenge_id"]
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        dlq = sqs.create_queue(QueueName="commands-dlq.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        queue = sqs.create_queue(
            QueueName="commands.fifo",
            Attributes={
                "FifoQueue": "true",
                "VisibilityTimeout": "0",
                "RedrivePolicy": orjson.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1}).decode(),
            },
        )["QueueUrl"]
        settings = load(
            EvaluatorSettings, database_url=api.url, redis_namespace=api.runtime.keys.namespace, command_queue_url=queue
        )
        assert build_runtime(settings, sqs_client=sqs, redis_client=api.runtime.redis).relay.run(NOW) >= 1

        def bodies(url: str) -> list[str]:
            return [m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])]

        on_queue = [b for b in bodies(queue) if f'"{cid}:0:create_account"' in b]
        bodies(queue)  # received again and not deleted: past maxReceiveCount, to the dead-letter queue
        in_dlq = [b for batch in (bodies(dlq), bodies(dlq)) for b in batch if f'"{cid}:0:create_account"' in b]
    assert on_queue and in_dlq  # the message really went both places
    sealed = SealedPasswords.model_validate(orjson.loads(on_queue[0])["sealed_passwords"])
    opened = open_sealed(api.runtime.credentials_cipher(), sealed)
    secrets = [opened.main, opened.investor]
    rows = api.rows(
        "SELECT command::text FROM outbox WHERE challenge_id = %s"
        " UNION ALL SELECT payload::text FROM audit_log WHERE challenge_id = %s"
        " UNION ALL SELECT encode(ciphertext, 'escape') FROM account_credentials WHERE challenge_id = %s"
        " UNION ALL SELECT coalesce(result::text, '') FROM outbox WHERE challenge_id = %s",
        (cid, cid, cid, cid),
    )
    stored = "\n".join(r[0] for r in rows) + "\n".join(on_queue + in_dlq)
    for secret in secrets:
        assert secret not in stored
