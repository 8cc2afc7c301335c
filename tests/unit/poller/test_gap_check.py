"""A blind interval checked against MT5's record of it (propfirm.poller.gap_check): pure, worked by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from propfirm.live.records import FloorRecord
from propfirm.mt5.models import Deal, DealAction, DealEntry, MinuteBar, SymbolInfo
from propfirm.poller.gap_check import AccountAt, GapVerdict, GapWindow, MinutePrices, check_gap
from propfirm.poller.held import HeldPosition

T0 = datetime(2026, 3, 3, 10, 0, 30, tzinfo=UTC)  # the read before the gap, mid-minute
MINUTE = timedelta(minutes=1)
SPECS = {
    "EURUSD": SymbolInfo("EURUSD", 5, Decimal(100_000), "EUR", "USD"),
    "GBPUSD": SymbolInfo("GBPUSD", 5, Decimal(100_000), "GBP", "USD"),
    "USDJPY": SymbolInfo("USDJPY", 3, Decimal(100_000), "USD", "JPY"),
}
SPREAD = Decimal("0.00010")


def converter(source: str, target: str) -> str | None:
    return next((s for s in (source + target, target + source) if s in SPECS), None)


def floor(level: str, breach_at: str = "touch", expires: datetime | None = None) -> FloorRecord:
    return FloorRecord(Decimal(level), expires or T0 + timedelta(days=1), "max_loss", breach_at, "fail", 1)


def bar(symbol: str, minute: int, low: str, high: str, close: str | None = None,
        spread: Decimal = SPREAD) -> MinuteBar:
    start = T0.replace(second=0) + minute * MINUTE
    return MinuteBar(symbol, start, Decimal(low), Decimal(high), Decimal(low), Decimal(close or high), spread)


def deal(ticket: int, at: timedelta, entry: DealEntry, buy: bool, volume: str, price: str, profit: str = "0",
         position: int = 7, symbol: str = "EURUSD") -> Deal:
    return Deal("sim", 1001, ticket, T0 + at, DealAction.BUY if buy else DealAction.SELL, entry, symbol,
                Decimal(volume), Decimal(price), Decimal(profit), Decimal(0), Decimal(0), position)


def position(ticket: int, symbol: str, buy: bool, volume: Decimal, price_open: Decimal) -> HeldPosition:
    return HeldPosition(symbol, buy, volume, price_open, Decimal(0), ticket)


LONG = position(7, "EURUSD", True, Decimal("1.00"), Decimal("1.10000"))
START = AccountAt(1001, Decimal("100000"), (LONG,))


def check(start=START, end=START, floor_record=None, deals=(), minutes=5, bars=None, window=None):
    until = T0 + minutes * MINUTE
    return check_gap(start, end, floor_record or floor("99000"), deals, window or GapWindow.instants(T0, until),
                     MinutePrices(bars or {}), SPECS, "USD", converter)


def test_a_dip_that_recovered_inside_the_gap_is_breached_at_its_minute():
    # one lot of EURUSD bought at 1.10000: each 0.00001 is 1 USD; the floor 99,000 is 1,000 below
    bars = {"EURUSD": [bar("EURUSD", 0, "1.09950", "1.10020"), bar("EURUSD", 2, "1.08990", "1.09500"),
                       bar("EURUSD", 3, "1.09800", "1.10100")]}
    verdict = check(bars=bars)
    assert verdict.outcome == "breached"
    assert verdict.lowest == Decimal("98990.00000") and verdict.at == T0.replace(second=0) + 2 * MINUTE
    assert verdict.held == (LONG,) and verdict.floor == Decimal("99000")
    # the same gap with the low one point above the floor is clear, its lowest equity shown
    bars["EURUSD"][1] = bar("EURUSD", 2, "1.09001", "1.09500")
    clear = check(bars=bars)
    assert clear.outcome == "clear" and clear.lowest == Decimal("99001.00000")


def test_touch_and_below():
    bars = {"EURUSD": [bar("EURUSD", 0, "1.09900", "1.10000"), bar("EURUSD", 1, "1.09000", "1.09500")]}  # 99,000
    assert check(bars=bars).outcome == "breached"
    assert check(bars=bars, floor_record=floor("99000", "below")).outcome == "clear"


def test_a_sell_is_valued_at_the_ask_and_a_minute_without_quotes_at_the_last_close():
    short = position(8, "EURUSD", False, Decimal("2.00"), Decimal("1.10000"))
    start = AccountAt(1001, Decimal("100000"), (short,))
    # highest bid 1.10440 + spread 0.00010: ask 1.10450, 2 lots: −900; quiet minutes after stand at close
    bars = {"EURUSD": [bar("EURUSD", 0, "1.09990", "1.10000"), bar("EURUSD", 1, "1.10000", "1.10440", close="1.10100")]}
    verdict = check(start=start, end=start, bars=bars, floor_record=floor("99100"))
    assert verdict.outcome == "breached" and verdict.lowest == Decimal("99100.00000")
    assert verdict.at == T0.replace(second=0) + MINUTE
    later = check(start=start, end=start, bars=bars, floor_record=floor("99000"))
    assert later.outcome == "clear" and later.lowest == Decimal("99100.00000")


def test_a_hedge_across_symbols_crossing_only_by_bound_is_possible():
    both = (LONG, position(9, "GBPUSD", True, Decimal("1.00"), Decimal("1.30000")))
    start = AccountAt(1001, Decimal("100000"), both)
    bars = {"EURUSD": [bar("EURUSD", 0, "1.10000", "1.10000"), bar("EURUSD", 1, "1.09500", "1.10000")],
            "GBPUSD": [bar("GBPUSD", 0, "1.30000", "1.30000"), bar("GBPUSD", 1, "1.29500", "1.30000")]}
    verdict = check(start=start, end=start, bars=bars)
    assert verdict.outcome == "possible" and verdict.lowest == Decimal("99000.00000")
    assert "need not" in verdict.reason


def test_deals_in_the_gap_are_carried_and_checked_against_the_read_after():
    # the long is closed at minute 1 for −300 and a new short opened at minute 3
    deals = [deal(20, 90 * timedelta(seconds=1), DealEntry.OUT, False, "1.00", "1.09700", profit="-300"),
             deal(21, 200 * timedelta(seconds=1), DealEntry.IN, False, "1.00", "1.09800", position=30)]
    end = AccountAt(1001, Decimal("99700"), (position(30, "EURUSD", False, Decimal("1.00"), Decimal("1.09800")),))
    bars = {"EURUSD": [bar("EURUSD", i, "1.09700", "1.09990") for i in range(5)]}
    verdict = check(end=end, deals=deals, bars=bars, floor_record=floor("99500"))
    # lowest: before the close, the long at 1.09700 is −300 (99,700); after the open, the short at the ask
    # 1.10000 is −200 on 99,700 (99,500: touches)
    assert verdict.outcome == "possible"  # the minute holding the open was not one state throughout
    assert verdict.lowest == Decimal("99500.00000")
    # a read after the gap that does not match what the deals leave: nothing is judged
    wrong = check(end=AccountAt(1001, Decimal("99650"), end.positions), deals=deals, bars=bars)
    assert wrong.outcome == "unchecked" and "does not add up" in wrong.reason
    missing = check(end=end, deals=deals[:1], bars=bars)
    assert missing.outcome == "unchecked" and "positions" in missing.reason


def test_deals_dated_while_a_read_ran_are_tried_both_ways():
    # a close dated 10 s after the read before the gap's stamp, which that read already held (the book shows
    # no position), and an open dated 5 s after the read after it, which that read holds too
    close = deal(20, timedelta(seconds=10), DealEntry.OUT, False, "1.00", "1.09900", profit="-100")
    opened = deal(21, 5 * MINUTE + timedelta(seconds=5), DealEntry.IN, True, "0.50", "1.10000", position=31)
    flat = AccountAt(1001, Decimal("99900"), ())
    end = AccountAt(1001, Decimal("99900"), (position(31, "EURUSD", True, Decimal("0.50"), Decimal("1.10000")),))
    bars = {"EURUSD": [bar("EURUSD", i, "1.09900", "1.10000") for i in range(6)]}
    window = GapWindow(T0, T0 + timedelta(seconds=20), T0 + 5 * MINUTE, T0 + 5 * MINUTE + timedelta(seconds=30))
    verdict = check(start=flat, end=end, deals=[close, opened], bars=bars, window=window)
    assert verdict.outcome == "clear", verdict  # nothing held in the gap itself
    # read as instants, the same record does not add up
    strict = check(start=flat, end=end, deals=[close, opened], bars=bars)
    assert strict.outcome == "unchecked"


def test_a_netting_reversal_opens_the_rest_the_other_way():
    deals = [deal(20, 70 * timedelta(seconds=1), DealEntry.INOUT, False, "3.00", "1.10000", position=7)]
    end = AccountAt(1001, Decimal("100000"), (position(7, "EURUSD", False, Decimal("2.00"), Decimal("1.10000")),))
    bars = {"EURUSD": [bar("EURUSD", i, "1.09990", "1.10010") for i in range(5)]}
    verdict = check(end=end, deals=deals, bars=bars)
    assert verdict.outcome == "clear"


def test_no_floor_no_price_and_an_expired_floor():
    assert check(floor_record=floor("99000", expires=T0)).outcome == "unchecked"
    assert check(bars={}).outcome == "unchecked"  # holding EURUSD with no bar of it
    flat = AccountAt(1001, Decimal("100000"), ())
    assert check(start=flat, end=flat).outcome == "clear"  # nothing held: the equity is the balance
    # the floor expires at minute 2: the dip at minute 3 belongs to the next day's floor
    bars = {"EURUSD": [bar("EURUSD", 0, "1.09950", "1.10000"), bar("EURUSD", 3, "1.08000", "1.09000")]}
    verdict = check(bars=bars, floor_record=floor("99000", expires=T0.replace(second=0) + 2 * MINUTE))
    assert verdict.outcome == "clear" and verdict.checked_until == T0.replace(second=0) + 2 * MINUTE


def test_profit_in_another_currency_is_converted_at_the_minute_close():
    held = position(9, "USDJPY", True, Decimal("1.00"), Decimal("150.000"))
    start = AccountAt(1001, Decimal("100000"), (held,))
    # low 148.500: −150,000 JPY; USDJPY's own close 149.000 + spread 0.010 converts: −1,006.64 USD
    bars = {"USDJPY": [bar("USDJPY", 0, "148.500", "149.000", spread=Decimal("0.010"))]}
    verdict = check(start=start, end=start, bars=bars)
    assert verdict.outcome == "possible"  # a lower bound: the rate is not the account's currency
    assert verdict.lowest.quantize(Decimal("0.01")) == Decimal("98993.36")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=-3000, max_value=3000), min_size=2, max_size=40), st.booleans())
def test_the_bound_is_never_above_the_equity_at_any_quote(path: list[int], buy: bool):
    """Quotes every 20 seconds: the bound of each minute is at most the equity at each of its quotes."""
    held = position(7, "EURUSD", buy, Decimal("1.00"), Decimal("1.10000"))
    start = AccountAt(1001, Decimal("100000"), (held,))
    quotes = [(T0 + i * timedelta(seconds=20), Decimal("1.10000") + Decimal(p) / 100_000) for i, p in enumerate(path)]
    by_minute: dict[datetime, list[Decimal]] = {}
    for at, bid in quotes:
        by_minute.setdefault(at.replace(second=0), []).append(bid)
    bars = {"EURUSD": [MinuteBar("EURUSD", m, b[0], max(b), min(b), b[-1], SPREAD) for m, b in by_minute.items()]}
    until = quotes[-1][0]
    verdict = check_gap(start, start, floor("0"), (), GapWindow.instants(T0, until), MinutePrices(bars), SPECS, "USD",
                        converter)

    def equity(bid: Decimal) -> Decimal:
        close = bid if buy else bid + SPREAD
        return Decimal("100000") + (close - Decimal("1.10000")) * (1 if buy else -1) * 100_000

    assert verdict.lowest is not None and verdict.lowest <= min(equity(b) for _, b in quotes)


def test_a_balance_operation_in_the_gap_ends_what_the_floor_before_it_judges():
    # a phase's reset 90 s in takes 20,000 off the balance: the old floor then means nothing
    reset = Deal("sim", 1001, 30, T0 + timedelta(seconds=90), DealAction.BALANCE, DealEntry.IN, "", Decimal(0),
                 Decimal(0), Decimal("-20000"), Decimal(0), Decimal(0), 0)
    end = AccountAt(1001, Decimal("80000"), (LONG,))
    bars = {"EURUSD": [bar("EURUSD", i, "1.09990", "1.10010") for i in range(5)]}
    verdict = check(end=end, deals=[reset], bars=bars)
    assert verdict.outcome == "clear" and verdict.checked_until == reset.time
    assert verdict.lowest == Decimal("99990.00000")  # judged before the operation only


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(-800, 800), st.integers(-800, 800)), min_size=3, max_size=20),
       st.booleans(), st.booleans(), st.integers(-1500, 300))
def test_the_whole_gap_shortcut_never_clears_what_the_minutes_would_not(path, buy_eur, buy_gbp, offset):
    """Held through the gap, two symbols: the verdict with a floor is `clear` exactly when every minute's bound
    is above it (the whole gap's extremes are tried first, and only ever clear)."""
    held = (position(7, "EURUSD", buy_eur, Decimal("1.00"), Decimal("1.10000")),
            position(9, "GBPUSD", buy_gbp, Decimal("1.00"), Decimal("1.30000")))
    start = AccountAt(1001, Decimal("100000"), held)
    bars = {
        "EURUSD": [bar("EURUSD", i, f"{1.1 + min(e, 0) / 100_000:.5f}", f"{1.1 + max(e, 0) / 100_000:.5f}")
                   for i, (e, _) in enumerate(path)],
        "GBPUSD": [bar("GBPUSD", i, f"{1.3 + min(g, 0) / 100_000:.5f}", f"{1.3 + max(g, 0) / 100_000:.5f}")
                   for i, (_, g) in enumerate(path)],
    }
    window = GapWindow.instants(T0, T0 + len(path) * MINUTE)
    walked = check_gap(start, start, floor("1000000000"), (), window, MinutePrices(bars), SPECS, "USD", converter)
    level = walked.lowest + offset  # type: ignore[operator]
    verdict = check_gap(start, start, floor(str(level)), (), window, MinutePrices(bars), SPECS, "USD", converter)
    assert (verdict.outcome == "clear") == (walked.lowest > level)


def test_the_lowest_equity_is_shown_to_the_cent_rounded_down_so_it_stays_a_bound() -> None:
    assert GapVerdict(1, "possible", lowest=Decimal("106717.5500000")).as_json()["lowest"] == "106717.55"
    assert GapVerdict(1, "breached", lowest=Decimal("94400.509")).as_json()["lowest"] == "94400.50"
    assert GapVerdict(1, "breached", lowest=Decimal("-12.341")).as_json()["lowest"] == "-12.35"
