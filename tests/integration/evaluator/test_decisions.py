"""The evaluator against real PostgreSQL and Redis, commands through SQS in moto."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import orjson
from propfirm.domain import engine
from propfirm.domain.programs import load_example_programs
from propfirm.domain.state import ChallengeState
from propfirm.live.floors import read_floor
from propfirm.queues.messages import BalanceOperationCommand
from propfirm.queues.tags import balance_comment

from tests.instants import MONDAY_JANUARY

from .conftest import deal

T0 = MONDAY_JANUARY  # a trading Monday, 09:00 UTC; the evaluator's clock follows the test's times
PROGRAM = load_example_programs()["two-step-100k"]


def test_a_breaching_snapshot_fails_the_challenge_once_with_its_record_and_commands(rig) -> None:
    cid = rig.register(5001, T0)
    rig.snapshot(5001, T0 + timedelta(minutes=5), "100000", "99000", [("EURUSD", "2.00", "buy")])
    rig.evaluator.handle(rig.message([5001], T0 + timedelta(minutes=5)))
    assert rig.commands() == []

    rig.snapshot(5001, T0 + timedelta(minutes=10), "100000", "94900.00", [("EURUSD", "2.00", "buy")])
    breach = rig.message([5001], T0 + timedelta(minutes=10))
    report = rig.evaluator.handle(breach)

    assert report.transitions == 1
    [transition] = rig.fetch(
        'SELECT transition_no, decision, reason, equity, "limit", evidence'
        " FROM phase_transitions WHERE challenge_id = %s",
        cid,
    )
    assert transition[:5] == (1, "failed", "daily_loss", Decimal("94900.00"), Decimal("95000"))
    proof = transition[5]
    assert (
        proof["program"] == {"id": "two-step-100k", "version": 1} or proof["program"]["id"] == "two-step-100k"
    )
    assert proof["snapshot"]["positions"] == [{"symbol": "EURUSD", "volume": "2.00", "side": "buy"}]
    assert proof["snapshot"]["balance"] == "100000" and proof["limit"] == "95000"
    assert proof["state_version"] == rig.challenge(cid).version
    assert rig.challenge(cid).status == "failed"
    audit = rig.fetch("SELECT kind, payload FROM audit_log WHERE challenge_id = %s", cid)
    assert [a[0] for a in audit] == ["challenge.failed"]
    commands = rig.commands()
    assert [(c["type"], c["command_id"], c.get("enabled")) for c in commands] == [
        ("set_trading", f"{cid}:1:disable", False),
        ("close_all", f"{cid}:1:close_all", None),
    ]
    assert rig.fetch("SELECT count(*) FROM outbox WHERE challenge_id = %s AND status = 'sent'", cid) == [(2,)]
    assert read_floor(rig.redis, rig.keys, rig.server, 5001) is None  # a failed account has no floor

    # the same message again (SQS redelivery), with and without the Redis cache: nothing new
    again = rig.evaluator.handle(breach)
    rig.redis.delete(rig.keys.state(rig.server, 5001))
    third = rig.evaluator.handle(breach)
    assert again.transitions == third.transitions == 0
    assert rig.fetch("SELECT count(*) FROM phase_transitions WHERE challenge_id = %s", cid) == [(1,)]
    assert rig.commands() == []


def test_a_decision_committed_before_a_crash_is_sent_by_the_next_relay_run_with_the_same_ids(rig) -> None:
    cid = rig.register(5002, T0)
    relay, rig.evaluator.relay = rig.evaluator.relay, None  # the process dies after the commit
    rig.snapshot(5002, T0 + timedelta(minutes=1), "100000", "89000")
    assert rig.evaluator.handle(rig.message([5002], T0 + timedelta(minutes=1))).transitions == 1
    assert rig.commands() == []
    rig.evaluator.relay = relay
    rig.evaluator.handle(rig.message([5002], T0 + timedelta(minutes=1)))  # redelivered: decides nothing
    assert rig.runtime.relay.run() == 2
    assert [c["command_id"] for c in rig.commands()] == [f"{cid}:1:disable", f"{cid}:1:close_all"]
    [reason] = rig.fetch("SELECT reason FROM phase_transitions WHERE challenge_id = %s", cid)
    assert reason == ("daily_loss",)  # the highest floor crossed: 95,000 before 90,000


def test_the_floor_carries_the_state_version_and_is_never_above_the_engines(rig) -> None:
    cid = rig.register(5003, T0)
    rig.snapshot(5003, T0 + timedelta(minutes=1), "100000", "99500")
    rig.evaluator.handle(rig.message([5003], T0 + timedelta(minutes=1)))
    floor = read_floor(rig.redis, rig.keys, rig.server, 5003)
    record = rig.challenge(cid)
    state = ChallengeState.from_dict(orjson.loads(rig.redis.get(rig.keys.state(rig.server, 5003)))["state"])
    expected = engine.equity_floor(PROGRAM, state)
    assert floor is not None and expected is not None
    assert floor.version == record.version
    assert floor.level <= expected.level and floor.level == Decimal("95000")
    assert floor.reason == "daily_loss" and floor.expires_at == expected.expires_at

    # a withdrawal lowers the daily floor: the floor is renewed at once, with a new version
    withdrawal = deal(
        5003, 900, T0 + timedelta(minutes=2), action="balance", entry="in", profit="-3000", comment="payout 1"
    )
    rig.snapshot(5003, T0 + timedelta(minutes=3), "97000", "96500")
    rig.evaluator.handle(rig.message([5003], T0 + timedelta(minutes=3), [withdrawal]))
    lowered = read_floor(rig.redis, rig.keys, rig.server, 5003)
    assert lowered is not None and lowered.level == Decimal("92000")
    assert lowered.version == rig.challenge(cid).version > floor.version
    assert rig.fetch("SELECT role FROM deals WHERE server = %s AND ticket = 900", rig.server) == [
        ("balance_operation",)
    ]


def test_snapshots_without_decisions_write_postgresql_rarely(rig) -> None:
    cid = rig.register(5004, T0)
    statements = rig.runtime.statements
    before_version = rig.challenge(cid).version
    start = statements.count
    for i in range(1, 11):
        rig.snapshot(5004, T0 + timedelta(seconds=2 * i), "100000", str(100000 - i))
        rig.evaluator.handle(rig.message([5004], T0 + timedelta(seconds=2 * i)))
    # one versions read per message, the first message also reads the row, one equity point per minute
    assert statements.count - start <= 10 + 1 + 1
    assert rig.challenge(cid).version == before_version  # nothing that matters changed: no state write
    assert rig.fetch("SELECT count(*) FROM equity_points WHERE challenge_id = %s", cid) == [(1,)]


def test_a_pass_moves_to_the_next_phase_and_the_reset_deal_is_not_a_balance_operation(rig) -> None:
    cid = rig.register(5005, T0)
    balance = Decimal(100000)
    ticket = 100
    for day in range(4):  # four trading days of 2,500 each
        t = T0 + timedelta(days=day)
        ticket += 2
        deals = [
            deal(5005, ticket, t, entry="in", position=ticket),
            deal(
                5005,
                ticket + 1,
                t + timedelta(minutes=30),
                action="sell",
                entry="out",
                position=ticket,
                profit="2500",
            ),
        ]
        balance += 2500
        rig.snapshot(5005, t + timedelta(minutes=31), str(balance), str(balance), [])
        report = rig.evaluator.handle(rig.message([5005], t + timedelta(minutes=31), deals))
    assert report.transitions == 1
    days = rig.fetch("SELECT profit FROM daily_statistics WHERE challenge_id = %s ORDER BY trading_day", cid)
    assert days == [(Decimal(2500),)] * 3 + [(None,)]  # the pass day is still open
    record = rig.challenge(cid)
    assert record.phase == 1 and record.awaiting_reset == f"{cid}:1:reset"
    commands = rig.commands()
    assert [c["command_id"] for c in commands] == [
        f"{cid}:1:disable",
        f"{cid}:1:move_group",
        f"{cid}:1:reset",
        f"{cid}:1:enable",
    ]
    assert commands[1]["group"] == "challenge\\phase2"
    assert commands[2]["amount"] == "-10000" and commands[2]["kind"] == "balance"

    # before the reset is done, snapshots of the old balance are not judged as the new phase
    t = T0 + timedelta(days=3, hours=1)
    rig.snapshot(5005, t, "110000", "110000", [])
    rig.evaluator.handle(rig.message([5005], t))
    assert ChallengeState.from_dict(rig.challenge(cid).state).high_water == Decimal(100000)

    # the reset comes back as a balance deal with the command's comment: a system deal
    reset = BalanceOperationCommand.model_validate(commands[2])
    reset_deal = deal(
        5005,
        500,
        t + timedelta(seconds=5),
        action="balance",
        entry="in",
        profit="-10000",
        comment=balance_comment(reset),
        volume="0",
        symbol="",
    )
    rig.snapshot(5005, t + timedelta(seconds=6), "100000", "100000", [])
    rig.evaluator.handle(rig.message([5005], t + timedelta(seconds=6), [reset_deal]))
    record = rig.challenge(cid)
    state = ChallengeState.from_dict(orjson.loads(rig.redis.get(rig.keys.state(rig.server, 5005)))["state"])
    assert record.awaiting_reset is None
    assert state.phase_index == 1 and state.phase_ops == 0 and state.balance == Decimal(100000)
    assert state.last_snapshot_at == t + timedelta(seconds=6)
    assert rig.fetch("SELECT role FROM deals WHERE server = %s AND ticket = 500", rig.server) == [("system",)]
    [transition] = rig.fetch(
        "SELECT from_phase, to_phase, decision, reason FROM phase_transitions WHERE challenge_id = %s", cid
    )
    assert transition == (0, 1, "phase_passed", "profit_target")


def test_a_daily_pause_closes_now_and_reenables_trading_when_the_reset_comes(rig, tmp_path) -> None:
    from propfirm.store.programs import load_program_path
    from propfirm.store.uow import UnitOfWork

    program_id = f"pause-{rig.server}"
    (tmp_path / "pause.yaml").write_text(
        f"id: {program_id}\naccount_size: '100000'\nday_reset: {{time: '00:00', zone: UTC}}\n"
        "phases:\n  - {group: 'challenge\\\\pause', daily_loss_pct: 5, daily_loss_action: pause,"
        " max_loss_pct: 10}\n"
    )
    with UnitOfWork(rig.url) as uow:
        load_program_path(uow, tmp_path / "pause.yaml")
        uow.commit()
    cid = rig.register(5006, T0, program=program_id)
    at = T0 + timedelta(minutes=1)
    rig.snapshot(5006, at, "100000", "94500", [("EURUSD", "3.00", "sell")])
    assert rig.evaluator.handle(rig.message([5006], at)).transitions == 1
    [(decision, reason)] = rig.fetch(
        "SELECT decision, reason FROM phase_transitions WHERE challenge_id = %s", cid
    )
    assert (decision, reason) == ("restricted", "daily_loss")
    reset = datetime.combine(T0.date() + timedelta(days=1), time(0, 0), tzinfo=UTC)
    assert [(c["command_id"], c.get("enabled")) for c in rig.commands()] == [
        (f"{cid}:1:close_all", None),
        (f"{cid}:1:disable", False),
    ]
    assert rig.fetch("SELECT status, not_before FROM outbox WHERE command_id = %s", f"{cid}:1:enable") == [
        ("pending", reset)
    ]
    floor = read_floor(rig.redis, rig.keys, rig.server, 5006)
    assert floor is not None and floor.reason == "max_loss"  # paused: the daily floor says nothing more today

    assert rig.runtime.relay.run(now=reset - timedelta(seconds=1)) == 0
    assert rig.runtime.relay.run(now=reset) == 1
    [enable] = rig.commands()
    assert enable["command_id"] == f"{cid}:1:enable" and enable["enabled"] is True


def test_a_failure_cancels_a_scheduled_reenable(rig, tmp_path) -> None:
    from propfirm.store.programs import load_program_path
    from propfirm.store.uow import UnitOfWork

    program_id = f"pause2-{rig.server}"
    (tmp_path / "pause.yaml").write_text(
        f"id: {program_id}\naccount_size: '100000'\nday_reset: {{time: '00:00', zone: UTC}}\n"
        "phases:\n  - {group: 'challenge\\\\pause', daily_loss_pct: 5, daily_loss_action: pause,"
        " max_loss_pct: 10}\n"
    )
    with UnitOfWork(rig.url) as uow:
        load_program_path(uow, tmp_path / "pause.yaml")
        uow.commit()
    cid = rig.register(5007, T0, program=program_id)
    rig.snapshot(5007, T0 + timedelta(minutes=1), "100000", "94500")
    rig.evaluator.handle(rig.message([5007], T0 + timedelta(minutes=1)))
    rig.snapshot(5007, T0 + timedelta(minutes=2), "100000", "89000")
    rig.evaluator.handle(rig.message([5007], T0 + timedelta(minutes=2)))
    assert rig.fetch("SELECT status FROM outbox WHERE command_id = %s", f"{cid}:1:enable") == [("cancelled",)]
    assert rig.fetch(
        "SELECT decision, reason FROM phase_transitions WHERE challenge_id = %s ORDER BY 1", cid
    ) == [("failed", "max_loss"), ("restricted", "daily_loss")]


def test_a_challenge_without_a_state_yet_starts_at_its_first_evaluation(rig) -> None:
    from propfirm.store.uow import UnitOfWork

    with UnitOfWork(rig.url) as uow:  # as a purchase leaves it once MT5 made the account
        trader = uow.traders.get_or_create(f"buyer@{rig.server}.example").id
        cid = uow.challenges.insert(
            trader_id=trader,
            program_id="two-step-100k",
            program_version=1,
            server=rig.server,
            login=5008,
            status="active",
            phase=0,
            state=None,
        )
        uow.commit()
    at = T0 + timedelta(minutes=1)
    rig.snapshot(5008, at, "100000", "99800")
    rig.evaluator.handle(rig.message([5008], at))
    record = rig.challenge(cid)
    assert record.state is not None and record.version == 2
    assert ChallengeState.from_dict(record.state).last_snapshot_at == at
    assert read_floor(rig.redis, rig.keys, rig.server, 5008).level == Decimal("95000")


def test_a_version_conflict_is_judged_again_from_postgresql(rig, monkeypatch) -> None:
    from propfirm.store.uow import UnitOfWork

    cid = rig.register(5009, T0)
    judge = rig.evaluator._judge
    calls = []

    def judge_while_somebody_saves(account, snapshot, deals, cycle_time):
        if not calls:  # another writer saves the challenge between our read and our commit
            with UnitOfWork(rig.url) as uow:
                uow.execute("UPDATE challenges SET version = version + 1 WHERE id = %s", (cid,))
                uow.commit()
        calls.append(account.version)
        return judge(account, snapshot, deals, cycle_time)

    monkeypatch.setattr(rig.evaluator, "_judge", judge_while_somebody_saves)
    rig.snapshot(5009, T0 + timedelta(minutes=1), "100000", "94000")
    report = rig.evaluator.handle(rig.message([5009], T0 + timedelta(minutes=1)))
    assert report.conflicts == 1 and report.transitions == 1
    assert calls == [1, 2]  # judged again on the version PostgreSQL holds
    assert rig.challenge(cid).version == 3
    assert rig.fetch("SELECT count(*) FROM phase_transitions WHERE challenge_id = %s", cid) == [(1,)]


def test_unknown_accounts_and_lost_snapshots_lose_no_deal(rig) -> None:
    cid = rig.register(5010, T0)
    at = T0 + timedelta(minutes=1)
    deals = [deal(5010, 700, at, entry="in", position=700), deal(9999, 701, at, entry="in", position=701)]
    # 5010's snapshot was lost by Redis (skipped, it comes again); 9999 has no challenge
    report = rig.evaluator.handle(rig.message([5010, 9999], at, deals))
    assert report.skipped == 1 and report.judged == 0
    assert rig.fetch(
        "SELECT ticket, challenge_id FROM deals WHERE server = %s ORDER BY ticket", rig.server
    ) == [(700, cid), (701, None)]
    state = ChallengeState.from_dict(rig.challenge(cid).state)  # a deal applied is saved at once
    assert state.open_positions == {700: Decimal("1.00")} and state.trading_days == 1
    rig.redis.set(rig.keys.snap(rig.server, 5010), b"{not json")
    assert rig.evaluator.handle(rig.message([5010], at)).judged == 0


def test_a_lagging_evaluator_closes_the_day_on_every_deal_before_the_reset(rig) -> None:
    """The poller ran ahead: when the message of the 20:01 cycle is judged, Redis already holds the account
    as the 23:05 cycle read it, past the 17:00 Chicago reset (23:00 UTC), and the 22:30 loss waits in the
    next message. The day closes at 50,100 (50,000 + 500 - 400), not at 50,500 (the win alone), which would
    have raised the trailing high-water mark and the next day's daily floor for good."""
    login = 7001
    rig.register(login, T0, program="futures-50k")
    rig.snapshot(login, T0 + timedelta(minutes=5), "50000", "50000")
    rig.evaluator.handle(rig.message([login], T0 + timedelta(minutes=5)))

    win = deal(login, 71, T0.replace(hour=20), action="sell", entry="out", profit="500", position=70)
    loss = deal(login, 73, T0.replace(hour=22, minute=30), action="sell", entry="out", profit="-400", position=72)
    cycles = [T0.replace(hour=20, minute=1), T0.replace(hour=22, minute=31), T0.replace(hour=23, minute=5)]
    messages = [rig.message([login], cycles[0], [win]), rig.message([login], cycles[1], [loss])]
    rig.snapshot(login, cycles[2], "50100", "50100")  # the poller's latest, read after both deals
    messages.append(rig.message([login], cycles[2]))

    for message in messages:
        rig.evaluator.handle(message)
    floor = read_floor(rig.redis, rig.keys, rig.server, login)
    assert floor is not None and floor.reason == "daily_loss"
    assert floor.level == Decimal("49100")  # the day's closing balance 50,100 less the $1,000 daily loss


