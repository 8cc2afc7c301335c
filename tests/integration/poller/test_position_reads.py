"""Which open positions a cycle reads: every one at the start and every POLLER_POSITIONS_FULL_SECONDS, between
those only the accounts that dealt, and every cycle the groups that judge a position's current result (the
simulator over HTTP, real Redis, SQS in moto; the poller's clock moved by the test)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from propfirm.domain.programs import load_example_programs
from propfirm.live.keys import LiveKeys
from propfirm.live.records import Snapshot
from propfirm.sim.testing import running_simulator

from tests.instants import MONDAY_MORNING

PHASE1 = "challenge\\phase1"  # two-step-100k: no rule on a position's result
STEADY1 = "challenge\\steady1"  # steady-two-step-100k: a per-trade loss limit (max_trade_loss_pct)


def recorded_position_reads(poller: Any) -> list[tuple[str, list[Any]]]:
    """Each position read the cycle asks of MT5: ("groups", masks) or ("logins", logins)."""
    calls: list[tuple[str, list[Any]]] = []
    gateway = poller.gateway
    by_groups, by_logins = gateway.position_rows, gateway.position_rows_of

    def rows(groups: Any) -> Any:
        calls.append(("groups", list(groups)))
        return by_groups(groups)

    def rows_of(logins: Any) -> Any:
        calls.append(("logins", sorted(logins)))
        return by_logins(logins)

    gateway.position_rows, gateway.position_rows_of = rows, rows_of
    return calls


def snapshot(redis_client: Any, namespace: str, login: int) -> Snapshot:
    return Snapshot.decode(redis_client.get(LiveKeys(namespace).snap("default", login)))


def test_between_full_reads_only_the_accounts_that_dealt_are_read_again(make_poller, queues, redis_client,
                                                                         redis_namespace) -> None:
    now = [0.0]
    with running_simulator(start=MONDAY_MORNING, accounts=0, seed=5) as sim:
        world = sim.world
        opener, holder, closer = (world.create_account(PHASE1, balance="100000") for _ in range(3))
        world.open_position(holder, "EURUSD", "buy", "1.00")
        closing = world.open_position(closer, "GBPUSD", "sell", "1.00")
        poller = make_poller(sim, poller_positions="always", poller_tick_interval_seconds=0,
                             poller_positions_full_seconds=30, clock=lambda: now[0],
                             programs=[load_example_programs()["two-step-100k"]])
        poller.start(with_inbox=False)
        assert poller.plan.current_position_groups == []  # no rule on a position's current result
        calls = recorded_position_reads(poller)
        poller.run_cycle()
        assert calls == [("groups", poller.plan.position_groups)]  # the first cycle reads every position
        assert [p.symbol for p in snapshot(redis_client, redis_namespace, holder).positions] == ["EURUSD"]

        calls.clear()
        now[0] += 2
        poller.run_cycle()
        assert calls == []  # nothing dealt: no position read at all

        world.open_position(opener, "USDJPY", "buy", "2.00")
        world.close_position(closer, closing)
        world.set_price("EURUSD", world.market.bid("EURUSD") + Decimal("0.0010"))  # the holder's equity moves
        now[0] += 2
        report = poller.run_cycle()
        assert calls == [("logins", sorted([opener, closer]))]
        assert report.changed == 3 and not report.positions_whole and report.positions_read_again == 2
        opened = snapshot(redis_client, redis_namespace, opener).positions
        assert [(p.symbol, p.volume, p.side) for p in opened] == [("USDJPY", Decimal("2.00"), "buy")]
        assert snapshot(redis_client, redis_namespace, closer).positions == ()
        held = snapshot(redis_client, redis_namespace, holder)
        assert [(p.symbol, p.volume) for p in held.positions] == [("EURUSD", Decimal("1.00"))]  # carried
        assert held.equity == world.account(holder).equity  # the account's own figures are read every cycle

        calls.clear()
        now[0] += 30
        assert poller.run_cycle().positions_whole
        assert calls == [("groups", poller.plan.position_groups)]  # the full read is due again


def test_the_groups_judging_a_positions_result_are_read_whole_every_cycle(make_poller, queues, redis_client,
                                                                          redis_namespace) -> None:
    now = [0.0]
    with running_simulator(start=MONDAY_MORNING, accounts=0, seed=6) as sim:
        world = sim.world
        steady = world.create_account(STEADY1, balance="100000")
        ticket = world.open_position(steady, "EURUSD", "buy", "1.00")
        poller = make_poller(sim, poller_positions="always", poller_tick_interval_seconds=0,
                             poller_positions_full_seconds=30, clock=lambda: now[0])
        poller.start(with_inbox=False)
        assert any(mask.lower() == STEADY1 for mask in poller.plan.current_position_groups)
        assert not any(mask.lower() == PHASE1 for mask in poller.plan.current_position_groups)
        calls = recorded_position_reads(poller)
        poller.run_cycle()
        first = snapshot(redis_client, redis_namespace, steady).positions[0]
        calls.clear()
        world.set_price("EURUSD", world.market.bid("EURUSD") - Decimal("0.0020"))
        now[0] += 2
        poller.run_cycle()
        assert calls == [("groups", poller.plan.current_position_groups)]
        moved = snapshot(redis_client, redis_namespace, steady).positions[0]
        assert moved.price == first.price - Decimal("0.0020")  # its result as MT5 has it now, not carried
        assert moved.profit is not None and first.profit is not None and moved.profit < first.profit

        world.close_position(steady, ticket)  # the group's read no longer lists it: flat, not carried
        calls.clear()
        now[0] += 2
        poller.run_cycle()
        assert calls == [("groups", poller.plan.current_position_groups)]
        assert snapshot(redis_client, redis_namespace, steady).positions == ()


@pytest.mark.parametrize("full_seconds", [0, 30])
def test_a_failed_cycle_reads_every_position_in_the_next(make_poller, queues, redis_client, redis_namespace,
                                                         full_seconds: int) -> None:
    now = [0.0]
    with running_simulator(start=MONDAY_MORNING, accounts=4, seed=7) as sim:
        poller = make_poller(sim, poller_positions="always", poller_tick_interval_seconds=0,
                             poller_positions_full_seconds=full_seconds, clock=lambda: now[0])
        poller.start(with_inbox=False)
        poller.run_cycle()
        calls = recorded_position_reads(poller)
        store = poller.cycle.store
        write = store.write_cycle

        def refused(*args: Any, **kwargs: Any) -> Any:
            raise ConnectionError("Redis away")

        store.write_cycle = refused
        now[0] += 2
        with pytest.raises(ConnectionError):
            poller.run_cycle()
        store.write_cycle = write
        calls.clear()
        now[0] += 2
        poller.run_cycle()
        assert calls == [("groups", poller.plan.position_groups)]
