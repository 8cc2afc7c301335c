"""A payout through the real evaluator: the trades reach the `deals` table the way the poller sends them,
the withdrawal's result comes back as an evaluation-queue message, and the withdrawal's deal is judged by
the rule engine as the trader's balance operation, which lowers the day's floor by the amount."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

from propfirm.domain.tradingday import DayClock
from propfirm.evaluation.bootstrap import build_runtime
from propfirm.evaluation.settings import EvaluatorSettings
from propfirm.live.floors import read_floor
from propfirm.live.records import Snapshot
from propfirm.payouts import service
from propfirm.queues.messages import CommandResult, DealRecord, EvaluationMessage
from propfirm.queues.tags import balance_comment
from propfirm.settings import load

from tests.integration.payouts.conftest import Rig

LOGIN = 7201


def _deal(
    ticket: int, at: datetime, action: str, entry: str, profit: str, position: int, comment: str = ""
) -> DealRecord:
    return DealRecord(
        ticket=ticket,
        login=LOGIN,
        time=at,
        action=action,
        entry=entry,
        symbol="EURUSD" if position else "",
        volume=Decimal("1.00") if position else Decimal(0),
        price=Decimal("1.1"),
        profit=Decimal(profit),
        commission=Decimal(0),
        swap=Decimal(0),
        position=position,
        comment=comment,
    )


def _evaluator(rig: Rig):
    """The evaluator as its Lambda builds it, on the rig's database, Redis namespace and queues."""
    settings = load(
        EvaluatorSettings,
        database_url=rig.url,
        redis_namespace=rig.namespace,
        command_queue_url=rig.aws.command_queue_url,
    )
    return build_runtime(settings, sqs_client=rig.aws.sqs, redis_client=rig.redis, clock=lambda: rig.now).evaluator


def test_withdrawal_deal_is_a_balance_operation_and_the_floor_comes_back_lower(rig: Rig) -> None:
    evaluator = _evaluator(rig)
    cycle = 0

    def evaluate(at: datetime, balance: str, deals: list[DealRecord], equity: str | None = None) -> None:
        nonlocal cycle
        cycle += 1
        snap = Snapshot(
            rig.server,
            LOGIN,
            cycle,
            at,
            Decimal(balance),
            Decimal(equity or balance),
            Decimal(0),
            Decimal(0),
            () if equity is None else None,  # floating profit: positions not listed
        )
        rig.redis.set(rig.keys.snap(rig.server, LOGIN), snap.encode())
        evaluator.handle(
            EvaluationMessage(server=rig.server, cycle=cycle, shard=0, time=at, logins=[LOGIN], deals=deals)
        )

    def floor_level() -> Decimal | None:
        floor = read_floor(rig.redis, rig.keys, rig.server, LOGIN)
        return None if floor is None else floor.level

    cid = rig.challenge(LOGIN)  # funded 20 days ago at 100,000
    # every event within one trading day (00:00 Prague) of the rig's clock, which the evaluator shares
    today = DayClock(time(0, 0), "Europe/Prague").day_start(rig.now) + timedelta(hours=1)
    rig.now = today + timedelta(hours=3)
    evaluate(today, "100000", [_deal(501, today, "buy", "in", "0", 77)])
    evaluate(
        today + timedelta(hours=1),
        "101000",
        [_deal(502, today + timedelta(hours=1), "sell", "out", "1000", 77)],
    )
    assert floor_level() == Decimal(95000)  # the day's floor: 100,000 at the reset minus 5%

    payout = rig.request(cid)
    assert payout.deals == (501, 502) and payout.amount == Decimal(1000)
    rig.approve(payout.id)
    command = next(c for c in _wait_commands(rig) if c.command_id == f"payout:{payout.id}:withdraw")
    assert floor_level() == Decimal(94000)  # lowered by the amount before the command could be sent

    # snapshots judged while the command travels: the evaluator does not put the old floor back (it
    # would, had the key merely been deleted; see docs/payouts.md for the window a deal still opens)
    for minutes, equity in ((30, "100700"), (20, "100950"), (10, "101000")):
        evaluate(rig.now - timedelta(minutes=minutes), "101000", [], equity)
        assert floor_level() == Decimal(94000)

    # the poller carries it out: the result on the evaluation queue, then the deal in the next cycle
    evaluator.handle(
        CommandResult(
            command_id=command.command_id,
            type="balance_operation",
            server=rig.server,
            login=LOGIN,
            ok=True,
            time=rig.now,
            details={"deal": 503},
        )
    )
    withdrawal = _deal(503, rig.now - timedelta(minutes=1), "balance", "in", "-1000", 0, balance_comment(command))
    evaluate(rig.now, "100000", [withdrawal])
    with rig.uow() as uow:
        role = uow.fetchone("SELECT role FROM deals WHERE server = %s AND ticket = 503", (rig.server,))[0]
        state = uow.challenges.get(cid)
    assert role == "balance_operation"  # the trader's balance operation, not a system deal
    assert state.status == "active"
    assert floor_level() == Decimal(94000)  # renewed, moved down by the withdrawal: no false kill

    rig.run_until(rig.status_is(payout.id, service.PAID))
    assert rig.get(payout.id).withdrawal_deal == 503
    assert service.check_eligibility(rig.uow(), cid, rig.now).quote.deals == ()  # the next period is empty


