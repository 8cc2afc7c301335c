"""The cycle's snapshot encoder makes the bytes `encode_snapshot` makes of the same account and positions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st
from propfirm.live.records import PositionSummary, Snapshot, encode_snapshot
from propfirm.poller.snapshots import SnapshotEncoder, position_order

amounts = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-10**9, max_value=10**9),
    st.sampled_from([Decimal("0"), Decimal("-0.00"), Decimal("1E+2"), Decimal("1.2E-7"), Decimal("100000.0000000")]),
)
prices = st.decimals(allow_nan=False, allow_infinity=False, places=5, min_value=0, max_value=10**6)
symbols = st.one_of(st.sampled_from(["EURUSD", "XAUUSD", "US30.cash"]),
                    st.text(min_size=1, max_size=12))  # quotes, backslashes, control and non-ASCII characters
times = st.one_of(st.none(), st.integers(min_value=0, max_value=10**9).map(
    lambda ms: datetime(2026, 3, 2, tzinfo=UTC) + timedelta(milliseconds=ms)))
rows = st.tuples(st.just(5001), symbols, st.sampled_from([Decimal("0.01"), Decimal("1.00"), Decimal("2.5")]),
                 st.sampled_from(["buy", "sell"]), st.integers(min_value=1, max_value=2**40), prices, prices, times,
                 amounts, amounts, st.one_of(st.none(), amounts))


def reference(server: str, cycle: int, time_text: str, login: int, money: tuple[Decimal, ...],
              held: list | None) -> bytes:
    summaries = None if held is None else tuple(
        PositionSummary(symbol, volume, side, ticket, price_open, price, price_time, profit, swap, value)
        for _, symbol, volume, side, ticket, price_open, price, price_time, profit, swap, value
        in sorted(held, key=position_order))
    return encode_snapshot(server, login, cycle, time_text, *money, summaries)


@settings(max_examples=300, deadline=None)
@given(server=st.sampled_from(["default", 'odd "server" \\ ü']), money=st.tuples(amounts, amounts, amounts, amounts),
       held=st.one_of(st.none(), st.lists(rows, max_size=4)))
def test_the_same_bytes_as_encode_snapshot(server: str, money: tuple[Decimal, ...], held: list | None) -> None:
    time_text = "2026-03-02T10:00:02.000Z"
    encoder = SnapshotEncoder(server, 812, time_text)
    made = encoder.encode(5001, *money, held)
    assert made == reference(server, 812, time_text, 5001, money, held)
    assert encoder.encode(5001, *money, held) == made  # the second time from the encoder's caches
    assert Snapshot.decode(made).login == 5001


def test_positions_are_listed_in_order_and_a_shared_time_formatted_once() -> None:
    moment = datetime(2026, 3, 2, 10, 0, 1, 123000, tzinfo=UTC)
    held = [(7, "XAUUSD", Decimal("1"), "sell", 9, Decimal("2000"), Decimal("2001"), moment, Decimal("-100"),
             Decimal("0"), None),
            (7, "EURUSD", Decimal("2"), "buy", 8, Decimal("1.1"), Decimal("1.2"), moment, Decimal("10"),
             Decimal("-1"), Decimal("240000"))]
    encoder = SnapshotEncoder("default", 3, "2026-03-02T10:00:02.000Z")
    listed = orjson.loads(encoder.encode(7, Decimal(1), Decimal(1), Decimal(0), Decimal(0), held))["positions"]
    assert [p["symbol"] for p in listed] == ["EURUSD", "XAUUSD"]
    assert [p["price_time"] for p in listed] == ["2026-03-02T10:00:01.123Z"] * 2
    assert "value" not in listed[1] and listed[0]["value"] == "240000"
    assert list(encoder._times) == [moment]
