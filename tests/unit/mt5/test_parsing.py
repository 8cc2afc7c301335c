"""Web API records -> domain models: exact numbers, lots, server time -> UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from propfirm.mt5.errors import Mt5Error
from propfirm.mt5.models import DealAction, DealEntry, Side
from propfirm.mt5.webapi import parsing
from propfirm.mt5.webapi.parsing import ParseError, ServerClock

GMT2 = ServerClock(timedelta(hours=2))


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("26000.00", Decimal("26000.00")),
        (" -3.5 ", Decimal("-3.5")),
        (7, Decimal(7)),
        (Decimal("0.1"), Decimal("0.1")),
        ("", Decimal(0)),
        (None, Decimal(0)),
    ],
)
def test_numbers_are_parsed_exactly(raw: object, expected: Decimal) -> None:
    assert parsing.dec(raw) == expected and isinstance(parsing.dec(raw), Decimal)


@pytest.mark.parametrize("raw", ["abc", "NaN", "Infinity", True, [1]])
def test_bad_numbers_are_a_protocol_error(raw: object) -> None:
    with pytest.raises(ParseError) as info:
        parsing.dec(raw, "Balance")
    assert isinstance(info.value, Mt5Error) and "Balance" in str(info.value)


def test_integers_from_strings() -> None:
    assert parsing.integer("764636") == 764636 and parsing.integer("5.0") == 5
    with pytest.raises(ParseError):
        parsing.integer("5.5")


def test_volume_prefers_volume_ext_and_falls_back_to_volume() -> None:
    assert parsing.lots({"Volume": "10000", "VolumeExt": "100000000"}) == Decimal(1)
    assert parsing.lots({"Volume": "1", "VolumeExt": "12345"}) == Decimal("0.00012345")  # finer than Volume
    assert parsing.lots({"Volume": "150"}) == Decimal("0.015")  # an old server without VolumeExt
    assert parsing.volume_units(Decimal("0.37")) == (3700, 37_000_000)


def test_server_seconds_to_utc_with_a_fixed_offset() -> None:
    wall = int(datetime(2026, 1, 5, 2, 0, tzinfo=UTC).timestamp())  # 02:00 on the server's wall clock
    assert GMT2.to_utc(wall) == datetime(2026, 1, 5, 0, 0, tzinfo=UTC)
    assert GMT2.to_server(datetime(2026, 1, 5, 0, 0, tzinfo=UTC)) == wall
    assert GMT2.to_utc_msc(wall * 1000 + 250) == datetime(2026, 1, 5, 0, 0, 0, 250_000, tzinfo=UTC)
    with pytest.raises(ValueError):
        GMT2.to_server(datetime(2026, 1, 5))


def test_server_zone_gives_each_moment_its_own_offset() -> None:
    clock = ServerClock(timedelta(hours=2), zone="America/New_York", shift=timedelta(hours=7))
    winter = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
    summer = datetime(2026, 7, 10, 12, 0, tzinfo=UTC)
    assert clock.to_server(winter) - int(winter.timestamp()) == 2 * 3600
    assert clock.to_server(summer) - int(summer.timestamp()) == 3 * 3600
    assert clock.to_utc(clock.to_server(summer)) == summer


def test_offset_from_time_get_adds_an_hour_in_dst() -> None:
    assert parsing.server_offset({"TimeZone": "120", "Daylight": "1", "DaylightState": "1"}) == timedelta(
        hours=3
    )
    assert parsing.server_offset({"TimeZone": "120", "Daylight": "1", "DaylightState": "0"}) == timedelta(
        hours=2
    )
    assert parsing.server_offset({"TimeZone": "-300", "Daylight": "0", "DaylightState": "1"}) == timedelta(
        hours=-5
    )


def test_time_server_text() -> None:
    assert parsing.server_seconds("1572518788 2019.10.31 10:46:28") == 1572518788
    assert parsing.server_seconds(1572518788) == 1572518788


def test_account_record() -> None:
    record = {
        "Login": "764636",
        "CurrencyDigits": "2",
        "Balance": "26000.00",
        "Credit": "100.00",
        "Equity": "25950.50",
        "Margin": "300.00",
        "MarginFree": "25650.50",
        "MarginLevel": "8650.17",
        "MarginLeverage": "100",
        "Profit": "-140.00",
        "Storage": "-9.50",
        "Floating": "-149.50",
    }
    state = parsing.account_state(record, "s1", "challenge\\phase1")
    assert (state.server, state.login, state.group) == ("s1", 764636, "challenge\\phase1")
    assert state.equity == Decimal("25950.50") and state.floating == Decimal("-149.50")
    assert state.account.login == 764636 and state.has_trade_state


def test_account_without_trade_state_from_the_user_record() -> None:
    state = parsing.account_state_from_user(
        {"Login": "5", "Group": "g", "Balance": "10.00", "Credit": "2.00", "Leverage": "50"}, "s1", 2
    )
    assert (state.equity, state.margin_free, state.has_trade_state) == (
        Decimal("12.00"),
        Decimal("12.00"),
        False,
    )


def test_position_record() -> None:
    wall = int(datetime(2026, 1, 5, 10, 0, tzinfo=UTC).timestamp())
    record = {
        "Position": "91",
        "Login": "5",
        "Symbol": "EURUSD",
        "Action": "1",
        "Digits": "5",
        "Volume": "5000",
        "VolumeExt": "50000000",
        "PriceOpen": "1.08500",
        "PriceCurrent": "1.08412",
        "Profit": "44.00",
        "Storage": "0.00",
        "TimeCreate": str(wall),
        "TimeCreateMsc": str(wall * 1000 + 5),
    }
    position = parsing.position(record, "s1", GMT2)
    assert position.side is Side.SELL and position.volume == Decimal("0.5")
    assert position.time_create == datetime(2026, 1, 5, 8, 0, 0, 5000, tzinfo=UTC)
    assert position.time_update == position.time_create
    with pytest.raises(ParseError):
        parsing.position({**record, "Action": "4"}, "s1", GMT2)


def test_deal_record() -> None:
    record = {
        "Deal": "7",
        "Login": "5",
        "Action": "2",
        "Entry": "0",
        "Time": "1767607200",
        "Profit": "100000.00",
        "Comment": "initial",
    }
    deal = parsing.deal(record, "s1", GMT2)
    assert (deal.action, deal.entry, deal.volume, deal.profit) == (
        DealAction.BALANCE,
        DealEntry.IN,
        0,
        Decimal("100000.00"),
    )
    with pytest.raises(ParseError):
        parsing.deal({**record, "Action": "99"}, "s1", GMT2)


def test_a_trade_deal_carries_what_it_traded_in_the_deposit_currency() -> None:
    # 0.5 lot of USDJPY at 150.250 on a USD account: 50,000 USD (the price is in JPY, RateProfit 1/150.25 to
    # the 8 digits MT5 gives it: 7,512,500 JPY × 0.00665557 = 49,999.97)
    record = {
        "Deal": "8", "Login": "5", "Action": "0", "Entry": "0", "Time": "1767607200", "Symbol": "USDJPY",
        "VolumeExt": "50000000", "Volume": "5000", "Price": "150.250", "Profit": "0.00", "ContractSize": "100000.00",
        "RateProfit": "0.00665557", "DigitsCurrency": "2",
    }
    assert parsing.deal(record, "s1", GMT2).value == Decimal("49999.97")
    eurusd = {**record, "Symbol": "EURUSD", "Price": "1.10123", "RateProfit": "1.00000000"}
    assert parsing.deal(eurusd, "s1", GMT2).value == Decimal("55061.50")
    # a record without the contract size or the rate (a balance operation, an older server) says nothing
    assert parsing.deal({k: v for k, v in record.items() if k != "RateProfit"}, "s1", GMT2).value is None
    assert parsing.deal({**record, "ContractSize": "0.00"}, "s1", GMT2).value is None


def test_missing_field_is_named() -> None:
    with pytest.raises(ParseError, match="Equity"):
        parsing.account_state({"Login": "1", "Balance": "1"}, "s", "g")


def test_as_list() -> None:
    assert (
        parsing.as_list(None) == []
        and parsing.as_list({"a": 1}) == [{"a": 1}]
        and parsing.as_list([1]) == [1]
    )
    with pytest.raises(ParseError):
        parsing.as_list("x")
