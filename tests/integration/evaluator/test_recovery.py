"""What happens after a decision, and what survives failure: events on the bus, a crash between any two
steps of a transition, duplicated and reordered deliveries, and Redis losing everything mid-run.

Real PostgreSQL and Redis; SQS and EventBridge in moto (an event rule delivers the bus's events to a
queue the test reads). A "crash" is an exception no handler catches (the process dies there); recovery
is SQS delivering the message again to the Lambda handler, which runs the outbox relay after the batch.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import orjson
import pytest
from propfirm.domain.state import ChallengeState
from propfirm.evaluation.relay import OutboxRelay
from propfirm.live.floors import read_floor
from propfirm.queues.lambda_events import LocalContext
from propfirm.queues.messages import BalanceOperationCommand, EvaluationMessage
from propfirm.queues.tags import balance_comment
from propfirm.store.events import EventRepository
from propfirm.store.outbox import OutboxRepository
from propfirm.store.programs import load_program_path
from propfirm.store.uow import UnitOfWork

from functions.evaluator.handler import lambda_handler
from tests.instants import MONDAY_JANUARY

from .conftest import Rig, deal

T0 = MONDAY_JANUARY  # a trading Monday, 09:00 UTC; the evaluator's clock follows the test's times


class Crash(BaseException):
    """The process dies here: nothing in the evaluator or the handler catches it."""


def _deliver(rig: Rig, *messages: EvaluationMessage) -> dict[str, Any]:
    """SQS hands these messages to the Lambda handler (one batch)."""
    records = [
        {
            "messageId": str(uuid.uuid4()),
            "receiptHandle": "handle",
            "body": m.model_dump_json(),
            "attributes": {"ApproximateReceiveCount": "2", "SentTimestamp": "0", "MessageGroupId": "0",
                           "MessageDeduplicationId": f"{m.server}:{m.cycle}:{m.shard}:{m.part}",
                           "SequenceNumber": str(i)},
            "messageAttributes": {},
            "md5OfBody": "",
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:evaluation.fifo",
            "awsRegion": "us-east-1",
        }
        for i, m in enumerate(messages)
    ]
    return lambda_handler({"Records": records}, LocalContext(function_name="evaluator"))


def _transitions(rig: Rig, cid: int) -> list[tuple]:
    return rig.fetch(
        'SELECT transition_no, from_phase, to_phase, decision, reason, equity, "limit", decided_at'
        " FROM phase_transitions WHERE challenge_id = %s ORDER BY transition_no",
        cid,
    )


# -- events -------------------------------------------------------------------------------------------
def test_failures_and_passes_put_their_events_on_the_bus_after_the_commit(rig) -> None:
    failing, passing = rig.register(7001, T0), rig.register(7002, T0, program="three-step-100k")
    rig.snapshot(7001, T0 + timedelta(minutes=1), "100000", "94000")
    rig.evaluator.relay = None  # the process stops right after the commit: nothing sent yet
    assert rig.evaluator.handle(rig.message([7001], T0 + timedelta(minutes=1))).transitions == 1
    assert rig.events() == [] and rig.fetch(
        "SELECT detail_type, status FROM domain_events WHERE challenge_id = %s", failing
    ) == [("ChallengeFailed", "pending")]
    rig.evaluator.relay = rig.runtime.relay
    assert rig.runtime.relay.run_events() == 1

    [event] = rig.events()
    assert event["source"] == "propfirm" and event["detail-type"] == "ChallengeFailed"
    assert event["detail"] == {
        "event_id": f"{failing}:1:event",
        "challenge_id": failing,
        "transition_no": 1,
        "from_phase": 0,
        "to_phase": None,
        "program": {"id": "two-step-100k", "version": 1},
        "time": (T0 + timedelta(minutes=1)).isoformat(),
        "login": 7001,
        "server": rig.server,
        "decision": "failed",
        "phase": "phase1",
        "reason": "daily_loss",
        "equity": "94000.00",
        "limit": "95000.00",
    }

    # three days of 2,000 pass step1 (5%, three trading days): ChallengePassed, sent with the commands
    balance, ticket = Decimal(100000), 10
    for day in range(3):
        t = T0 + timedelta(days=day, hours=1)
        deals = [deal(7002, ticket, t, position=ticket),
                 deal(7002, ticket + 1, t + timedelta(minutes=5), action="sell", entry="out", position=ticket,
                      profit="2000")]
        ticket += 2
        balance += 2000
        rig.snapshot(7002, t + timedelta(minutes=6), str(balance), str(balance), [])
        rig.evaluator.handle(rig.message([7002], t + timedelta(minutes=6), deals))
    [passed] = rig.events()
    assert passed["detail-type"] == "ChallengePassed"
    assert passed["detail"]["event_id"] == f"{passing}:1:event"
    assert (passed["detail"]["from_phase"], passed["detail"]["to_phase"], passed["detail"]["phase"]) == (0, 1, "step1")
    assert rig.fetch("SELECT status FROM domain_events WHERE challenge_id = %s", passing) == [("sent",)]


def test_the_last_evaluation_phase_passed_is_challenge_funded(rig) -> None:
    rig.register(7003, T0, program="three-step-100k", phase=2)  # step3: the next one is funded
    balance, ticket = Decimal(100000), 40
    for day in range(3):
        t = T0 + timedelta(days=day, hours=1)
        deals = [deal(7003, ticket, t, position=ticket),
                 deal(7003, ticket + 1, t + timedelta(minutes=5), action="sell", entry="out", position=ticket,
                      profit="2000")]
        ticket += 2
        balance += 2000
        rig.snapshot(7003, t + timedelta(minutes=6), str(balance), str(balance), [])
        rig.evaluator.handle(rig.message([7003], t + timedelta(minutes=6), deals))
    [funded] = rig.events()
    assert funded["detail-type"] == "ChallengeFunded"
    assert funded["detail"]["decision"] == "funded" and funded["detail"]["to_phase"] == 3


def test_restrictions_make_no_event_and_a_refused_entry_stays_pending(rig, tmp_path) -> None:
    cid = rig.register(7004, T0)
    rig.snapshot(7004, T0 + timedelta(minutes=1), "100000", "94000")

    class Refusing:
        def put(self, entries):
            return {e.id: "ThrottlingException: slow down" for e in entries}

    sender, rig.runtime.relay.events = rig.runtime.relay.events, Refusing()
    rig.evaluator.handle(rig.message([7004], T0 + timedelta(minutes=1)))
    assert rig.fetch(
        "SELECT status, attempts, last_error FROM domain_events WHERE challenge_id = %s", cid
    ) == [("pending", 1, "ThrottlingException: slow down")]
    assert rig.events() == []
    rig.runtime.relay.events = sender  # the bus is back: the next run puts it
    assert rig.runtime.relay.run_events() == 1
    assert [e["detail"]["event_id"] for e in rig.events()] == [f"{cid}:1:event"]

    # a restriction (here: too many lots) is a transition without an event
    program_id = f"lots-{rig.server}"
    (tmp_path / "lots.yaml").write_text(
        f"id: {program_id}\naccount_size: '100000'\nphases:\n  - {{group: 'challenge\\\\lots', max_lots: 20}}\n"
    )
    with UnitOfWork(rig.url) as uow:
        load_program_path(uow, tmp_path / "lots.yaml")
        uow.commit()
    other = rig.register(7005, T0, program=program_id)
    rig.snapshot(7005, T0 + timedelta(minutes=1), "100000", "99900", [("EURUSD", "25.00", "buy")])
    assert rig.evaluator.handle(rig.message([7005], T0 + timedelta(minutes=1))).transitions == 1
    assert _transitions(rig, other)[0][3:5] == ("restricted", "max_lots")
    assert rig.fetch("SELECT count(*) FROM domain_events WHERE challenge_id = %s", other) == [(0,)]


# -- a crash between any two steps ------------------------------------------------------------------------
STEPS = [
    "after the commit",  # the transition is recorded, nothing sent
    "commands accepted, not marked",  # SQS took the commands, the outbox still says pending
    "after the commands",  # commands sent and marked, floors and caches not written
    "after the floors",  # floors written, the event not put
    "event accepted, not marked",  # the bus took the event, domain_events still says pending
]


@pytest.mark.parametrize("step", STEPS)
def test_a_crash_between_any_two_steps_of_a_transition_is_recovered_without_doubles(rig, monkeypatch, step) -> None:
    cid = rig.register(7010, T0)
    rig.snapshot(7010, T0 + timedelta(minutes=1), "100000", "99000")
    rig.evaluator.handle(rig.message([7010], T0 + timedelta(minutes=1)))
    assert read_floor(rig.redis, rig.keys, rig.server, 7010) is not None
    rig.snapshot(7010, T0 + timedelta(minutes=2), "100000", "94500")
    breach = rig.message([7010], T0 + timedelta(minutes=2))

    def crash(*args: Any, **kwargs: Any) -> None:
        raise Crash(step)

    with monkeypatch.context() as patch:
        if step == "after the commit":
            patch.setattr(rig.runtime.relay, "run", crash)
        elif step == "commands accepted, not marked":
            patch.setattr(OutboxRepository, "mark_sent", crash)
        elif step == "after the commands":
            patch.setattr(rig.evaluator.live, "write", crash)
        elif step == "after the floors":
            patch.setattr(rig.runtime.relay, "run_events", crash)
        else:
            patch.setattr(EventRepository, "mark_sent", crash)
        with pytest.raises(Crash):
            rig.evaluator.handle(breach)

    assert _transitions(rig, cid)[0][3:5] == ("failed", "daily_loss")  # committed before any crash
    assert _deliver(rig, breach) == {"batchItemFailures": []}  # SQS delivers it again

    assert len(_transitions(rig, cid)) == 1
    assert [k for (k,) in rig.fetch("SELECT kind FROM audit_log WHERE challenge_id = %s", cid)] == ["challenge.failed"]
    # each command once on the queue (a resend carries the same deduplication id), all marked sent
    assert [c["command_id"] for c in rig.commands()] == [f"{cid}:1:disable", f"{cid}:1:close_all"]
    assert rig.fetch("SELECT status FROM outbox WHERE challenge_id = %s ORDER BY id", cid) == [("sent",), ("sent",)]
    # the floor of a failed account is gone, its cache says failed
    assert read_floor(rig.redis, rig.keys, rig.server, 7010) is None
    cached = orjson.loads(rig.redis.get(rig.keys.state(rig.server, 7010)))
    assert cached["state"]["status"] == "failed" and cached["version"] == rig.challenge(cid).version
    # the event: once, except when the crash came after the bus took it (at least once, same event id)
    events = [e for e in rig.events() if e["detail"]["challenge_id"] == cid]
    assert {e["detail"]["event_id"] for e in events} == {f"{cid}:1:event"}
    assert len(events) == (2 if step == "event accepted, not marked" else 1)
    assert rig.fetch("SELECT status FROM domain_events WHERE challenge_id = %s", cid) == [("sent",)]
    # and nothing is left for later runs
    assert rig.runtime.relay.run() == 0 and rig.runtime.relay.run_events() == 0


def test_two_relays_at_once_send_each_command_once(rig) -> None:
    rig.register(7011, T0)
    rig.evaluator.relay = None
    rig.snapshot(7011, T0 + timedelta(minutes=1), "100000", "89000")
    rig.evaluator.handle(rig.message([7011], T0 + timedelta(minutes=1)))
    other = OutboxRelay(rig.runtime.uow, rig.runtime.relay.sender, events=rig.runtime.relay.events)
    assert rig.runtime.relay.run() + other.run() == 2
    assert rig.runtime.relay.run_events() + other.run_events() == 1
    assert len(rig.commands()) == 2 and len(rig.events()) == 1


# -- duplicated and reordered deliveries -----------------------------------------------------------------
def test_duplicated_and_reordered_deliveries_never_double_a_transition_or_a_deal(rig) -> None:
    cid = rig.register(7020, T0)
    t1, t2, t3 = (T0 + timedelta(minutes=m) for m in (1, 2, 3))
    rig.snapshot(7020, t1, "100000", "99500", [])
    m1 = rig.message([7020], t1)
    withdrawal = deal(7020, 801, t2 - timedelta(seconds=5), action="balance", entry="in", profit="-1000",
                      volume="0", symbol="", comment="withdrawal 1")
    fill = deal(7020, 802, t2 - timedelta(seconds=4), entry="in", position=802, volume="2.00")
    _deliver(rig, m1)
    rig.snapshot(7020, t2, "99000", "98900", [("EURUSD", "2.00", "buy")])
    m2 = rig.message([7020], t2, [withdrawal, fill])
    _deliver(rig, m2, m2)  # SQS delivered it twice in one batch
    _deliver(rig, m1, m2)  # and again, the older one last seen late
    state = ChallengeState.from_dict(orjson.loads(rig.redis.get(rig.keys.state(rig.server, 7020)))["state"])
    assert state.phase_ops == Decimal(-1000) and state.daily_floor == Decimal(94000)  # the withdrawal once
    assert state.open_positions == {802: Decimal("2.00")}  # the fill once
    assert ChallengeState.from_dict(rig.challenge(cid).state).phase_ops == Decimal(-1000)

    rig.snapshot(7020, t3, "99000", "93900", [("EURUSD", "2.00", "buy")])
    m3 = rig.message([7020], t3)
    _deliver(rig, m3, m3)
    _deliver(rig, m2, m3, m1)
    rig.redis.delete(rig.keys.state(rig.server, 7020))  # and once more with the cache gone
    _deliver(rig, m3, m2)
    assert [t[3:7] for t in _transitions(rig, cid)] == [("failed", "daily_loss", Decimal("93900"), Decimal("94000"))]
    assert [c["command_id"] for c in rig.commands()] == [f"{cid}:1:disable", f"{cid}:1:close_all"]
    assert len(rig.events()) == 1
    assert rig.fetch("SELECT count(*) FROM deals WHERE server = %s", rig.server) == [(2,)]


# -- Redis lost mid-run ---------------------------------------------------------------------------------
@dataclass
class Trader:
    """One simulated MT5 account: a daily result drawn from its own seed, and the firm's resets."""

    login: int
    program: str
    drift: int
    rng: random.Random
    balance: Decimal = Decimal(100000)
    ticket: int = 0
    pending: list = field(default_factory=list)  # deals of the next message

    def trade(self, at: datetime) -> None:
        self.ticket += 2
        profit = Decimal(self.drift + self.rng.randint(-1500, 1500))
        self.pending += [
            deal(self.login, self.login * 1000 + self.ticket, at, position=self.ticket),
            deal(self.login, self.login * 1000 + self.ticket + 1, at + timedelta(minutes=20), action="sell",
                 entry="out", position=self.ticket, profit=str(profit)),
        ]
        self.balance += profit

    def charge(self, at: datetime) -> None:
        """A commission MT5 books on the balance: stored, not judged; only the next snapshots show it."""
        self.ticket += 1
        self.pending.append(deal(self.login, self.login * 1000 + 500 + self.ticket, at, action="commission",
                                 entry="in", profit="-7.50", volume="0", symbol=""))
        self.balance -= Decimal("7.50")

    def equity(self) -> Decimal:
        return self.balance - Decimal(self.rng.randint(0, 2500))


