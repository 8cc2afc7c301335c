"""Kill reports and the engine's own failure make one transition; command results; the Lambda handler's
partial batch failures with the exact SQS event shape, driven from a moto queue."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import orjson
from propfirm.local.lambda_driver import drive_once
from propfirm.queues.messages import ClosedPositionInfo, CloseResult, CommandResult, FloorInfo, KillReport

from functions.evaluator.handler import lambda_handler
from tests.instants import MONDAY_JANUARY

T0 = MONDAY_JANUARY  # a trading Monday, 09:00 UTC; the evaluator's clock follows the test's times


def kill_report(rig, login: int, at: datetime, equity: str) -> KillReport:
    return KillReport(
        server=rig.server,
        login=login,
        shard=0,
        cycle=rig.cycle,
        time=at,
        equity=Decimal(equity),
        floor=FloorInfo(
            level=Decimal("95000"),
            expires_at=at + timedelta(hours=5),
            reason="daily_loss",
            breach_at="touch",
            action="fail",
            version=1,
        ),
        reason="daily_loss",
        close=CloseResult(
            trading_disabled=True,
            closed=[
                ClosedPositionInfo(
                    ticket=77, symbol="EURUSD", volume=Decimal("2.00"), deal=78, price=Decimal("1.08")
                )
            ],
        ),
    )


def test_a_kill_report_then_the_failing_snapshot_make_one_transition_with_the_close_in_evidence(rig) -> None:
    cid = rig.register(6001, T0)
    at = T0 + timedelta(minutes=5)
    rig.snapshot(6001, at, "100000", "94800", [("EURUSD", "2.00", "buy")])
    rig.evaluator.handle(kill_report(rig, 6001, at, "94800"))
    assert rig.fetch("SELECT count(*) FROM phase_transitions WHERE challenge_id = %s", cid) == [(0,)]
    assert rig.challenge(cid).pending_kill["close"]["closed"][0]["deal"] == 78
    rig.evaluator.handle(kill_report(rig, 6001, at, "94800"))  # redelivered kill report

    rig.evaluator.handle(rig.message([6001], at))
    [(decision, reason, proof)] = rig.fetch(
        "SELECT decision, reason, evidence FROM phase_transitions WHERE challenge_id = %s", cid
    )
    assert (decision, reason) == ("failed", "daily_loss")
    assert proof["kill_report"]["close"]["trading_disabled"] is True
    assert rig.challenge(cid).pending_kill is None
    kinds = [k for (k,) in rig.fetch("SELECT kind FROM audit_log WHERE challenge_id = %s ORDER BY id", cid)]
    assert kinds == ["kill.pending", "kill.repeated", "challenge.failed"]


def test_the_failing_snapshot_then_the_kill_report_make_one_transition(rig) -> None:
    cid = rig.register(6002, T0)
    at = T0 + timedelta(minutes=5)
    rig.snapshot(6002, at, "100000", "94800", [("EURUSD", "2.00", "buy")])
    rig.evaluator.handle(rig.message([6002], at))
    rig.evaluator.handle(kill_report(rig, 6002, at, "94800"))
    assert rig.fetch("SELECT count(*) FROM phase_transitions WHERE challenge_id = %s", cid) == [(1,)]
    kinds = [k for (k,) in rig.fetch("SELECT kind FROM audit_log WHERE challenge_id = %s ORDER BY id", cid)]
    assert kinds == ["challenge.failed", "kill.after_decision"]


def test_a_command_result_updates_its_outbox_row(rig) -> None:
    cid = rig.register(6003, T0)
    rig.snapshot(6003, T0 + timedelta(minutes=1), "100000", "80000")
    rig.evaluator.handle(rig.message([6003], T0 + timedelta(minutes=1)))
    result = CommandResult(
        command_id=f"{cid}:1:close_all",
        type="close_all",
        server=rig.server,
        login=6003,
        ok=True,
        time=T0 + timedelta(minutes=1, seconds=2),
        details={"closed": []},
    )
    rig.evaluator.handle(result)
    [(status, stored)] = rig.fetch(
        "SELECT status, result FROM outbox WHERE command_id = %s", f"{cid}:1:close_all"
    )
    assert status == "done" and stored["ok"] is True


def _send(rig, body: str, group: str, dedup: str) -> None:
    rig.sqs.send_message(
        QueueUrl=rig.evaluation_queue, MessageBody=body, MessageGroupId=group, MessageDeduplicationId=dedup
    )


def test_a_malformed_record_fails_alone_and_stays_on_the_queue(rig) -> None:
    rig.register(6004, T0)
    rig.register(6005, T0)
    rig.snapshot(6004, T0 + timedelta(minutes=1), "100000", "99000")
    rig.snapshot(6005, T0 + timedelta(minutes=1), "100000", "94000")
    _send(rig, rig.message([6004], T0 + timedelta(minutes=1)).model_dump_json(), "1", "a")
    _send(rig, '{"v": 1, "kind": "evaluation", "server": "x"}', "2", "bad")
    _send(rig, rig.message([6005], T0 + timedelta(minutes=1)).model_dump_json(), "3", "b")

    result = drive_once(rig.sqs, rig.evaluation_queue, lambda_handler, visibility_timeout=0)

    assert result.received == 3 and len(result.failed) == 1
    left = rig.sqs.receive_message(
        QueueUrl=rig.evaluation_queue, MaxNumberOfMessages=10, AttributeNames=["All"]
    )["Messages"]
    assert [m["Body"] for m in left] == ['{"v": 1, "kind": "evaluation", "server": "x"}']
    assert left[0]["MessageId"] == result.failed[0]
    assert rig.fetch(
        "SELECT count(*) FROM phase_transitions t JOIN challenges c ON c.id = t.challenge_id"
        " WHERE c.server = %s",
        rig.server,
    ) == [(1,)]
    assert [c["type"] for c in rig.commands()] == ["set_trading", "close_all"]


def test_the_handler_takes_lambdas_event_shape(rig) -> None:
    rig.register(6006, T0)
    rig.snapshot(6006, T0 + timedelta(minutes=1), "100000", "99999")
    body = rig.message([6006], T0 + timedelta(minutes=1)).model_dump_json()
    event = {
        "Records": [
            {
                "messageId": "059f36b4-87a3-44ab-83d2-661975830a7d",
                "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a",
                "body": body,
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": "1545082649183",
                    "SenderId": "AIDAIENQZJOLO23YVJ4VO",
                    "ApproximateFirstReceiveTimestamp": "1545082649185",
                    "MessageGroupId": "0",
                    "MessageDeduplicationId": "d1",
                    "SequenceNumber": "1",
                },
                "messageAttributes": {},
                "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:evaluation.fifo",
                "awsRegion": "us-east-1",
            }
        ]
    }
    from propfirm.local.lambda_driver import LocalContext

    assert lambda_handler(event, LocalContext(aws_request_id="r1")) == {"batchItemFailures": []}
    cached = orjson.loads(rig.redis.get(rig.keys.state(rig.server, 6006)))
    assert cached["state"]["equity"] == "99999"
    # the batch's lag for the admin's system page: its oldest message was sent in 2018
    lag = orjson.loads(rig.redis.get(rig.keys.evaluation_lag()))
    assert lag["messages"] == 1 and lag["lag_seconds"] > 200_000_000
