"""A simulated deal stream with the scripted abusers mixed into honest trading, for the detectors' tests,
their precision and recall, and the benchmark: the simulator's world (no server, the clock stepped a
minute at a time from a fixed Monday, never the machine's) run for some days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from propfirm.domain.abuse.news import Release
from propfirm.domain.abuse.trades import TradeDeal
from propfirm.sim.driver import MarketDriver
from propfirm.sim.testing import build_world
from propfirm.sim.traders import ABUSER_PROFILES
from propfirm.sim.world import World

MONDAY = datetime(2026, 1, 5, 9, tzinfo=UTC)  # the scripted traders trade on weekdays
ACTIONS = {0: "buy", 1: "sell"}
ENTRIES = {0: "in", 1: "out", 2: "inout", 3: "out_by"}


def run_world(accounts: int, days: int, seed: int = 1, news: bool = False) -> World:
    """`news`: the world has a news calendar for the run (`World.news`) and straddlers among its abusers."""
    world = build_world(accounts, seed=seed, speed=0, abusers=True, start=MONDAY, news_days=days if news else 0)
    driver = MarketDriver(world)
    for _ in range(days * 24 * 60):  # a tick at a time: each deal at the simulated minute it was made
        world.clock.advance(timedelta(minutes=1))
        driver.run_due()
    return world


def trade_deals(world: World, server: str = "sim") -> list[TradeDeal]:
    return [
        TradeDeal(
            server=server,
            login=d.login,
            ticket=d.ticket,
            position=d.position_id,
            time=d.time,
            action=ACTIONS[d.action],
            entry=ENTRIES[d.entry],
            symbol=d.symbol,
            volume=Decimal(d.volume) / 10_000,
            price=d.price,
            profit=d.profit + d.commission + d.storage,
        )
        for d in world.deals.values()
        if d.action in ACTIONS
    ]


def sizes(world: World, server: str = "sim") -> dict[tuple[str, int], Decimal]:
    return {(server, login): trader.start_balance for login, trader in world.traders.items()}


def releases(world: World) -> list[Release]:
    """The world's news calendar, as the detectors read it."""
    return list(world.news)


def abusers(world: World) -> dict[int, str]:
    return {login: t.profile for login, t in world.traders.items() if t.profile in ABUSER_PROFILES}