def _run(rig: Rig, server: str, flush_at: set[int]) -> dict[int, Any]:
    """Sixteen days, five snapshots a day, the same traders; Redis emptied before the given steps."""
    rig.server = server
    traders = [
        Trader(9001, "two-step-100k", 900, random.Random(1)),
        Trader(9002, "two-step-100k", -700, random.Random(2)),
        Trader(9003, "three-step-100k", 1200, random.Random(3)),
        Trader(9004, "one-step-100k", 400, random.Random(4)),
        Trader(9005, "three-step-100k", 2200, random.Random(5)),
        Trader(9006, "one-step-100k", -200, random.Random(6)),
    ]
    cids = {t.login: rig.register(t.login, T0, program=t.program) for t in traders}
    resets_done: set[str] = set()
    step = 0
    for day in range(16):
        for slot in range(5):
            step += 1
            at = T0 + timedelta(days=day, hours=1 + 3 * slot)
            if step in flush_at:
                for key in rig.redis.scan_iter(match=f"{rig.namespace}acct:{{{server}:*", count=1000):
                    rig.redis.delete(key)
            for t in traders:
                if slot == 1:
                    t.trade(at - timedelta(minutes=40))
                if slot == 4 and t.login % 2:  # the day's last snapshot before the reset carries a charge
                    t.charge(at - timedelta(minutes=1))
                for (command,) in rig.fetch(
                    "SELECT command FROM outbox WHERE challenge_id = %s AND kind = 'balance_operation'",
                    cids[t.login],
                ):
                    reset = BalanceOperationCommand.model_validate(command)
                    if reset.command_id not in resets_done:  # MT5 carries out the firm's balance reset
                        resets_done.add(reset.command_id)
                        ticket = t.login * 1000 + 900 + len(resets_done)  # apart from the trades' tickets
                        t.pending.append(deal(t.login, ticket, at - timedelta(seconds=30), action="balance",
                                              entry="in", profit=str(reset.amount), volume="0", symbol="",
                                              comment=balance_comment(reset)))
                        t.balance += reset.amount
                rig.snapshot(t.login, at, str(t.balance), str(t.equity()), [])
            deals = [d for t in traders for d in t.pending]
            for t in traders:
                t.pending = []
            _deliver(rig, EvaluationMessage(server=server, cycle=step, shard=0, time=at,
                                            logins=[t.login for t in traders], deals=deals))
    out = {}
    for t in traders:
        cid = cids[t.login]
        record = rig.challenge(cid)
        out[t.login] = {
            "transitions": [row[1:] for row in _transitions(rig, cid)],
            "status": (record.status, record.phase, record.awaiting_reset is not None),
            # (a day's start equity is the last snapshot's before the reset: one not saved yet when Redis went
            # is not known to PostgreSQL; docs/store-and-evaluator.md, "Known limits")
            "days": rig.fetch(
                "SELECT trading_day, start_balance, daily_floor, close_balance, profit"
                " FROM daily_statistics WHERE challenge_id = %s ORDER BY trading_day",
                cid,
            ),
            "commands": [c.split(":", 1)[1] for (c,) in rig.fetch(
                "SELECT command_id FROM outbox WHERE challenge_id = %s ORDER BY id", cid)],
        }
    return out


