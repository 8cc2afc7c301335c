"""The simulated clock, the server's time zone, and the seeded market."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from propfirm.sim.clock import ServerZone, SimClock
from propfirm.sim.market import Market


def test_frozen_clock_moves_only_when_advanced() -> None:
    start = datetime(2026, 1, 5, 12, tzinfo=UTC)
    clock = SimClock(start=start, speed=0)
    time.sleep(0.01)
    assert clock.now() == start
    assert clock.advance(timedelta(days=2, hours=1)) == start + timedelta(days=2, hours=1)
    with pytest.raises(ValueError):
        clock.advance(timedelta(seconds=-1))


def test_fast_clock_runs_faster_than_real_time() -> None:
    clock = SimClock(start=datetime(2026, 1, 5, tzinfo=UTC), speed=3600)
    first = clock.now()
    time.sleep(0.05)
    elapsed = clock.now() - first
    assert timedelta(seconds=150) <= elapsed <= timedelta(seconds=36_000)


@pytest.mark.parametrize(
    ("utc", "offset", "wall"),
    [
        (datetime(2026, 1, 15, 22, 0, tzinfo=UTC), 120, datetime(2026, 1, 16, 0, 0)),  # winter: GMT+2
        (datetime(2026, 7, 15, 21, 0, tzinfo=UTC), 180, datetime(2026, 7, 16, 0, 0)),  # summer: GMT+3
        # Europe switched on 29 March, New York on 8 March: the server follows New York
        (datetime(2026, 3, 10, 21, 0, tzinfo=UTC), 180, datetime(2026, 3, 11, 0, 0)),
    ],
)
def test_server_zone_is_new_york_plus_seven(utc: datetime, offset: int, wall: datetime) -> None:
    zone = ServerZone()
    assert zone.offset_minutes(utc) == offset
    assert zone.wall(utc) == wall
    seconds = zone.to_server(utc)
    assert seconds == int(utc.timestamp()) + offset * 60
    assert zone.from_server(seconds) == utc
    # server midnight is 17:00 in New York, all year
    assert utc.astimezone(ZoneInfoNY).hour == 17


def test_fixed_zone() -> None:
    zone = ServerZone.fixed(60)
    moment = datetime(2026, 7, 1, 12, tzinfo=UTC)
    assert zone.offset_minutes(moment) == 60 and not zone.has_dst(moment)
    assert zone.standard_offset_minutes(moment) == 60


def test_market_is_deterministic_per_seed() -> None:
    a, b, c = Market(seed=5), Market(seed=5), Market(seed=6)
    for _ in range(50):
        a.step(), b.step(), c.step()
    assert all(a.bid(s) == b.bid(s) for s in a.specs)
    assert any(a.bid(s) != c.bid(s) for s in a.specs)


def test_prices_respect_digits_and_spread() -> None:
    market = Market(seed=1)
    for _ in range(20):
        market.step()
    for name, spec in market.specs.items():
        bid = market.bid(name)
        assert bid == bid.quantize(spec.point) and bid > 0
        assert market.ask(name) - bid == spec.spread
    market.set_price("EURUSD", "1.23456")
    assert market.bid("EURUSD") == Decimal("1.23456") and market.ask("EURUSD") == Decimal("1.23468")
    assert market.rate("JPY", "USD") == 1 / market.bid("USDJPY")
    assert market.rate("EUR", "JPY") == market.bid("EURUSD") * market.bid("USDJPY")


from zoneinfo import ZoneInfo  # noqa: E402

ZoneInfoNY = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("spec", "zone", "shift"),
    [
        ("America/New_York+7", "America/New_York", timedelta(hours=7)),
        ("UTC+2", "UTC", timedelta(hours=2)),
        ("UTC-3:30", "UTC", -timedelta(hours=3, minutes=30)),
        ("Europe/Athens", "Europe/Athens", timedelta(0)),
    ],
)
def test_server_zone_specs(spec: str, zone: str, shift: timedelta) -> None:
    parsed = ServerZone.parse(spec)
    assert (parsed.base_zone, parsed.shift) == (zone, shift)


@pytest.mark.parametrize("spec", ["", "Nowhere/Land+2", "UTC+2x", "+2"])
def test_bad_server_zone_specs(spec: str) -> None:
    with pytest.raises(ValueError):
        ServerZone.parse(spec)
