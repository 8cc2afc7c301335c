"""The simulator in a child process that the benchmark can still steer: the market's prices and the accounts
are the child's, so a large world (100,000 accounts) does not compete with the poller for the parent's
interpreter, yet the benchmark places victims, moves a price and times the kill as the in-process
simulator lets it.

    with controlled_simulator(accounts=100_000, start=START, seed=2) as sim:
        sim.url
        victims, others, now = sim.victims(40, "XAUUSD")  # [(login, equity)], victims each holding one lot
        sim.market(0.25, "XAUUSD")                     # every other symbol steps every 0.25 s
        seconds = sim.move("XAUUSD", "-1.50", advance_ms=200, until_flat=login, timeout=10.0)

The child answers one command at a time over a pipe; `move` returns when MT5 shows `until_flat` with no
position (None after `timeout`), timed in the child from the instant the price changed.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import random
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from multiprocessing.connection import Connection
from typing import Any


def _market(world: Any, interval: float, pinned: str, stop: threading.Event) -> None:
    """Every `interval` seconds the clock moves as much and every symbol but `pinned` (the benchmark moves it
    alone) is quoted a point up, a point down or the same, as quotes move tick by tick (the simulator's own
    step is a minute's move)."""
    rng = random.Random(11)
    while not stop.wait(interval):
        with world.lock:
            world.clock.advance(timedelta(seconds=interval))
            for name, spec in sorted(world.market.specs.items()):
                if name != pinned and name not in world.market.sources:
                    point = Decimal(1).scaleb(-spec.digits)
                    world.set_price(name, world.market.bid(name) + point * rng.choice((-1, 0, 1)))


def _serve(conn: Connection, accounts: int, seed: int, start: datetime) -> None:
    from propfirm.sim.testing import running_simulator

    stop = threading.Event()
    with running_simulator(start=start, accounts=accounts, seed=seed, speed=0) as sim:
        world = sim.world
        conn.send(("ready", sim.url))
        while True:
            command, *args = conn.recv()
            if command == "stop":
                stop.set()
                break
            if command == "victims":
                count, symbol, settle_s, trade_rounds = args
                for _ in range(trade_rounds):  # the traders open positions (about half the accounts hold one)
                    world.clock.advance(timedelta(minutes=15))
                    world.step()
                    world.run_traders()
                made = []
                for _ in range(count):
                    login = world.create_account("challenge\\phase1", balance="100000")
                    world.open_position(login, symbol, "buy", "1.00")
                    made.append((login, str(world.account(login).equity)))
                # the deals of the world's start behind every deal window's overlap, as on a server that runs
                world.clock.advance(timedelta(seconds=settle_s))
                victims = {login for login, _ in made}
                with world.lock:
                    others = [(login, str(world.account(login).equity)) for login in sorted(world.accounts)
                              if login not in victims]
                conn.send(("ok", made, others, world.now().isoformat()))
            elif command == "latency":
                (seconds,) = args
                sim.faults.set_latency(seconds)  # every answer this much later: a network's round trip
                conn.send(("ok",))
            elif command == "market":
                interval, pinned = args
                threading.Thread(target=_market, args=(world, interval, pinned, stop), daemon=True).start()
                conn.send(("ok",))
            elif command == "move":
                symbol, delta, advance_ms, login, timeout = args
                with world.lock:
                    world.clock.advance(timedelta(milliseconds=advance_ms))
                    world.set_price(symbol, world.market.bid(symbol) + Decimal(delta))
                moved = time.perf_counter()
                deadline = moved + timeout
                waiting = list(login) if isinstance(login, list) else [login]
                flat_after: list[float] = []  # seconds from the quote until each is flat, in that order
                while waiting and time.perf_counter() < deadline:
                    still = [w for w in waiting if world.get_account(w).positions]
                    flat_after += [time.perf_counter() - moved] * (len(waiting) - len(still))
                    waiting = still
                    if waiting:
                        time.sleep(0.002)
                if isinstance(login, list):
                    conn.send(("ok", flat_after))
                else:
                    conn.send(("ok", flat_after[0] if flat_after else None))
            else:
                conn.send(("error", f"unknown command {command!r}"))


class SimulatorControl:
    def __init__(self, conn: Connection, url: str) -> None:
        self._conn = conn
        self.url = url

    def _ask(self, *command: Any) -> Any:
        self._conn.send(command)
        status, *answer = self._conn.recv()
        if status != "ok":
            raise RuntimeError(answer[0])
        return answer

    def victims(self, count: int, symbol: str, settle_s: float = 600, trade_rounds: int = 4
                ) -> tuple[list[tuple[int, Decimal]], list[tuple[int, Decimal]], datetime]:
        """After `trade_rounds` rounds of the traders (15 simulated minutes apart), `count` new phase-1
        accounts each holding one lot of `symbol`, then the clock `settle_s` on: ([(login, equity)] of the
        victims, the same of every other account, the world's now)."""
        made, others, now = self._ask("victims", count, symbol, settle_s, trade_rounds)
        return ([(login, Decimal(equity)) for login, equity in made],
                [(login, Decimal(equity)) for login, equity in others], datetime.fromisoformat(now))

    def market(self, interval: float, pinned: str) -> None:
        """From now on the market moves every `interval` seconds (and the clock with it), all but `pinned`."""
        self._ask("market", interval, pinned)

    def move(self, symbol: str, delta: str, *, advance_ms: int, until_flat: int, timeout: float) -> float | None:
        """Move `symbol`'s bid by `delta` (the clock `advance_ms` on first); seconds until `until_flat` holds
        no position, None after `timeout`."""
        (seconds,) = self._ask("move", symbol, delta, advance_ms, until_flat, timeout)
        return seconds

    def latency(self, seconds: float) -> None:
        """Every answer `seconds` late from now on (as a network between the poller and MT5 makes it)."""
        self._ask("latency", seconds)

    def crash(self, symbol: str, delta: str, *, advance_ms: int, until_flat: list[int], timeout: float
              ) -> list[float]:
        """`move`, waiting for every one of `until_flat`: the seconds until each was flat, in the order they
        became so (those still holding a position after `timeout` are missing)."""
        (seconds,) = self._ask("move", symbol, delta, advance_ms, list(until_flat), timeout)
        return list(seconds)


@contextlib.contextmanager
def controlled_simulator(accounts: int, *, start: datetime, seed: int = 2) -> Iterator[SimulatorControl]:
    """The simulator (frozen clock, its traders idle) serving `accounts` accounts from a child process."""
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(target=_serve, args=(child, accounts, seed, start), daemon=True)
    process.start()
    try:
        deadline = time.monotonic() + 600
        while not parent.poll(0.5):
            if not process.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the simulator did not start (exit code {process.exitcode})")
        status, url = parent.recv()
        if status != "ready":
            raise RuntimeError(f"the simulator did not start: {url!r}")
        yield SimulatorControl(parent, url)
    finally:
        with contextlib.suppress(OSError, BrokenPipeError):
            parent.send(("stop",))
        process.join(timeout=30)
        if process.is_alive():
            process.kill()