def test_redis_flushed_mid_run_gives_the_decisions_of_an_uninterrupted_run(rig) -> None:
    uninterrupted = _run(rig, f"whole-{uuid.uuid4().hex[:6]}", set())
    flushed = _run(rig, f"flush-{uuid.uuid4().hex[:6]}", {17, 31, 32, 46})

    decided = [row for account in uninterrupted.values() for row in account["transitions"]]
    kinds = {row[2] for row in decided}
    assert {"failed", "phase_passed", "funded"} <= kinds, decided  # the run exercises what it claims to
    for login, account in uninterrupted.items():
        for key, value in account.items():
            assert flushed[login][key] == value, (login, key)


def test_a_change_by_another_writer_within_a_batch_is_seen_before_anything_is_recorded(rig, monkeypatch) -> None:
    """The handler reads a batch's versions once; a challenge another writer changes meanwhile (here an
    operator fails it) is caught by the version check of the transition's own transaction."""
    cid, other = rig.register(7030, T0), rig.register(7031, T0)
    t1, t2 = T0 + timedelta(minutes=1), T0 + timedelta(minutes=2)
    rig.snapshot(7030, t1, "100000", "99000")
    rig.snapshot(7031, t1, "100000", "99000")
    _deliver(rig, rig.message([7030, 7031], t1))
    rig.snapshot(7030, t2, "100000", "94000")  # a breach, judged by the batch's second message
    rig.snapshot(7031, t2, "100000", "99100")
    first, second = rig.message([7031], t2), rig.message([7030], t2)
    evaluate, calls = rig.evaluator.evaluate, []

    def operator_between(message):
        report = evaluate(message)
        if not calls:  # after the first message, before the second: an operator fails 7030's challenge
            with UnitOfWork(rig.url) as uow:
                state = ChallengeState.from_dict(uow.challenges.get(cid).state)
                state.status = "failed"
                uow.execute("UPDATE challenges SET status = 'failed', state = %s, version = version + 1"
                            " WHERE id = %s", (orjson.dumps(state.to_dict()).decode(), cid))
                uow.commit()
        calls.append(message)
        return report

    monkeypatch.setattr(rig.evaluator, "evaluate", operator_between)
    assert _deliver(rig, first, second) == {"batchItemFailures": []}
    assert len(calls) == 2 and _transitions(rig, cid) == []  # failed by the operator: nothing more to decide
    assert rig.commands() == [] and rig.challenge(cid).status == "failed"
    assert _transitions(rig, other) == []


