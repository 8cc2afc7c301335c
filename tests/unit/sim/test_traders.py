"""Scripted traders: deterministic per seed, and each profile does what it is for."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from propfirm.sim.driver import MarketDriver
from propfirm.sim.testing import build_world
from propfirm.sim.traders import ABUSER_PROFILES, PROFILES
from propfirm.sim.world import World

MONDAY = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)


def simulate(seed: int, hours: int, accounts: int = 28, profiles: list[str] | None = None) -> World:
    world = build_world(
        accounts,
        seed=seed,
        speed=0,
        groups=["challenge\\phase1"],
        start=MONDAY,
        profiles=profiles or list(PROFILES),
    )
    driver = MarketDriver(world)
    for _ in range(hours * 12):
        world.clock.advance(timedelta(minutes=5))
        driver.run_due()
    return world


def fingerprint(world: World) -> list[tuple]:
    return [
        (d.ticket, d.login, d.action, d.entry, d.symbol, d.volume, d.price, d.profit, d.time_server)
        for d in sorted(world.deals.values(), key=lambda d: d.ticket)
    ]


def test_same_seed_same_trades_other_seed_other_trades() -> None:
    first, again, other = simulate(11, 24), simulate(11, 24), simulate(12, 24)
    assert len(first.deals) > 100
    assert fingerprint(first) == fingerprint(again)
    assert fingerprint(first) != fingerprint(other)


def test_default_mix_is_deterministic_per_seed() -> None:
    a = build_world(200, seed=4, speed=0, groups=["g"], start=MONDAY)
    b = build_world(200, seed=4, speed=0, groups=["g"], start=MONDAY)
    profiles = [a.traders[login].profile for login in sorted(a.traders)]
    assert profiles == [b.traders[login].profile for login in sorted(b.traders)]
    assert set(profiles) == set(PROFILES) - set(ABUSER_PROFILES)  # abusers are placed, never drawn


def test_profiles_over_a_trading_week() -> None:
    world = simulate(1, 24 * 5, accounts=70)
    by_profile: dict[str, list[Decimal]] = {}
    for login, trader in world.traders.items():
        by_profile.setdefault(trader.profile, []).append(world.account(login).equity)
    start = Decimal(100_000)
    assert all(e == start for e in by_profile["idle"])
    careful = by_profile["careful"]
    assert sum(e >= start * Decimal("1.05") for e in careful) >= len(careful) // 2
    assert all(e < start * Decimal("0.95") for e in by_profile["reckless"])
    assert all(e < start for e in by_profile["bleeder"])


def test_weekend_holders_hold_over_the_weekend() -> None:
    world = build_world(5, seed=2, speed=0, groups=["g"], start=MONDAY, profiles=["weekend_holder"])
    driver = MarketDriver(world)
    world.clock.advance(timedelta(days=4, hours=17))  # Friday 19:00 server time
    driver._last = world.clock.now()
    for _ in range(3):
        world.clock.advance(timedelta(minutes=5))
        driver.run_due()
    held = [login for login in world.traders if world.account(login).positions]
    assert held
    world.clock.advance(timedelta(days=2))  # Sunday evening: the market is closed, nobody acts
    assert world.run_traders() == 0
    assert all(world.account(login).positions for login in held)


def test_trade_disabled_traders_cannot_open() -> None:
    world = build_world(7, seed=3, speed=0, groups=["g"], start=MONDAY, profiles=["bleeder"])
    for login in world.traders:
        world.disable_trading(login)
    for _ in range(20):
        world.step()
        world.run_traders()
    assert not world.positions


def test_unknown_profile_is_refused() -> None:
    with pytest.raises(ValueError):
        build_world(1, seed=1, speed=0, groups=["g"], start=MONDAY, profiles=["clairvoyant"])
