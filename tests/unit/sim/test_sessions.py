"""Trading sessions per symbol: opens, closes and stop-outs only while the symbol's market is open."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from propfirm.sim import sessions
from propfirm.sim.accounts import TradeError
from propfirm.sim.clock import SimClock
from propfirm.sim.webapi.prices import symbol_record
from propfirm.sim.world import World

from tests.instants import MONDAY_MORNING, SATURDAY

GROUP = "challenge\\phase1"


def _world(start: datetime, on: bool = True) -> World:
    world = World(seed=2, clock=SimClock(start=start, speed=0), trade_sessions=on)
    world.create_group(GROUP)
    return world


@pytest.mark.parametrize(
    ("symbol", "server_wall", "open_"),
    [
        ("EURUSD", datetime(2026, 3, 1, 23, 59), False),  # Sunday
        ("EURUSD", datetime(2026, 3, 2, 0, 0), True),  # Monday's first minute
        ("EURUSD", datetime(2026, 3, 6, 23, 54), True),
        ("EURUSD", datetime(2026, 3, 6, 23, 55), False),  # Friday's close
        ("EURUSD", datetime(2026, 3, 7, 12, 0), False),  # Saturday
        ("XAUUSD", datetime(2026, 3, 3, 0, 30), False),  # gold's break after the rollover
        ("XAUUSD", datetime(2026, 3, 3, 1, 0), True),
        ("US30", datetime(2026, 3, 3, 23, 20), False),  # the index's evening break
        ("US30", datetime(2026, 3, 3, 23, 30), True),
        ("US30", datetime(2026, 3, 6, 23, 30), False),  # Friday ends at 23:00
        ("GER40", datetime(2026, 3, 3, 3, 14), False),
        ("GER40", datetime(2026, 3, 3, 3, 15), True),
        ("GER40", datetime(2026, 3, 3, 23, 0), False),
    ],
)
def test_each_symbol_trades_within_its_weekly_sessions(symbol: str, server_wall: datetime, open_: bool) -> None:
    assert sessions.is_open(sessions.schedule_of(symbol), server_wall) is open_


def test_a_request_outside_the_sessions_is_refused_with_market_closed() -> None:
    world = _world(SATURDAY)
    login = world.create_account(GROUP, balance="100000")
    with pytest.raises(TradeError) as refused:
        world.open_position(login, "EURUSD", "buy", "1")
    assert refused.value.retcode == 10018
    assert not world.market_open("EURUSD")
    assert _world(SATURDAY, on=False).market_open("EURUSD")  # sessions off: the market never closes


def test_a_position_cannot_be_closed_while_its_market_is_closed_not_even_by_the_dealer() -> None:
    world = _world(MONDAY_MORNING)  # 12:00 server time
    login = world.create_account(GROUP, balance="100000")
    ticket = world.open_position(login, "GER40", "buy", "1")
    world.clock.advance(timedelta(hours=12))  # 00:00 server: GER40 closed until 03:15
    with pytest.raises(TradeError) as refused:
        world.close_position(login, ticket)
    assert refused.value.retcode == 10018
    world.clock.advance(timedelta(hours=3, minutes=15))
    world.close_position(login, ticket)
    assert ticket not in world.positions


def test_a_stop_out_waits_for_the_market_to_open() -> None:
    world = _world(MONDAY_MORNING)
    login = world.create_account(GROUP, balance="1000", leverage=100)
    world.set_price("GER40", "20000.0")
    ticket = world.open_position(login, "GER40", "buy", "4")  # margin 800 of 1,000
    world.clock.advance(timedelta(hours=12))  # market closed
    world.set_price("GER40", "19850.0")  # -600: margin level 50 %, at the stop-out
    assert world.check_stop_outs() == [] and ticket in world.positions
    world.clock.advance(timedelta(hours=4))
    assert world.check_stop_outs() == [login] and ticket not in world.positions


def test_the_symbol_record_gives_the_sessions_kept() -> None:
    world = _world(MONDAY_MORNING)
    record = symbol_record(world.market.specs["GER40"], world)
    monday = record["SessionsTrades"][1]
    assert monday == [{"Open": "195", "OpenHours": "3", "OpenMinutes": "15", "Close": "1380", "CloseHours": "23",
                       "CloseMinutes": "0"}]
    assert record["SessionsTrades"][0] == [] and len(record["SessionsQuotes"][0]) == 1
    always = symbol_record(world.market.specs["GER40"], _world(MONDAY_MORNING, on=False))
    assert always["SessionsTrades"][0] == [{"Open": "0", "OpenHours": "0", "OpenMinutes": "0", "Close": "1440",
                                            "CloseHours": "24", "CloseMinutes": "0"}]
