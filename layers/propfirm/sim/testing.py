"""Run the simulator in-process: the API other parts' integration tests use.

    from propfirm.sim.testing import running_simulator

    with running_simulator(accounts=100, seed=1, tls=False, speed=0) as sim:
        sim.url                      # "http://127.0.0.1:PORT" (https with tls=True)
        sim.cafile                   # the self-signed certificate to trust (tls=True), else None
        sim.manager_login, sim.manager_password
        world = sim.world            # the in-memory model, safe to touch while the server serves:
        world.clock.now(); world.clock.advance(timedelta(days=1))
        world.create_group("challenge\\phase1", currency="USD", leverage=100)
        login = world.create_account("challenge\\phase1", balance="100000", leverage=100)
        ticket = world.open_position(login, "EURUSD", "buy", "1.00")
        world.set_price("EURUSD", "1.09000"); world.step()
        world.account(login).equity; world.close_position(login, ticket)
        world.run_traders()          # one round of the scripted traders
        sim.faults.drop_connections(); sim.faults.set_latency(0.1)
        sim.faults.set_error_rate(0.5, retcode=9); sim.faults.clear()
        sim.restart()                # every session lost, the world kept
        sim.restart(down_for=1.0)    # ... and the port refuses connections for a second
    # sim.stop() on exit

`accounts` accounts are spread over `groups` (names; default: the groups of
`programs`, or of the example programs) with scripted traders. `zone` is the
trade server's time zone (default New York + 7 h; `ServerZone.fixed(120)` for a
zone without DST). `speed=0` freezes
the clock (tests move it with `advance`); `idle_timeout` shortens the 180 s
session expiry for tests. Times start at `start` (default: now, UTC).
"""

from __future__ import annotations

import contextlib
import fnmatch
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from propfirm.sim.accounts import MARGIN_HEDGING, MARGIN_NETTING
from propfirm.sim.clock import ServerZone, SimClock
from propfirm.sim.faults import Faults
from propfirm.sim.news import releases
from propfirm.sim.programs import program_groups
from propfirm.sim.webapi.server import ServerConfig, WebApiServer, make_ssl_context
from propfirm.sim.world import World

DEFAULT_MANAGER_LOGIN = 1000
DEFAULT_MANAGER_PASSWORD = "Manager#2024"


@dataclass
class Simulator:
    """A running simulator: world, faults and the server thread."""

    world: World
    faults: Faults
    server: WebApiServer
    manager_login: int
    manager_password: str
    cafile: str | None
    host: str
    port: int
    _thread: threading.Thread | None = None
    _tempdir: Path | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        scheme = "https" if self.cafile else "http"
        return f"{scheme}://{self.host}:{self.port}"

    def start(self) -> Simulator:
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, name="propfirm-sim", daemon=True
        )
        self._thread.start()
        return self

    def restart(self, down_for: float = 0.0) -> None:
        """Lose every session (connections closed, old sessions void); the world stays.

        With `down_for` > 0 the server really goes away: the listening socket closes,
        connections are refused for that many seconds, then a new server binds the same port.
        """
        if down_for <= 0:
            self.server.restart()
            return
        old = self.server
        if self._thread is not None:
            old.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        old.restart()
        old.server_close()
        time.sleep(down_for)
        self.server = WebApiServer(
            (self.host, self.port), self.world, old.config, self.faults, old.ssl_context
        )
        self.server.epoch = old.epoch
        self.start()

    def stop(self) -> None:
        if self._thread is not None:
            self.server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self.server.drop_connections()
        self.server.server_close()
        if self._tempdir is not None:
            shutil.rmtree(self._tempdir, ignore_errors=True)
            self._tempdir = None