def test_a_deal_closed_during_the_read_is_not_counted_twice_when_the_snapshot_holds_it(rig) -> None:
    """The 20:00 cycle read the account after its 20:02 win (the win is in the balance read) and sent the
    snapshot with the win, dated after it (held back the cycle before, it could not be held back again).
    The day closes at 50,500 whether the read held the win or not, never at 51,000."""
    for login, read_balance in ((7002, "50500"), (7003, "50000")):
        rig.register(login, T0, program="futures-50k")
        rig.snapshot(login, T0 + timedelta(minutes=5), "50000", "50000")
        rig.evaluator.handle(rig.message([login], T0 + timedelta(minutes=5)))

        stamp = T0.replace(hour=20)
        win = deal(login, login * 10, stamp + timedelta(minutes=2), action="sell", entry="out", profit="500",
                   position=login)
        rig.snapshot(login, stamp, read_balance, read_balance)
        rig.evaluator.handle(rig.message([login], stamp, [win]))
        state = ChallengeState.from_dict(rig.challenge(rig.fetch(
            "SELECT id FROM challenges WHERE server = %s AND login = %s", rig.server, login)[0][0]).state)
        assert state.balance + state.deals_since_snapshot == Decimal("50500"), login

        after_reset = T0.replace(hour=23, minute=5)  # past the 17:00 Chicago reset (23:00 UTC)
        rig.snapshot(login, after_reset, "50500", "50500")
        rig.evaluator.handle(rig.message([login], after_reset))
        floor = read_floor(rig.redis, rig.keys, rig.server, login)
        assert floor is not None and floor.reason == "daily_loss"
        assert floor.level == Decimal("49500"), login  # the day's closing balance 50,500 less $1,000