def _wait_commands(rig: Rig) -> list:
    found: list = []
    rig.run_until(lambda: bool(found.extend(rig.take_commands()) or found))
    return found


def test_a_program_that_rebases_records_the_rebase_and_publishes_the_restarted_floor(rig: Rig) -> None:
    from propfirm.domain.programs import parse_program
    from propfirm.store.registration import register_account_challenge

    program = parse_program(
        {
            "id": f"rebasing-{rig.server}",
            "account_size": "100000",
            "day_reset": {"time": "00:00", "zone": "UTC"},
            "phases": [
                {
                    "name": "funded",
                    "group": "funded\\rebase",
                    "funded": True,
                    "max_loss_pct": 6,
                    "max_loss_mode": "trailing_balance",
                    "profit_split_pct": 80,
                    "payout_rebase": True,
                }
            ],
        }
    )
    with rig.uow() as uow:
        uow.programs.add(program)
        cid = register_account_challenge(uow, rig.server, LOGIN, program.id, 0, time=rig.now - timedelta(days=3))
        uow.commit()
    evaluator = _evaluator(rig)
    start = DayClock(time(0, 0), "UTC").day_start(rig.now) + timedelta(minutes=5)
    for cycle, (minutes, balance, deals) in enumerate(
        (
            (0, "100000", [_deal(601, start, "buy", "in", "0", 88)]),
            (10, "103000", [_deal(602, start + timedelta(minutes=9), "sell", "out", "3000", 88)]),
            (20, "100000", [_deal(603, start + timedelta(minutes=19), "balance", "in", "-3000", 0, "payout 41")]),
        ),
        start=1,
    ):
        at = start + timedelta(minutes=minutes)
        snap = Snapshot(rig.server, LOGIN, cycle, at, Decimal(balance), Decimal(balance), Decimal(0), Decimal(0), ())
        rig.redis.set(rig.keys.snap(rig.server, LOGIN), snap.encode())
        evaluator.handle(
            EvaluationMessage(server=rig.server, cycle=cycle, shard=0, time=at, logins=[LOGIN], deals=deals)
        )
        if cycle == 2:
            assert read_floor(rig.redis, rig.keys, rig.server, LOGIN).level == Decimal(97000)
    with rig.uow() as uow:
        rows = uow.fetchall(
            'SELECT decision, reason, "limit", from_phase, to_phase FROM phase_transitions WHERE challenge_id = %s',
            (cid,),
        )
        status = uow.challenges.get(cid).status
        commands = uow.fetchall("SELECT kind FROM outbox WHERE challenge_id = %s", (cid,))
    assert rows == [("rebased", "payout", Decimal(94000), 0, 0)]  # a transition of its own, recorded
    assert status == "active" and commands == []  # nothing to do on MT5
    assert read_floor(rig.redis, rig.keys, rig.server, LOGIN).level == Decimal(94000)  # the whole room again
