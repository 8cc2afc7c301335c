"""The deal history: recent deals in memory, older ones on disk, read back the same through every path."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from propfirm.sim.accounts import DEAL_BUY, DEAL_SELL, Deal
from propfirm.sim.clock import SimClock
from propfirm.sim.history import decode, encode
from propfirm.sim.world import HISTORY_KEEP, SPILL_EVERY, World

from tests.instants import MONDAY_MORNING

GROUP = "challenge\\phase1"


@pytest.fixture
def world() -> World:
    w = World(seed=5, clock=SimClock(start=MONDAY_MORNING, speed=0))
    w.create_group(GROUP)
    w.set_price("EURUSD", "1.10000")
    return w


def _trade_hourly(world: World, login: int, hours: int) -> list[int]:
    """One round trip an hour; the positions' tickets (= their opening orders)."""
    tickets = []
    for _ in range(hours):
        ticket = world.open_position(login, "EURUSD", "buy", "0.5")
        world.clock.advance(timedelta(minutes=20))
        world.close_position(login, ticket)
        world.clock.advance(timedelta(minutes=40))
        tickets.append(ticket)
    return tickets


def test_every_field_survives_the_disk() -> None:
    deal = Deal(
        ticket=7, login=100001, action=DEAL_SELL, entry=1, time=MONDAY_MORNING, time_server=1_772_452_800,
        time_server_msc=1_772_452_800_123, symbol="XAUUSD", volume=12_500, price=Decimal("2650.15"),
        profit=Decimal("-12.30"), storage=Decimal("-0.45"), commission=Decimal("-3.50"), position_id=5,
        order=9, comment="close \u00e9", reason=5, price_position=Decimal("2651.38"), volume_closed=12_500,
        market_bid=Decimal("2650.15"), market_ask=Decimal("2650.45"), rate_profit=Decimal("0.92137"), dealer=3,
    )
    back = decode(encode(deal))
    assert back == deal and back.time.utcoffset() == timedelta(0)
    assert str(back.price) == "2650.15" and str(back.profit) == "-12.30"  # exact, digits kept


def test_older_deals_go_to_disk_and_read_back_the_same(world: World) -> None:
    login = world.create_account(GROUP, balance="100000")
    account = world.accounts[login]
    before = list(account.deals)
    tickets = _trade_hourly(world, login, 12)
    made = before + [d for d in world.deals.values() if d.ticket > before[-1].ticket]
    assert len(made) == 1 + 24
    # spilled every hour: only the last HISTORY_KEEP (plus up to an hour) stay in memory
    assert world.deals.in_memory <= 2 * (HISTORY_KEEP + SPILL_EVERY) // timedelta(hours=1)
    assert world.deals.horizon > made[0].time_server and len(world.deals) == len(made)
    assert world.deals_of(account) == made  # the disk's then memory's, in the order made
    middle = made[5:9]
    assert world.deals_of(account, middle[0].time_server, middle[-1].time_server) == middle
    assert world.deals[made[3].ticket] == made[3] and made[3].ticket in world.deals
    assert world.deals.get(999_999_999) is None and 999_999_999 not in world.deals
    filled = world.deals.filled_by([tickets[0], tickets[-1]], (DEAL_BUY, DEAL_SELL))
    assert [(d.order, d.entry) for d in filled] == [(tickets[0], 0), (tickets[-1], 0)]  # one on disk, one not
    assert list(world.deals.values()) == made


def test_a_deleted_account_takes_its_deals_from_both_sides(world: World) -> None:
    gone = world.create_account(GROUP, balance="1000")
    kept = world.create_account(GROUP, balance="2000")
    _trade_hourly(world, gone, 6)
    assert world.deals.in_memory < len(world.deals)  # some on disk
    total_kept = len(world.deals_of(world.accounts[kept]))
    world.delete_account(gone)
    assert len(world.deals) == total_kept == 1
    assert [d.login for d in world.deals.values()] == [kept]


def test_the_web_api_reads_spilled_history(world: World) -> None:
    from propfirm.sim.webapi.calls import Call
    from propfirm.sim.webapi.orders import history_get
    from propfirm.sim.webapi.trading import deal_get, deal_get_page

    login = world.create_account(GROUP, balance="100000")
    tickets = _trade_hourly(world, login, 10)
    first = world.deals_of(world.accounts[login])[1]  # the first trade's IN deal, on disk by now
    assert first.time_server < world.deals.horizon

    def call(**params: str) -> Call:
        return Call(world=world, params=params, body=None, session=None)  # type: ignore[arg-type]

    assert deal_get(call(ticket=str(first.ticket)))["Deal"] == str(first.ticket)
    page = deal_get_page(call(login=str(login), **{"from": "0", "to": str(2**40)}, offset="0", total="100"))
    assert [int(r["Deal"]) for r in page] == [d.ticket for d in world.deals_of(world.accounts[login])]
    assert history_get(call(ticket=str(tickets[0])))["Order"] == str(tickets[0])
