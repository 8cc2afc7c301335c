"""The poller against the simulator over HTTP, real Redis and SQS in moto."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import orjson
import pytest
from propfirm.live.floors import write_floor
from propfirm.live.keys import LiveKeys
from propfirm.live.records import FloorRecord, Snapshot
from propfirm.mt5.settings import Mt5Settings, gateway_from_settings
from propfirm.poller.startup import MissingGroups
from propfirm.poller.triggers import trigger_of
from propfirm.settings import load
from propfirm.sim.testing import running_simulator

from tests.instants import MONDAY_MORNING

PHASE1 = "challenge\\phase1"


def floor_at(level: Decimal, expires_at, version: int = 1, breach_at: str = "touch") -> FloorRecord:
    return FloorRecord(level=level, expires_at=expires_at, reason="daily_loss", breach_at=breach_at,  # type: ignore[arg-type]
                       action="fail", version=version)


def _session(sim):  # type: ignore[no-untyped-def]
    """A further MT5 session on the simulator, as the poller opens for its tick path and its kill sessions."""
    return gateway_from_settings(load(Mt5Settings, url=sim.url, manager_login=sim.manager_login,
                                      manager_password=sim.manager_password))


def test_changed_accounts_are_written_to_redis_and_named_in_one_message_per_shard(
        make_poller, queues, redis_client, redis_namespace) -> None:
    with running_simulator(start=MONDAY_MORNING, accounts=40, seed=3) as sim:
        poller = make_poller(sim, poller_shard_count=4)
        poller.start(with_inbox=False)
        first = poller.run_cycle()
        assert first.accounts == 40 and first.changed == 40
        messages = [m for m in queues.drain() if m["kind"] == "evaluation"]
        assert sorted({m["shard"] for m in messages}) == [0, 1, 2, 3] and len(messages) == 4
        named = sorted(login for m in messages for login in m["logins"])
        assert len(named) == 40
        keys = LiveKeys(redis_namespace)
        snap = Snapshot.decode(redis_client.get(keys.snap("default", named[0])))
        assert snap.cycle == 1 and snap.login == named[0]
        # an unchanged world: nothing to send; a trade: that account only
        assert poller.run_cycle().changed == 0
        login = named[5]
        sim.world.open_position(login, "EURUSD", "buy", "1.00")
        third = poller.run_cycle()
        assert third.changed == 1 and third.new_deals == 1
        [message] = [m for m in queues.drain() if m["kind"] == "evaluation"]
        assert message["logins"] == [login] and message["deals"][0]["entry"] == "in"
        assert message["cycle"] == 3
        state = redis_client.hgetall(keys.poller_state("default"))
        assert int(state[b"cycle"]) == 3
        heartbeat = orjson.loads(redis_client.get(keys.heartbeat("default")))
        assert heartbeat["cycle"] == 2  # the last cycle that completed before this pipeline
        assert 0 <= heartbeat["duration_seconds"] < 60  # its own time (the admin's system page shows it)


def test_a_breached_account_is_closed_within_one_cycle(make_poller, queues, redis_client,
                                                       redis_namespace) -> None:
    with running_simulator(start=MONDAY_MORNING, accounts=5, seed=4) as sim:
        world = sim.world
        login = world.create_account(PHASE1, balance="100000")
        world.open_position(login, "EURUSD", "buy", "2.00")
        world.open_position(login, "GBPUSD", "buy", "1.00")
        poller = make_poller(sim)
        poller.start(with_inbox=False)
        poller.run_cycle()
        queues.drain()
        equity = world.account(login).equity
        now = world.now()
        keys = LiveKeys(redis_namespace)
        write_floor(redis_client, keys, "default", login, floor_at(equity - 500, now + timedelta(hours=3)), now)
        world.set_price("EURUSD", world.market.bid("EURUSD") - Decimal("0.0050"))  # about -1,000
        assert world.account(login).equity < equity - 500

        report = poller.run_cycle()

        assert [k.login for k in report.kills] == [login]
        assert world.account(login).positions == ()
        assert world.get_account(login).trade_disabled
        [kill] = [m for m in queues.drain() if m["kind"] == "kill"]
        assert kill["login"] == login and kill["reason"] == "daily_loss"
        assert kill["close"]["trading_disabled"] and len(kill["close"]["closed"]) == 2
        assert Decimal(kill["equity"]) <= Decimal(kill["floor"]["level"])
        # equity stays under the floor after the close: no second kill for the same floor
        world.set_price("EURUSD", world.market.bid("EURUSD") - Decimal("0.0010"))
        assert poller.run_cycle().kills == []


def test_an_expired_missing_or_untouched_floor_never_kills(make_poller, redis_client,
                                                          redis_namespace) -> None:
    with running_simulator(start=MONDAY_MORNING, accounts=0, seed=5) as sim:
        world = sim.world
        logins = [world.create_account(PHASE1, balance="100000") for _ in range(3)]
        for login in logins:
            world.open_position(login, "EURUSD", "buy", "1.00")
        poller = make_poller(sim)
        poller.start(with_inbox=False)
        poller.run_cycle()
        keys = LiveKeys(redis_namespace)
        now = world.now()
        expired, below_rule, _missing = logins
        # expired on the server's clock, still present in Redis (written without an expiry)
        redis_client.set(keys.floor("default", expired),
                         floor_at(Decimal("200000"), now - timedelta(seconds=1)).encode())
        world.set_price("EURUSD", world.market.bid("EURUSD") - Decimal("0.0020"))
        equity = world.account(below_rule).equity
        write_floor(redis_client, keys, "default", below_rule,
                    floor_at(equity, now + timedelta(hours=1), breach_at="below"), now)  # equal is not below
        report = poller.run_cycle()
        assert report.changed == 3 and report.kills == []
        assert all(world.account(login).positions for login in logins)


def test_a_missing_group_refuses_the_start_and_names_each_one(make_poller) -> None:
    with running_simulator(start=MONDAY_MORNING, accounts=0, groups=["challenge\\phase1", "funded\\standard"]) as sim:
        poller = make_poller(sim)
        with pytest.raises(MissingGroups) as refused:
            poller.start(with_inbox=False)
        assert "challenge\\phase2" in refused.value.missing and "challenge\\onestep" in refused.value.missing
        assert "challenge\\phase1" not in refused.value.missing
        assert "'challenge\\\\phase2'" in str(refused.value)


# -- the tick path ------------------------------------------------------------------------------------------
MIXED = (("EURUSD", "buy", "2.00"), ("USDJPY", "sell", "1.00"))  # valued at every quote: no trigger price


def _armed(make_poller, sim, redis_namespace, redis_client, positions=MIXED, **settings):
    """A poller with the tick path on, one account holding `positions` (by default 2 lots of EURUSD and 1
    of USDJPY), and its floor 500 under its equity."""
    world = sim.world
    login = world.create_account(PHASE1, balance="100000")
    for symbol, side, lots in positions:
        world.open_position(login, symbol, side, lots)
    poller = make_poller(sim, **settings)
    poller.start(with_inbox=False)
    poller.run_cycle()
    equity = world.account(login).equity
    now = world.now()
    write_floor(redis_client, LiveKeys(redis_namespace), "default", login,
                floor_at(equity - 500, now + timedelta(hours=3)), now)
    poller.run_cycle()  # the floor is read back with the account's positions
    return world, login, poller, equity


def _move(world, symbol: str, by: str, seconds: float = 0.2) -> None:
    """A new quote `seconds` later on the simulated clock (the simulator's clock is frozen in these tests)."""
    world.clock.advance(timedelta(seconds=seconds))
    world.set_price(symbol, world.market.bid(symbol) + Decimal(by))


def test_a_dip_between_two_full_reads_is_caught_by_the_tick_path(make_poller, queues, redis_client,
                                                                 redis_namespace) -> None:
    with running_simulator(start=MONDAY_MORNING, accounts=5, seed=4) as sim:
        world, login, poller, equity = _armed(make_poller, sim, redis_namespace, redis_client)
        queues.drain()
        # the estimate agrees with MT5 at the read (contract size, the JPY profit converted at USDJPY)
        assert poller.cycle.last_drift is not None and poller.cycle.last_drift < Decimal("0.02")
        assert poller.poll_prices().ticks == 0  # nothing quoted since the read
        _move(world, "EURUSD", "-0.0010")  # about -200: above the floor
        quiet = poller.poll_prices()
        assert (quiet.ticks, quiet.estimated, quiet.checked, quiet.kills) == (1, 1, 0, [])
        _move(world, "EURUSD", "-0.0020")  # about -600 in all: through it
        report = poller.poll_prices()
        assert report.ticks == 1 and report.checked == 1
        assert [k.login for k in report.kills] == [login]
        assert world.account(login).positions == () and world.get_account(login).trade_disabled
        [kill] = [m for m in queues.drain() if m["kind"] == "kill"]
        assert kill["login"] == login and Decimal(kill["equity"]) <= Decimal(kill["floor"]["level"])
        # the price recovers before the next full read: the account was caught anyway, and only once
        _move(world, "EURUSD", "0.0030")
        assert poller.poll_prices().kills == [] and poller.run_cycle().kills == []


def test_one_symbol_books_are_screened_by_their_trigger_price_and_caught_at_it(make_poller, queues, redis_client,
                                                                                redis_namespace) -> None:
    with running_simulator(start=MONDAY_MORNING, accounts=5, seed=4) as sim:
        world, long, poller, _ = _armed(make_poller, sim, redis_namespace, redis_client,
                                        positions=(("EURUSD", "buy", "1.00"), ("EURUSD", "buy", "1.00")))
        short = world.create_account(PHASE1, balance="100000")
        world.open_position(short, "EURUSD", "sell", "1.00")
        equity = world.account(short).equity
        write_floor(redis_client, LiveKeys(redis_namespace), "default", short,
                    floor_at(equity - 300, world.now() + timedelta(hours=3)), world.now())
        poller.run_cycle()
        watch = poller.prices
        assert {long, short} <= watch.triggers.logins and watch.dependents == {}  # no book valued at each quote
        long_at = next(t for login, t in _triggers(watch) if login == long)
        assert long_at.buy and long_at.price < world.market.bid("EURUSD")
        queues.drain()
        _move(world, "EURUSD", "-0.0015")  # the long loses ~300: above its floor; the short gains
        quiet = poller.poll_prices()
        assert (quiet.estimated, quiet.checked, quiet.kills) == (2, 0, [])
        _move(world, "EURUSD", "0.0050")  # the long is back up; the short loses ~350 net: through its floor
        report = poller.poll_prices()
        assert report.checked == 1 and [k.login for k in report.kills] == [short]
        _move(world, "EURUSD", "-0.0080")  # the long through its floor
        report = poller.poll_prices()
        assert [k.login for k in report.kills] == [long] and world.account(long).positions == ()


def test_a_book_that_holds_the_same_keeps_its_trigger_and_a_new_floor_moves_it(make_poller, queues, redis_client,
                                                                                redis_namespace) -> None:
    """Prices move between reads, but a book's balance, positions and floor seldom do: the next read keeps
    the book and its trigger price; a new floor (or a deal) builds them again."""
    with running_simulator(start=MONDAY_MORNING, accounts=5, seed=4) as sim:
        world, login, poller, equity = _armed(make_poller, sim, redis_namespace, redis_client,
                                              positions=(("EURUSD", "buy", "2.00"),))
        watch = poller.prices
        book, trigger = watch.books[login], watch.triggers.by_login[login]
        _move(world, "EURUSD", "0.0004")  # its equity changes, what it holds does not
        poller.run_cycle()
        assert watch.books[login] is book and watch.triggers.by_login[login] is trigger
        write_floor(redis_client, LiveKeys(redis_namespace), "default", login,
                    floor_at(equity - 100, world.now() + timedelta(hours=3), version=2), world.now())
        poller.run_cycle()
        moved = watch.triggers.by_login[login]
        assert watch.books[login] is not book and moved.price > trigger.price  # 400 nearer: a higher bid
        assert [t for lg, t in _triggers(watch) if lg == login] == [moved]
        _move(world, "EURUSD", "-0.0010")  # about -120 from the start: through the new floor, not the old one
        assert [k.login for k in poller.poll_prices().kills] == [login]


def _triggers(watch):
    return [(login, trigger_of(book.base, book.currency, book.positions, book.floor.level, watch.specs.get))
            for login, book in watch.books.items() if book.floor is not None]


def test_a_move_of_the_conversion_rate_revalues_the_positions_it_converts(make_poller, queues, redis_client,
                                                                         redis_namespace) -> None:
    with running_simulator(start=MONDAY_MORNING, accounts=5, seed=4) as sim:
        world, login, poller, equity = _armed(make_poller, sim, redis_namespace, redis_client)
        before = poller.prices.books[login].estimate or poller.prices._estimate(poller.prices.books[login])
        _move(world, "USDJPY", "1.500")  # the sell loses about 1,000 USD: through the floor
        report = poller.poll_prices()
        assert report.estimated == 1 and [k.login for k in report.kills] == [login], (before, report)


def test_a_book_a_moved_quote_could_not_value_was_not_watched_between_the_reads(make_poller, queues, redis_client,
                                                                              redis_namespace) -> None:
    """A slow cycle the tick path polled through is blind only where it did not look (propfirm.live.blind): a
    book it valued at every move was watched; one whose rate had no quote when its price moved was not."""
    with running_simulator(start=MONDAY_MORNING, accounts=5, seed=4) as sim:
        world, login, poller, equity = _armed(make_poller, sim, redis_namespace, redis_client)
        watch = poller.prices
        _move(world, "EURUSD", "-0.0001")
        poller.poll_prices()
        poller.run_cycle()  # the hand-over: the books polled since the last one are now those before it
        assert login in watch.watched_through(watch.previous_books, world.now())
        # its floor runs out first
        assert login not in watch.watched_through(watch.previous_books, world.now() + timedelta(hours=4))
        del watch.quotes["USDJPY"]  # the rate converting its USDJPY profit: not quoted yet
        _move(world, "EURUSD", "-0.0001")
        assert poller.poll_prices().estimated == 1 and login in watch.unvalued
        poller.run_cycle()
        assert login not in watch.watched_through(watch.previous_books, world.now())


def test_an_estimate_at_the_floor_reads_mt5_and_never_kills_on_its_own(make_poller, queues, redis_client,
                                                                       redis_namespace) -> None:
    with running_simulator(start=MONDAY_MORNING, accounts=5, seed=4) as sim:
        world, login, poller, equity = _armed(make_poller, sim, redis_namespace, redis_client)
        queues.drain()
        poller.prices.books[login].base -= Decimal(1000)  # a model wrong by 1,000: its estimate is under
        _move(world, "EURUSD", "0.00001")
        report = poller.poll_prices()
        assert report.checked == 1 and report.kills == []  # MT5's equity is above the floor: no kill
        assert world.account(login).positions != ()
        assert [m for m in queues.drain() if m["kind"] == "kill"] == []


def test_a_stale_tick_is_refused(make_poller, queues, redis_client, redis_namespace) -> None:
    with running_simulator(start=MONDAY_MORNING, accounts=5, seed=4) as sim:
        world, login, poller, equity = _armed(make_poller, sim, redis_namespace, redis_client,
                                              poller_tick_max_age_seconds=5)
        queues.drain()
        # a quote older than the bound on the server's clock: the price fell, but it is 30 s old
        world.clock.advance(timedelta(seconds=30))
        poller.prices._server_now = (world.now(), poller.prices.clock())
        _move(world, "EURUSD", "-0.0030", seconds=0)
        world.quote_times["EURUSD"] -= 30_000
        stale = poller.poll_prices()
        assert stale.refused >= 1 and (stale.ticks, stale.kills) == (0, [])
        assert world.account(login).positions != ()
        # the same price quoted now is fresh: the tick path acts on it
        _move(world, "EURUSD", "0", seconds=0.1)
        fresh = poller.poll_prices()
        assert fresh.ticks == 1 and [k.login for k in fresh.kills] == [login]
        poller.prices.version = 0  # ask for every quote again: the same EURUSD quote is not newer
        again = poller.poll_prices()
        assert again.refused >= 1 and again.ticks == 0


def test_the_tick_path_is_off_at_zero(make_poller, redis_client, redis_namespace) -> None:
    with running_simulator(start=MONDAY_MORNING, accounts=5, seed=4) as sim:
        poller = make_poller(sim, poller_tick_interval_seconds=0)
        poller.start(with_inbox=False)
        poller.run_cycle()
        assert poller.prices is None and poller.poll_prices() is None
        assert poller.plan.position_groups != poller.plan.groups  # "auto" reads only what rules need


def test_the_tick_path_runs_on_its_own_session_and_thread_while_the_loop_waits(
        make_poller, queues, redis_client, redis_namespace) -> None:
    import threading
    import time

    with running_simulator(start=MONDAY_MORNING, accounts=5, seed=4) as sim:
        world = sim.world
        login = world.create_account(PHASE1, balance="100000")
        world.open_position(login, "EURUSD", "buy", "2.00")
        equity = world.account(login).equity
        write_floor(redis_client, LiveKeys(redis_namespace), "default", login,
                    floor_at(equity - 500, world.now() + timedelta(hours=3)), world.now())
        poller = make_poller(sim, poller_interval_seconds=30.0)  # one cycle in the test's time
        poller.tick_gateway = _session(sim)
        cycles: list[int] = []
        original = poller.run_cycle
        poller.run_cycle = lambda: cycles.append(1) or original()  # type: ignore[method-assign]
        stop = threading.Event()
        loop = threading.Thread(target=poller.run, args=(stop,), daemon=True)
        loop.start()
        try:
            deadline = time.monotonic() + 20
            while not (cycles and poller.prices is not None and poller.prices.books) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert poller._tick_thread is not None and poller._tick_thread.is_alive()
            _move(world, "EURUSD", "-0.0030")  # about -600: through the floor, between two full reads
            while world.account(login).positions and time.monotonic() < deadline:
                time.sleep(0.05)
            assert world.account(login).positions == () and len(cycles) == 1  # the tick path, not a cycle
        finally:
            stop.set()
            loop.join(timeout=30)
        assert not loop.is_alive() and poller._tick_thread is None
        kills = [m for m in queues.drain() if m["kind"] == "kill"]
        assert [k["login"] for k in kills] == [login]


def test_a_cycles_hand_over_never_holds_a_tick_poll_up(make_poller, queues, redis_client, redis_namespace) -> None:
    """The next read's books are built off the watch's lock: while a cycle is handing them over, the tick path
    still values the last read's books and kills on them (at 100,000 accounts the hand-over is about a
    second of CPU)."""
    import threading

    with running_simulator(start=MONDAY_MORNING, accounts=5, seed=4) as sim:
        tick_gateway = _session(sim)
        world, login, poller, equity = _armed(make_poller, sim, redis_namespace, redis_client)
        poller.close()  # the same account and floor, now with a tick session of its own
        poller = make_poller(sim)
        poller.tick_gateway = tick_gateway
        poller.start(with_inbox=False)
        poller.run_cycle()
        watch = poller.prices
        assert watch is not None and login in watch.books
        staging, release = threading.Event(), threading.Event()
        original = watch._stage

        def slow_stage(*args):  # type: ignore[no-untyped-def]
            staging.set()
            assert release.wait(20)
            return original(*args)

        watch._stage = slow_stage  # type: ignore[method-assign]
        cycle = threading.Thread(target=poller.run_cycle, daemon=True)
        cycle.start()
        try:
            assert staging.wait(20)  # the cycle is in its hand-over
            _move(world, "EURUSD", "-0.0030")  # about -600 in all: through the floor
            report = poller.poll_prices()
            assert [k.login for k in report.kills] == [login] and world.account(login).positions == ()
        finally:
            release.set()
            cycle.join(timeout=30)
        assert not cycle.is_alive() and login in watch.books  # handed over: the read made before the kill
        poller.run_cycle()
        assert login not in watch.books  # the next read: nothing held any more
        poller.close()


def test_the_accounts_one_quote_takes_to_their_floors_are_killed_at_once(make_poller, queues, redis_client,
                                                                          redis_namespace) -> None:
    """A crash through many floors: each account is read and killed on a kill session of its own, at once (a
    barrier in MT5's disable-trading call lets none through until all four are in it), each once."""
    import threading

    with running_simulator(start=MONDAY_MORNING, accounts=5, seed=4) as sim:
        world = sim.world
        logins = [world.create_account(PHASE1, balance="100000") for _ in range(4)]
        for login in logins:
            world.open_position(login, "XAUUSD", "buy", "1.00")
        barrier = threading.Barrier(4, timeout=20)
        used: set[int] = set()

        def session():  # type: ignore[no-untyped-def]
            gateway = _session(sim)
            disable = gateway.disable_trading

            def waiting_disable(account):  # type: ignore[no-untyped-def]
                used.add(id(gateway))
                barrier.wait()  # broken (an error) unless four kills are in MT5 together
                return disable(account)

            gateway.disable_trading = waiting_disable  # type: ignore[method-assign]
            return gateway

        poller = make_poller(sim, poller_kill_sessions=3)
        poller.tick_gateway, poller.open_session = session(), session
        poller.start(with_inbox=False)
        poller.run_cycle()
        now = world.now()
        for login in logins:
            equity = world.account(login).equity
            write_floor(redis_client, LiveKeys(redis_namespace), "default", login,
                        floor_at(equity - 500, now + timedelta(hours=3)), now)
        poller.run_cycle()  # the floors read back with the positions
        queues.drain()
        assert len(poller.kill_gateways) == 3
        _move(world, "XAUUSD", "-6.00")  # 600 down on each: all four through their floors at one quote
        report = poller.poll_prices()
        assert sorted(k.login for k in report.kills) == sorted(logins) and len(used) == 4
        assert all(world.account(login).positions == () for login in logins)
        kills = [m for m in queues.drain() if m["kind"] == "kill"]
        assert sorted(k["login"] for k in kills) == sorted(logins)
        assert poller.poll_prices().kills == [] and poller.run_cycle().kills == []  # each once
        poller.close()
        assert poller.kill_gateways == []


def test_an_account_being_killed_on_one_session_is_not_killed_again_on_another() -> None:
    import threading

    from propfirm.poller.fast_path import Breach, KillSwitch

    with running_simulator(start=MONDAY_MORNING, accounts=2, seed=4) as sim:
        login = sim.world.create_account(PHASE1, balance="100000")
        sim.world.open_position(login, "EURUSD", "buy", "1.00")

        first_gateway = _session(sim)
        inside, release = threading.Event(), threading.Event()
        disable = first_gateway.disable_trading

        def held_disable(account):  # type: ignore[no-untyped-def]
            inside.set()
            assert release.wait(20)
            return disable(account)

        first_gateway.disable_trading = held_disable  # type: ignore[method-assign]
        first = KillSwitch(first_gateway, "default")
        second = first.over(_session(sim))
        breach = Breach(login, Decimal("90000"), floor_at(Decimal("95000"), sim.world.now() + timedelta(hours=1)))
        results: list = []
        killing = threading.Thread(target=lambda: results.append(first.kill_once(breach)))
        killing.start()
        assert inside.wait(20)
        assert second.kill_once(breach) is None  # the first is at it
        release.set()
        killing.join(20)
        [result] = results
        assert result is not None and result.trading_disabled and len(result.closed) == 1
        assert second.kill_once(breach) is None and second.already_killed(breach)  # and done: once


def test_a_kill_closes_the_positions_before_it_confirms_that_trading_is_disabled() -> None:
    """Disabling trading is not read back before the closes (a round trip the positions would wait); the
    confirmation after them reads it, and writes it again when MT5 left the rights as they were."""
    from propfirm.poller.fast_path import Breach, KillSwitch

    with running_simulator(start=MONDAY_MORNING, accounts=0, seed=5) as sim:
        gateway = _session(sim)
        calls: list[str] = []
        for name in ("disable_trading", "close_all_positions", "update_account"):
            step = getattr(gateway, name)
            setattr(gateway, name, lambda *args, step=step, name=name: (calls.append(name), step(*args))[1])
        expires = sim.world.now() + timedelta(hours=1)
        login = sim.world.create_account(PHASE1, balance="100000")
        sim.world.open_position(login, "EURUSD", "buy", "1.00")
        sim.world.open_position(login, "USDJPY", "sell", "0.50")
        floor = floor_at(Decimal("95000"), expires)
        result = KillSwitch(gateway, "default").kill(Breach(login, Decimal("90000"), floor))
        assert calls == ["disable_trading", "close_all_positions", "update_account"]
        assert result.error is None and result.trading_disabled and len(result.closed) == 2
        assert sim.world.get_account(login).trade_disabled and sim.world.account(login).positions == ()

        left = sim.world.create_account(PHASE1, balance="100000")  # MT5 leaves its rights as they were
        sim.world.open_position(left, "EURUSD", "buy", "1.00")
        gateway.disable_trading = lambda account: calls.append("disable_trading (not taken)")  # type: ignore
        calls.clear()
        result = KillSwitch(gateway, "default").kill(Breach(left, Decimal("90000"), floor))
        assert calls == ["disable_trading (not taken)", "close_all_positions", "update_account"]
        assert result.error is None and result.trading_disabled and sim.world.get_account(left).trade_disabled


def _polled_once(sim, login: int, make_poller, queues, redis_client, redis_namespace):
    """A started poller after one cycle, its keys, and `login`'s snapshot from that cycle (queues drained)."""
    poller = make_poller(sim)
    poller.start(with_inbox=False)
    poller.run_cycle()
    keys = LiveKeys(redis_namespace)
    before = Snapshot.decode(redis_client.get(keys.snap("default", login)))
    queues.drain()
    return poller, keys, before


def test_an_account_dealing_during_the_read_sends_its_deals_and_its_snapshot_next_cycle(
        make_poller, queues, redis_client, redis_namespace, monkeypatch) -> None:
    """The snapshot is stamped with the cycle's start; a deal made while the states are read may be in the
    balance read and dated after that stamp, which the engine would count again. Such an account sends only
    its deals that cycle (the engine adds them to its last snapshot, exactly), and its snapshot the next."""
    with running_simulator(start=MONDAY_MORNING, accounts=0, seed=6, speed=0) as sim:
        world = sim.world
        login = world.create_account(PHASE1, balance="100000")
        ticket = world.open_position(login, "EURUSD", "buy", "1.00")
        poller, keys, before = _polled_once(sim, login, make_poller, queues, redis_client, redis_namespace)
        world.set_price("EURUSD", "1.09000")
        gateway = poller.cycle.gateway
        read_states = gateway.account_rows

        def a_close_during_the_read(groups):
            world.clock.advance(timedelta(seconds=2))  # after the cycle read the server's clock
            world.close_position(login, ticket)
            return read_states(groups)

        monkeypatch.setattr(gateway, "account_rows", a_close_during_the_read)
        poller.run_cycle()
        monkeypatch.setattr(gateway, "account_rows", read_states)
        held = Snapshot.decode(redis_client.get(keys.snap("default", login)))
        assert held == before  # no snapshot holding the close, stamped before it
        [message] = [m for m in queues.drain() if m["kind"] == "evaluation"]
        assert message["logins"] == [login] and [d["entry"] for d in message["deals"]] == ["out"]
        world.clock.advance(timedelta(seconds=2))
        poller.run_cycle()
        after = Snapshot.decode(redis_client.get(keys.snap("default", login)))
        assert after.balance == world.account(login).balance and after.time > held.time
        [message] = [m for m in queues.drain() if m["kind"] == "evaluation"]
        assert message["logins"] == [login] and message["deals"] == []


def test_while_the_deal_window_lags_the_reads_no_snapshot_is_sent_and_reads_are_still_judged(
        make_poller, queues, redis_client, redis_namespace) -> None:
    """After an outage the deals are caught up a window per cycle; a balance read meanwhile holds deals the
    window has not reached (dated before the stamp or after it), so only the deals go, with where the window
    ended, until a window reaches the reads. The fast path judges every read all the same."""
    with running_simulator(start=MONDAY_MORNING, accounts=0, seed=7, speed=0) as sim:
        world = sim.world
        login = world.create_account(PHASE1, balance="100000")
        poller, keys, before = _polled_once(sim, login, make_poller, queues, redis_client, redis_namespace)
        # two hours of trading in an outage, then a window of a minute: the backlog takes cycles
        world.clock.advance(timedelta(minutes=30))
        first = world.open_position(login, "EURUSD", "buy", "1.00")
        world.clock.advance(timedelta(minutes=90))
        world.close_position(login, first)
        poller.cycle.tracker.window_ms = 60_000
        write_floor(redis_client, keys, "default", login, floor_at(Decimal("100000"), world.now() + timedelta(hours=1)),
                    world.now())
        report = poller.run_cycle()
        assert Snapshot.decode(redis_client.get(keys.snap("default", login))) == before  # no snapshot went
        drained = queues.drain()
        assert [m["kind"] for m in drained] == ["kill"]  # no deal in the first minute: nothing to evaluate
        assert [k.login for k in report.kills] == [login]  # the read was judged against its floor
        behind, caught_up = [], []
        for _ in range(10):  # the window grows fourfold a sparse cycle and reaches the reads
            poller.run_cycle()
            for m in queues.drain():
                if m["kind"] == "evaluation":
                    (behind if m["deals_until"] < m["time"] else caught_up).append(m)
            if Snapshot.decode(redis_client.get(keys.snap("default", login))) != before:
                break
        assert [d["entry"] for m in behind for d in m["deals"]] == ["in"]  # the open came alone, while behind
        after = Snapshot.decode(redis_client.get(keys.snap("default", login)))
        assert after.balance == world.account(login).balance
        assert len(caught_up) == 1 and [d["entry"] for d in caught_up[0]["deals"]] == ["out"]