def build_world(
    accounts: int = 0,
    seed: int = 1,
    speed: float = 1.0,
    groups: list[str] | None = None,
    programs: str | Path | None = None,
    start: datetime | None = None,
    zone: ServerZone | None = None,
    profiles: list[str] | None = None,
    abusers: bool = False,
    trade_sessions: bool = False,
    netting: tuple[str, ...] = (),
    news_days: int = 0,
) -> World:
    """A world with the programs' groups (or `groups`) and `accounts` scripted accounts; with `abusers`,
    some of the accounts that start a first phase are scripted abusers (`propfirm.sim.abusers`). Groups
    whose name matches one of the `netting` masks (`*` any text, case-insensitive) are netting groups. With
    `news_days`, the world has a news calendar (`propfirm.sim.news`) of that many days from its start, and
    its abusers include straddlers."""
    world = World(seed=seed, clock=SimClock(start=start, speed=speed), zone=zone, trade_sessions=trade_sessions)
    if news_days:
        began = world.clock.now()
        world.news = releases(began, began + timedelta(days=news_days))
    specs = program_groups(programs)

    def mode(name: str) -> int:
        wanted = any(fnmatch.fnmatchcase(name.lower(), mask.lower()) for mask in netting)
        return MARGIN_NETTING if wanted else MARGIN_HEDGING

    if groups is not None:
        sizes = {s.name.lower(): s for s in specs}
        chosen = []
        for name in groups:
            spec = sizes.get(name.lower())
            world.create_group(
                name, currency=spec.currency if spec else "USD", leverage=spec.leverage if spec else 100,
                margin_mode=mode(name),
            )
            chosen.append((name, spec.account_size if spec else Decimal(100_000)))
    else:
        chosen = []
        for spec in specs:
            world.create_group(spec.name, currency=spec.currency, leverage=spec.leverage, margin_mode=mode(spec.name))
            chosen.append((spec.name, spec.account_size))
    if accounts:
        world.populate(accounts, chosen, profiles)
    if accounts and abusers:
        from propfirm.domain.programs import EXAMPLE_PROGRAMS_DIR, load_programs
        from propfirm.sim.abusers import place_abusers
        from propfirm.sim.truth import first_phase_starts

        loaded = load_programs(Path(programs) if programs else EXAMPLE_PROGRAMS_DIR)
        with world.lock:
            place_abusers(world, sorted(first_phase_starts(world, loaded)))
    return world


def create_simulator(
    world: World,
    host: str = "127.0.0.1",
    port: int = 0,
    tls: bool = True,
    manager_login: int = DEFAULT_MANAGER_LOGIN,
    manager_password: str = DEFAULT_MANAGER_PASSWORD,
    idle_timeout: float = 180.0,
    auth_timeout: float = 10.0,
    cert_dir: str | Path | None = None,
) -> Simulator:
    """Bind the server (port 0: a free port) without starting its thread."""
    from propfirm.sim.certs import generate_self_signed

    faults = Faults(world.seed)
    context = None
    cafile = None
    tempdir = None
    if tls:
        cert, key = generate_self_signed(cert_dir, host)
        if cert_dir is None:
            tempdir = cert.parent
        context = make_ssl_context(str(cert), str(key))
        cafile = str(cert)
    config = ServerConfig(
        managers={manager_login: manager_password}, idle_timeout=idle_timeout, auth_timeout=auth_timeout
    )
    server = WebApiServer((host, port), world, config, faults, context)
    return Simulator(
        world=world,
        faults=faults,
        server=server,
        manager_login=manager_login,
        manager_password=manager_password,
        cafile=cafile,
        host=host,
        port=server.server_address[1],
        _tempdir=tempdir,
    )


@contextlib.contextmanager
def running_simulator(
    accounts: int = 100,
    seed: int = 1,
    tls: bool = False,
    speed: float = 0,
    groups: list[str] | None = None,
    programs: str | Path | None = None,
    idle_timeout: float = 180.0,
    auth_timeout: float = 10.0,
    start: datetime | None = None,
    manager_login: int = DEFAULT_MANAGER_LOGIN,
    manager_password: str = DEFAULT_MANAGER_PASSWORD,
    profiles: list[str] | None = None,
    zone: ServerZone | None = None,
) -> Iterator[Simulator]:
    """Start a simulator on 127.0.0.1 (a free port) in a background thread; stop it on exit."""
    world = build_world(accounts, seed, speed, groups, programs, start, zone=zone, profiles=profiles)
    sim = create_simulator(
        world,
        tls=tls,
        manager_login=manager_login,
        manager_password=manager_password,
        idle_timeout=idle_timeout,
        auth_timeout=auth_timeout,
    )
    sim.start()
    try:
        yield sim
    finally:
        sim.stop()