def test_a_snapshot_past_a_reset_waits_while_the_poller_catches_up_the_deals_before_it(rig) -> None:
    """After an outage the poller reads the deals a window per cycle: its 23:30 cycle (past the 17:00 Chicago
    reset, 23:00 UTC) sent deals up to 19:00 only, and the 20:00 loss comes with the next cycle. The day
    closes at 49,600 with the loss, so the next day's floor is 48,600; judged at once, the 23:30 snapshot
    would have closed it at 50,000 and left the floor $400 too high for the whole day."""
    login = 7004
    rig.register(login, T0, program="futures-50k")
    rig.snapshot(login, T0 + timedelta(minutes=5), "50000", "50000")
    rig.evaluator.handle(rig.message([login], T0 + timedelta(minutes=5)))

    behind = T0.replace(hour=23, minute=30)
    rig.snapshot(login, behind, "49600", "49600")
    catching_up = rig.message([login], behind).model_copy(update={"deals_until": T0.replace(hour=19)})
    assert catching_up.deals_complete == T0.replace(hour=19)
    rig.evaluator.handle(catching_up)
    assert read_floor(rig.redis, rig.keys, rig.server, login).level == Decimal("49000")  # yesterday's floor

    loss = deal(login, 75, T0.replace(hour=20), action="sell", entry="out", profit="-400", position=74)
    caught_up = T0.replace(hour=23, minute=45)
    rig.snapshot(login, caught_up, "49600", "49600")
    rig.evaluator.handle(rig.message([login], caught_up, [loss]).model_copy(update={"deals_until": caught_up}))
    floor = read_floor(rig.redis, rig.keys, rig.server, login)
    assert floor is not None and floor.reason == "daily_loss"
    assert floor.level == Decimal("48600")  # the day's closing balance 49,600 less the $1,000 daily loss
