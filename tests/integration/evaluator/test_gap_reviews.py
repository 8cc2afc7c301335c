"""A blind interval's review, as the poller sends it, through the Lambda handler: the interval recorded once, each
account not clear as an open gap finding tied to its challenge, audited; a redelivery records nothing twice; a
review too large for one message arrives in parts and is whole once they all have; nothing is applied."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import orjson
from propfirm.local.lambda_driver import drive_once
from propfirm.poller.gap_check import GapVerdict
from propfirm.poller.gap_review import GapReview, review_messages
from propfirm.poller.held import HeldPosition
from propfirm.queues.sqs import Outgoing

from functions.evaluator.handler import lambda_handler
from tests.instants import MONDAY_JANUARY

T0 = MONDAY_JANUARY


def _review(logins: list[int], *, since_minutes: int = 0, unchecked: tuple[int, ...] = ()) -> GapReview:
    start = T0 + timedelta(minutes=since_minutes)
    interval = {"from": start.isoformat(), "to": (start + timedelta(minutes=4)).isoformat(), "seconds": 240.0,
                "failed_cycles": 3, "cause": "ConnectionError: MT5 away"}
    verdicts = [
        GapVerdict(login, "breached" if n == 0 else "possible", floor=Decimal("95000"), lowest=Decimal("94400.50"),
                   at=start + timedelta(minutes=1), held=(HeldPosition("EURUSD", True, Decimal("1.00"),
                                                                       Decimal("1.08520"), Decimal("-1.20"), 77),),
                   checked_until=start + timedelta(minutes=4))
        for n, login in enumerate(logins)
    ] + [GapVerdict(login, "unchecked", reason="the account is gone from MT5") for login in unchecked]
    return GapReview(start, start + timedelta(minutes=4), interval, checked=len(logins) + len(unchecked) + 5,
                     clear=5, verdicts=verdicts)


def _send(rig, messages: list[Outgoing]) -> None:
    for m in messages:
        rig.sqs.send_message(QueueUrl=rig.evaluation_queue, MessageBody=m.body, MessageGroupId=m.group_id,
                             MessageDeduplicationId=m.dedup_id)


def _drain(rig) -> None:
    while drive_once(rig.sqs, rig.evaluation_queue, lambda_handler, visibility_timeout=0).received:
        pass


def test_a_review_becomes_open_findings_tied_to_the_challenges_and_audited_once(rig) -> None:
    cid = rig.register(7101, T0)
    review = _review([7101, 7102], unchecked=(7103,))  # 7102 and 7103 have no challenge here: recorded all the same
    review.watched, review.killed = 12, 2  # held by the tick path through a slow cycle; killed: counted
    [message] = review_messages(review, rig.server, "default")
    _send(rig, [message])
    _drain(rig)

    [(review_id, checked, clear, watched, killed, cause, parts)] = rig.fetch(
        "SELECT id, checked, clear, watched, killed, cause, parts FROM gap_reviews WHERE server = %s", rig.server)
    assert (checked, clear, watched, killed, cause, parts) == (8, 5, 12, 2, "ConnectionError: MT5 away", 1)
    rows = rig.fetch("SELECT id, login, challenge_id, outcome, status, evidence FROM gap_findings"
                     " WHERE review_id = %s ORDER BY login", review_id)
    assert [r[1:5] for r in rows] == [
        (7101, cid, "breached", "open"), (7102, None, "possible", "open"), (7103, None, "unchecked", "open")]
    # the two that may have crossed their floors are on the bus for the operators and the firm's systems
    events = sorted(rig.events(), key=lambda e: e["detail"]["login"])
    assert [(e["source"], e["detail-type"]) for e in events] == [("propfirm", "GapFindingRecorded")] * 2
    assert events[0]["detail"] == {
        "event_id": f"gap-finding:{rows[0][0]}", "id": rows[0][0], "review_id": review_id, "challenge_id": cid,
        "login": 7101, "server": rig.server, "time": events[0]["detail"]["time"], "outcome": "breached",
        "floor": "95000", "lowest": "94400.50", "at": (T0 + timedelta(minutes=1)).isoformat(), "positions_held": 1,
        "blind_from": T0.isoformat(), "blind_to": (T0 + timedelta(minutes=4)).isoformat(),
        "cause": "ConnectionError: MT5 away",
    }
    assert (events[1]["detail"]["challenge_id"], events[1]["detail"]["outcome"]) == (None, "possible")
    evidence = rows[0][5]
    assert evidence["floor"] == "95000" and evidence["lowest"] == "94400.50"  # money stays a string, exact
    assert evidence["held"] == [{"ticket": 77, "symbol": "EURUSD", "side": "buy", "volume": "1.00",
                                 "price_open": "1.08520"}]
    assert rig.challenge(cid).status == "active"  # recorded for a person, never applied
    audit = rig.fetch("SELECT kind, login FROM audit_log WHERE server = %s AND kind LIKE 'gap.%%' ORDER BY id",
                      rig.server)
    assert audit[0] == ("gap.review_recorded", None)  # then the findings, in the order their ids were given
    assert sorted(audit[1:]) == [("gap.finding_recorded", 7101), ("gap.finding_recorded", 7102),
                                 ("gap.finding_recorded", 7103)]

    # delivered again (a new deduplication id: past SQS's five minutes): nothing twice
    _send(rig, [Outgoing(message.body, message.group_id, message.dedup_id + "-again")])
    _drain(rig)
    assert rig.fetch("SELECT count(*) FROM gap_findings WHERE review_id = %s", review_id) == [(3,)]
    assert len(rig.fetch("SELECT id FROM audit_log WHERE server = %s AND kind LIKE 'gap.%%'", rig.server)) == 4
    assert rig.events() == [] and rig.fetch(
        "SELECT count(*) FROM domain_events WHERE detail->>'server' = %s", rig.server) == [(2,)]


def test_a_large_review_arrives_in_parts_and_is_whole_once_all_have(rig) -> None:
    logins = list(range(7200, 7260))
    messages = review_messages(_review(logins, since_minutes=30), rig.server, "default", max_bytes=4_000)
    assert len(messages) > 3 and all(len(m.body) <= 4_000 for m in messages)
    assert len({m.dedup_id for m in messages}) == len(messages)
    _send(rig, messages[1:])  # the first part last: any order makes the same record
    _drain(rig)
    _send(rig, messages[:1])
    _drain(rig)
    [(review_id, parts)] = rig.fetch("SELECT id, parts FROM gap_reviews WHERE server = %s", rig.server)
    assert parts == len(messages)
    found = rig.fetch("SELECT login FROM gap_findings WHERE review_id = %s ORDER BY login", review_id)
    assert [r[0] for r in found] == logins


def test_an_interval_nothing_could_be_checked_in_is_recorded_with_why(rig) -> None:
    review = GapReview(None, None, {"from": T0.isoformat(), "to": (T0 + timedelta(seconds=40)).isoformat(),
                                    "seconds": 40.0, "failed_cycles": 0, "cause": "poller restarted"},
                       reason="no read before the gap in this poller's run (it began with a restart)")
    [message] = review_messages(review, rig.server, "default")
    assert orjson.loads(message.body)["accounts"] == []
    _send(rig, [message])
    _drain(rig)
    assert rig.fetch("SELECT checked, reason, read_before FROM gap_reviews WHERE server = %s", rig.server) == [
        (0, review.reason, None)
    ]
