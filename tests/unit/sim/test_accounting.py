"""The accounting model: equity, realised profit, commission, margin, swaps at rollover, rights."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from propfirm.sim.accounts import TradeError
from propfirm.sim.clock import SimClock
from propfirm.sim.world import World

MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # 12:00 server time (GMT+2)
GROUP = "challenge\\phase1"


@pytest.fixture
def world() -> World:
    w = World(seed=3, clock=SimClock(start=MONDAY, speed=0))
    w.create_group(GROUP, commission_per_lot="3.50")
    w.set_price("EURUSD", "1.10000")  # ask 1.10012
    return w


def test_equity_is_balance_plus_credit_plus_floating(world: World) -> None:
    login = world.create_account(GROUP, balance="100000", credit="1000")
    world.open_position(login, "EURUSD", "buy", "1.00")
    world.set_price("EURUSD", "1.09512")  # a 50-pip loss on the bid
    view = world.account(login)
    assert view.balance == Decimal("99996.50")  # the IN deal's commission is booked at once
    assert view.credit == Decimal("1000")
    assert view.profit == Decimal("-500.00") and view.floating == Decimal("-500.00")
    assert view.equity == view.balance + view.credit + view.floating == Decimal("100496.50")
    assert view.margin == Decimal("1095.12")  # 100,000 EUR at 1.09512, leverage 100
    assert view.margin_free == view.equity - view.margin


def test_realised_profit_on_the_out_deal(world: World) -> None:
    login = world.create_account(GROUP, balance="100000")
    ticket = world.open_position(login, "EURUSD", "sell", "2")  # at the bid 1.10000
    world.set_price("EURUSD", "1.09788")  # ask 1.09800: +200 points on 2 lots
    out = world.deals[world.close_position(login, ticket)]
    assert out.entry == 1 and out.position_id == ticket and out.profit == Decimal("400.00")
    assert out.commission == Decimal("-7.00") and out.price_position == Decimal("1.10000")
    into = [d for d in world.accounts[login].deals if d.entry == 0 and d.position_id == ticket][0]
    assert into.commission == Decimal("-7.00") and into.profit == 0
    view = world.account(login)
    assert view.balance == Decimal("100000") + Decimal("400") - Decimal("14.00")
    assert view.equity == view.balance and view.positions == ()


def test_profit_in_another_currency_is_converted(world: World) -> None:
    login = world.create_account(GROUP, balance="100000")
    world.set_price("USDJPY", "150.000")
    ticket = world.open_position(login, "USDJPY", "buy", "1")  # ask 150.014
    world.set_price("USDJPY", "151.514")
    # 1.5 JPY * 100,000 = 150,000 JPY at 151.514 = 990.01 USD
    assert world.account(login).profit == Decimal("990.01")
    world.close_position(login, ticket)
    assert world.accounts[login].deals[-1].profit == Decimal("990.01")


def test_gold_and_index_contract_sizes(world: World) -> None:
    login = world.create_account(GROUP, balance="100000")
    world.set_price("XAUUSD", "2000.00")
    world.open_position(login, "XAUUSD", "buy", "1")  # ask 2000.30
    world.set_price("XAUUSD", "2010.30")
    assert world.account(login).profit == Decimal("1000.00")  # 10 USD * 100 oz
    world.set_price("US30", "40000.0")
    world.open_position(login, "US30", "sell", "10")  # bid 40000.0
    world.set_price("US30", "39898.0")  # ask 39900.0: 100 points * 1 * 10
    assert world.account(login).profit == Decimal("2000.00")


def test_partial_close_splits_volume_and_swap(world: World) -> None:
    login = world.create_account(GROUP, balance="100000")
    ticket = world.open_position(login, "EURUSD", "buy", "1")
    world.positions[ticket].storage = Decimal("-10.00")
    out = world.deals[world.close_position(login, ticket, "0.4")]
    assert out.volume == 4000 and out.storage == Decimal("-4.00")
    assert world.positions[ticket].volume == 6000 and world.positions[ticket].storage == Decimal("-6.00")
    with pytest.raises(TradeError) as too_much:
        world.close_position(login, ticket, "0.7")
    assert too_much.value.retcode == 10038


def test_swap_is_charged_when_the_clock_crosses_the_rollover(world: World) -> None:
    login = world.create_account(GROUP, balance="100000")
    ticket = world.open_position(login, "EURUSD", "buy", "1")  # swap long -7.20 per lot per night
    world.clock.advance(timedelta(hours=11, minutes=59))  # 23:59 server time: not yet
    assert world.positions[ticket].storage == 0
    world.clock.advance(timedelta(minutes=2))  # past 00:00 server time (22:00 UTC)
    assert world.account(login).storage == Decimal("-7.20")
    assert world.rollovers == 1
    # Tuesday and Wednesday nights: Wednesday's rollover counts three nights
    world.clock.advance(timedelta(days=2))
    assert world.account(login).storage == Decimal("-7.20") * 5
    out = world.deals[world.close_position(login, ticket)]
    assert out.storage == Decimal("-36.00")
    assert out.profit == Decimal("-12.00")  # bought at the ask, sold at the bid: the spread
    assert world.account(login).balance == Decimal("100000") - Decimal("7.00") - Decimal("36.00") - Decimal(
        "12"
    )


def test_no_swap_over_the_weekend_nights(world: World) -> None:
    login = world.create_account(GROUP, balance="100000")
    world.clock.advance(timedelta(days=4))  # Friday 12:00 server
    ticket = world.open_position(login, "EURUSD", "buy", "1")
    world.clock.advance(timedelta(days=3))  # Monday 12:00: rollovers at Sat, Sun, Mon 00:00
    assert world.positions[ticket].storage == Decimal("-7.20")  # only Friday's night


def test_previous_day_snapshot_at_rollover(world: World) -> None:
    login = world.create_account(GROUP, balance="100000")
    world.open_position(login, "EURUSD", "buy", "1")
    world.set_price("EURUSD", "1.10512")
    world.clock.advance(timedelta(hours=13))
    account = world.accounts[login]
    world.settle()
    assert account.balance_prev_day == Decimal("99996.50")
    assert account.equity_prev_day == Decimal("99996.50") + Decimal("500.00") - Decimal("7.20")


def test_trade_disabled_cannot_open_but_can_be_closed(world: World) -> None:
    login = world.create_account(GROUP, balance="100000")
    ticket = world.open_position(login, "EURUSD", "buy", "1")
    world.disable_trading(login)
    with pytest.raises(TradeError) as refused:
        world.open_position(login, "EURUSD", "buy", "1")
    assert refused.value.retcode == 10017
    world.close_position(login, ticket)
    assert world.account(login).positions == ()


def test_margin_check_and_volume_validation(world: World) -> None:
    login = world.create_account(GROUP, balance="1000")
    with pytest.raises(TradeError) as no_money:
        world.open_position(login, "EURUSD", "buy", "1")  # needs 1,100 USD of margin
    assert no_money.value.retcode == 10019
    for bad in ("0", "-1", "0.00001"):
        with pytest.raises(TradeError) as invalid:
            world.open_position(login, "EURUSD", "buy", bad)
        assert invalid.value.retcode == 10014
    assert world.open_position(login, "EURUSD", "buy", "1", check_margin=False)


def test_balance_operation_rules(world: World) -> None:
    login = world.create_account(GROUP, balance="1000")
    with pytest.raises(TradeError) as over:
        world.balance(login, "-1000.01")
    assert over.value.retcode == 10019
    with pytest.raises(TradeError) as credit:
        world.balance(login, "-1", action=3)
    assert credit.value.retcode == 10019
    world.open_position(login, "EURUSD", "buy", "0.5")  # 550 USD margin
    with pytest.raises(TradeError) as margin:
        world.balance(login, "-900")
    assert margin.value.retcode == 10019
    world.balance(login, "-900", action=5)  # a correction is not checked against free margin
    assert world.account(login).balance == Decimal("98.25")


def test_create_account_codes(world: World) -> None:
    with pytest.raises(TradeError) as missing:
        world.create_account("nowhere", balance="1")
    assert missing.value.retcode == 8
    world.create_account(GROUP, login=7001)
    with pytest.raises(TradeError) as exists:
        world.create_account(GROUP, login=7001)
    assert exists.value.retcode == 3004


def test_deals_by_server_time_across_the_autumn_clock_change() -> None:
    # New York leaves DST on 1 November 2026 at 06:00 UTC: server time repeats 01:00-02:00 ... 08:00-09:00
    world = World(seed=1, clock=SimClock(start=datetime(2026, 11, 1, 5, 30, tzinfo=UTC), speed=0))
    world.create_group(GROUP)
    login = world.create_account(GROUP, balance="1000")  # 08:30 server (GMT+3)
    world.clock.advance(timedelta(minutes=40))  # 06:10 UTC = 08:10 server (GMT+2): earlier on the wall
    world.balance(login, "5")
    deals = world.accounts[login].deals
    assert deals[1].time_server < deals[0].time_server
    assert world.deals_of(world.accounts[login], deals[1].time_server, deals[1].time_server) == [deals[1]]
    both = world.deals_of(world.accounts[login], deals[1].time_server, deals[0].time_server)
    assert both == deals


def test_deals_of_bisects_by_server_time(world: World) -> None:
    login = world.create_account(GROUP, balance="1000")
    for _ in range(5):
        world.clock.advance(timedelta(minutes=1))
        world.balance(login, "1")
    account = world.accounts[login]
    times = [d.time_server for d in account.deals]
    assert world.deals_of(account, times[2], times[4]) == account.deals[2:5]
    assert world.deals_of(account, times[5] + 1, None) == []
    assert world.deals_of(account) == account.deals


def test_stop_out_closes_the_biggest_loser_at_the_stop_out_level(world: World) -> None:
    login = world.create_account(GROUP, balance="2000")
    world.set_price("XAUUSD", "2000.00")
    small = world.open_position(login, "EURUSD", "buy", "0.1")  # margin 110
    big = world.open_position(login, "XAUUSD", "buy", "0.5")  # margin 1,000
    world.step(0)
    assert world.account(login).positions == (small, big)
    world.set_price("XAUUSD", "1963.00")  # -1,865 on gold: equity ~ 120, margin level ~ 11 %
    assert world.check_stop_outs() == [login]
    view = world.account(login)
    assert view.positions == (small,)
    out = world.accounts[login].deals[-1]
    assert out.reason == 5 and out.position_id == big and out.comment == "so"


def test_an_eur_account_converts_profit_margin_and_swap(world: World) -> None:
    world.create_group("eur\\group", currency="EUR", commission_per_lot="3.00")
    login = world.create_account("eur\\group", balance="10000")
    world.set_price("GBPUSD", "1.25000")  # ask 1.25015
    world.open_position(login, "GBPUSD", "buy", "1")
    world.set_price("GBPUSD", "1.25515")  # +500 USD at EURUSD 1.10000 = 454.55 EUR
    view = world.account(login)
    assert view.profit == Decimal("454.55")
    assert view.balance == Decimal("9997.00")  # the commission in EUR
    # 100,000 GBP = 125,515 USD = 114,104.5454... EUR, at leverage 100
    assert view.margin == Decimal("1141.05")
    world.clock.advance(timedelta(hours=13))  # a rollover: swap long -5.40 USD = -4.91 EUR
    assert world.account(login).storage == Decimal("-4.91")
