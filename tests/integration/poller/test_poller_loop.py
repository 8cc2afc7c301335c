"""The loop's timing and the kill switch's retry."""

from __future__ import annotations

import gc
import threading
import time
from datetime import timedelta
from decimal import Decimal

from propfirm.live.floors import write_floor
from propfirm.live.keys import LiveKeys
from propfirm.live.records import FloorRecord
from propfirm.mt5.errors import Rejected
from propfirm.poller.collection import NEVER
from propfirm.sim.testing import running_simulator

from tests.instants import MONDAY_MORNING


def test_a_cycle_that_overruns_is_logged_and_the_next_starts_at_once_without_piling_up(make_poller) -> None:
    with running_simulator(start=MONDAY_MORNING, accounts=5, seed=31) as sim:
        poller = make_poller(sim)  # interval 1 s
        poller.start(with_inbox=False)
        starts: list[float] = []
        overruns: list[str] = []
        real_run = poller.cycle.run

        def slow_run():  # type: ignore[no-untyped-def]
            starts.append(time.monotonic())
            time.sleep(1.3)
            return real_run()

        poller.cycle.run = slow_run
        counted = poller.metrics.count
        poller.metrics.count = lambda name, value=1: (overruns.append(name), counted(name, value))[1]
        stop = threading.Event()
        loop = threading.Thread(target=poller.run, args=(stop,), daemon=True)
        loop.start()
        time.sleep(4.8)
        stop.set()
        loop.join(timeout=10)
        gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
        assert len(starts) >= 3
        assert all(1.3 <= gap < 1.9 for gap in gaps), gaps  # no wait for the next tick, no burst to catch up
        assert overruns.count("CycleOverruns") >= 2


def test_the_loop_paces_pythons_full_collections_and_gives_the_rule_back_when_it_stops(make_poller) -> None:
    before = gc.get_threshold()
    with running_simulator(start=MONDAY_MORNING, accounts=5, seed=33) as sim:
        poller = make_poller(sim, poller_gc_seconds=1.0)
        pauses: list[float] = []
        poller.metrics.duration = lambda name, seconds: pauses.append(seconds) if name == "GcPause" else None
        thresholds: list[tuple[int, int, int]] = []
        real_cycle = poller.run_cycle
        poller.run_cycle = lambda: (thresholds.append(gc.get_threshold()), real_cycle())[1]
        stop = threading.Event()
        loop = threading.Thread(target=poller.run, args=(stop,), daemon=True)
        loop.start()
        deadline = time.monotonic() + 20
        while len(pauses) < 2 and time.monotonic() < deadline:  # one a second, between cycles
            time.sleep(0.1)
        stop.set()
        loop.join(timeout=10)
    assert thresholds and all(t[2] == NEVER for t in thresholds)  # no full collection by allocation counts
    assert len(pauses) >= 2
    assert gc.get_threshold() == before


def test_a_kill_that_failed_is_retried_next_cycle_even_if_nothing_changed(make_poller, redis_client,
                                                                          redis_namespace) -> None:
    with running_simulator(start=MONDAY_MORNING, accounts=0, seed=32) as sim:
        world = sim.world
        login = world.create_account("challenge\\phase1", balance="100000")
        world.open_position(login, "EURUSD", "buy", "1.00")
        poller = make_poller(sim)
        poller.start(with_inbox=False)
        poller.run_cycle()
        write_floor(redis_client, LiveKeys(redis_namespace), "default", login, FloorRecord(
            level=world.account(login).equity - 100, expires_at=world.now() + timedelta(hours=1),
            reason="max_loss", breach_at="touch", action="fail", version=2), world.now())
        world.set_price("EURUSD", world.market.bid("EURUSD") - Decimal("0.0050"))
        gateway = poller.gateway
        real_close = gateway.close_all_positions
        gateway.close_all_positions = lambda account: (_ for _ in ()).throw(Rejected("market closed", 10018))
        first = poller.run_cycle()
        assert first.kills[0].close.error and "market closed" in first.kills[0].close.error
        assert first.kills[0].close.trading_disabled and world.account(login).positions

        gateway.close_all_positions = real_close
        second = poller.run_cycle()  # equity unchanged: only the retry brings the account back
        assert second.changed == 0 and [k.login for k in second.kills] == [login]
        assert second.kills[0].close.error is None and world.account(login).positions == ()
        assert poller.run_cycle().kills == []
