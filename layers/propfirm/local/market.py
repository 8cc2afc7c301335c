"""The simulated MT5 server of a local run: the world, its Web API server and its market driver thread.

The world's clock starts frozen while the challenges are registered (so every account's deposit lies
before its challenge starts, as on a real server), then runs at the run's speed; the driver ticks the
prices and plays the scripted traders as simulated time passes.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from propfirm.sim.driver import MarketDriver
from propfirm.sim.testing import Simulator, build_world, create_simulator
from propfirm.sim.webapi.server import WebApiHandler
from propfirm.sim.world import World


@dataclass
class SimulatedMarket:
    accounts: int
    seed: int
    speed: float
    programs: Path | None
    port: int = 0
    tls: bool = True
    cert_dir: Path | None = None
    start_time: datetime | None = None
    abusers: bool = False  # scripted abusers among the first-phase accounts (propfirm.sim.abusers)
    sessions: bool = False  # each symbol traded only within its sessions (propfirm.sim.sessions)
    netting: tuple[str, ...] = ()  # masks of the netting groups
    news_days: int = 0  # a news calendar of so many days from the start (propfirm.sim.news); 0: none
    world: World = field(init=False)
    simulator: Simulator = field(init=False)
    driver: MarketDriver = field(init=False)
    clock_start: datetime = field(init=False)  # the simulated clock's first instant (`--start`)
    started_at: datetime = field(init=False)  # simulated time when the market started moving
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    def build(self) -> SimulatedMarket:
        """The world (clock frozen) and its bound server, not serving yet."""
        # Without TCP_NODELAY every small answer waits ~40 ms for the peer's delayed ACK.
        WebApiHandler.disable_nagle_algorithm = True
        self.world = build_world(
            self.accounts, seed=self.seed, speed=0, programs=self.programs, start=self.start_time,
            abusers=self.abusers, trade_sessions=self.sessions, netting=self.netting, news_days=self.news_days,
        )
        self.clock_start = self.world.now()
        self.simulator = create_simulator(self.world, port=self.port, tls=self.tls, cert_dir=self.cert_dir)
        return self

    def account_groups(self) -> list[tuple[int, str]]:
        with self.world.lock:
            return [(login, account.group) for login, account in self.world.accounts.items()]

    def challenge_start(self) -> datetime:
        """A moment after every account's deposit: the clock moves a second on."""
        return self.world.clock.advance(timedelta(seconds=1))

    def start(self) -> None:
        """Serve the Web API, run the clock at the run's speed and the driver in its thread."""
        self.simulator.start()
        self.started_at = self.world.now()
        self.world.clock.set_speed(self.speed)
        self.driver = MarketDriver(self.world)
        self._thread = threading.Thread(
            target=self.driver.run_forever,
            args=(self._stop,),
            kwargs={"interval": 0.1},
            name="dev-market",
            daemon=True,
        )
        self._thread.start()

    def simulated_days(self) -> float:
        return (self.world.now() - self.started_at) / timedelta(days=1)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self.world.clock.set_speed(0)
        self.simulator.stop()