def test_an_account_near_its_floor_is_warned_once_a_day_per_rule(rig) -> None:
    cid = rig.register(7010, T0)
    t = T0 + timedelta(minutes=1)
    rig.snapshot(7010, t, "100000", "96500")  # 1,500 above the daily floor (95,000): far enough
    rig.evaluator.handle(rig.message([7010], t))
    for minutes in (2, 3, 4):  # 900, then 800 and 950 above it: four fifths of the room used
        t = T0 + timedelta(minutes=minutes)
        rig.snapshot(7010, t, "100000", {2: "95900", 3: "95800", 4: "95950"}[minutes])
        rig.evaluator.handle(rig.message([7010], t))
    rows = rig.fetch("SELECT event_id, detail_type, detail FROM domain_events WHERE challenge_id = %s", cid)
    assert [(r[0], r[1]) for r in rows] == [(f"{cid}:warning:daily_loss:{T0.date()}", "FloorWarning")]
    detail = rows[0][2]
    assert (detail["equity"], detail["floor"], detail["headroom"], detail["limit"], detail["used_pct"]) == (
        "95900.00", "95000.00", "900.00", "5000.00", "82.00")
    assert detail["login"] == 7010 and detail["reason"] == "daily_loss"
    rig.evaluator._warned.clear()  # another container: the event id keeps it to one
    t = T0 + timedelta(minutes=5)
    rig.snapshot(7010, t, "100000", "95700")
    rig.evaluator.handle(rig.message([7010], t))
    assert len(rig.fetch("SELECT 1 FROM domain_events WHERE challenge_id = %s", cid)) == 1
    assert rig.challenge(cid).status == "active"  # advice only: no decision


def test_a_program_sets_its_own_warning_share_or_none(rig) -> None:
    from propfirm.domain.programs import load_example_programs

    base = load_example_programs()["two-step-100k"]
    with UnitOfWork(rig.url) as uow:
        for pct in ("10", "0"):
            uow.programs.add(base.model_copy(update={"id": f"warn-{pct}", "floor_warning_pct": Decimal(pct)}))
        uow.commit()
    cids = {pct: rig.register(login, T0, program=f"warn-{pct}") for pct, login in (("10", 7020), ("0", 7021))}
    for minutes, equity in ((1, "95800"), (2, "95400"), (3, "95100")):  # 16 %, 8 %, 2 % of the room left
        t = T0 + timedelta(minutes=minutes)
        for login in (7020, 7021):
            rig.snapshot(login, t, "100000", equity)
            rig.evaluator.handle(rig.message([login], t))
    warned = rig.fetch("SELECT challenge_id, detail FROM domain_events WHERE detail_type = 'FloorWarning'"
                       " AND challenge_id = ANY(%s)", list(cids.values()))
    # 10 %: warned at 400 left, not at 800 (the default fifth would have); 0: never
    assert [(cid, detail["headroom"]) for cid, detail in warned] == [(cids["10"], "400.00")]
