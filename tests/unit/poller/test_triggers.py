"""Trigger prices: a quote reaches exactly the books whose estimate it puts at or under their floor (never
fewer), and books that are not linear in one price have none."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from propfirm.mt5.models import SymbolInfo
from propfirm.poller.held import HeldPosition
from propfirm.poller.triggers import Trigger, TriggerIndex, trigger_of

SPECS = {
    "XAUUSD": SymbolInfo("XAUUSD", 2, Decimal(100), "XAU", "USD"),
    "EURUSD": SymbolInfo("EURUSD", 5, Decimal(100_000), "EUR", "USD"),
    "USDJPY": SymbolInfo("USDJPY", 3, Decimal(100_000), "USD", "JPY"),
}


def held(symbol: str, buy: bool, lots: str, price: str, swap: str = "0") -> HeldPosition:
    return HeldPosition(symbol, buy, Decimal(lots), Decimal(price), Decimal(swap))


def estimate(base: Decimal, positions: list[HeldPosition], bid: Decimal, ask: Decimal) -> Decimal:
    """The tick path's valuation (PriceWatch._estimate) of a one-symbol book in USD."""
    total = base
    for p in positions:
        spec = SPECS[p.symbol]
        rate = Decimal(1) if spec.currency_profit == "USD" else Decimal(1) / ask
        move = (bid - p.price_open) if p.buy else (p.price_open - ask)
        total += p.swap + move * spec.contract_size * p.volume * rate
    return total


def test_a_long_book_is_reached_at_the_bid_that_puts_it_on_its_floor() -> None:
    # 1 lot of gold bought at 2,000.00 on 100,000: equity 100,000 + 100 × (bid − 2,000); floor 99,000
    trigger = trigger_of(Decimal(100_000), "USD", [held("XAUUSD", True, "1", "2000.00")], Decimal(99_000),
                         SPECS.get)
    assert trigger is not None and (trigger.symbol, trigger.buy, trigger.price) == ("XAUUSD", True, Decimal(1990))
    index = TriggerIndex({7: trigger})
    assert index.reached("XAUUSD", Decimal("1990.01"), Decimal("1990.31")) == []
    assert index.reached("XAUUSD", Decimal("1990.00"), Decimal("1990.30")) == [7]
    assert index.reached("EURUSD", Decimal("1"), Decimal("1")) == []


def test_a_short_book_is_reached_at_the_ask() -> None:
    # 2 lots of EURUSD sold at 1.10000 with a swap of -20: 100,000 − 20 + 200,000 × (1.1 − ask); floor 98,980
    trigger = trigger_of(Decimal(100_000), "USD", [held("EURUSD", False, "2", "1.10000", "-20")],
                         Decimal(98_980), SPECS.get)
    assert trigger is not None and (trigger.buy, trigger.price) == (False, Decimal("1.105"))
    index = TriggerIndex({8: trigger})
    assert index.reached("EURUSD", Decimal("1.10480"), Decimal("1.10499")) == []
    assert index.reached("EURUSD", Decimal("1.10480"), Decimal("1.10500")) == [8]


def test_mixed_or_converted_books_have_no_trigger() -> None:
    base, level = Decimal(100_000), Decimal(99_000)
    assert trigger_of(base, "USD", [held("XAUUSD", True, "1", "2000"), held("EURUSD", True, "1", "1.1")], level,
                      SPECS.get) is None
    assert trigger_of(base, "USD", [held("XAUUSD", True, "1", "2000"), held("XAUUSD", False, "1", "2000")],
                      level, SPECS.get) is None  # hedged: the spread decides, not one price
    assert trigger_of(base, "EUR", [held("USDJPY", True, "1", "150")], level, SPECS.get) is None  # by EURJPY
    assert trigger_of(base, "EUR", [held("XAUUSD", True, "1", "2000")], level, SPECS.get) is None
    assert trigger_of(base, "USD", [held("GBPUSD", True, "1", "1.3")], level, SPECS.get) is None  # no spec
    assert trigger_of(base, "USD", [], level, SPECS.get) is None


prices = st.decimals(min_value=Decimal("1800"), max_value=Decimal("2200"), places=2)
lots = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("7"), places=2)


@settings(max_examples=300, deadline=None)
@given(
    buy=st.booleans(),
    legs=st.lists(st.tuples(lots, prices, st.decimals(min_value=-50, max_value=50, places=2)), min_size=1,
                  max_size=4),
    base=st.decimals(min_value=Decimal(1_000), max_value=Decimal(500_000), places=2),
    cushion=st.decimals(min_value=Decimal(-3_000), max_value=Decimal(30_000), places=2),
    bid=prices,
    spread=st.decimals(min_value=Decimal(0), max_value=Decimal("0.90"), places=2),
)
def test_the_screen_reaches_exactly_the_books_at_or_under_their_floor(buy, legs, base, cushion, bid, spread) -> None:
    positions = [held("XAUUSD", buy, str(volume), str(price), str(swap)) for volume, price, swap in legs]
    level = base - cushion
    trigger = trigger_of(base, "USD", positions, level, SPECS.get)
    assert trigger is not None
    ask = bid + spread
    reached = TriggerIndex({1: trigger}).reached("XAUUSD", bid, ask) == [1]
    at_floor = estimate(base, positions, bid, ask) <= level
    assert reached == at_floor


def test_a_book_of_the_symbol_converting_its_own_profit_has_a_trigger_on_each_side() -> None:
    # 1 lot of USDJPY sold at 150.000 on 100,000 USD: 100,000 + 100,000 × (150 − ask) / ask; floor 99,000
    short = trigger_of(Decimal(100_000), "USD", [held("USDJPY", False, "1", "150.000")], Decimal(99_000), SPECS.get)
    assert short is not None and not short.buy
    assert abs(short.price - Decimal("151.515151515")) < Decimal("0.000001")  # 150 / 0.99
    index = TriggerIndex({3: short})
    assert index.reached("USDJPY", Decimal("151.490"), Decimal("151.510")) == []
    assert index.reached("USDJPY", Decimal("151.500"), Decimal("151.520")) == [3]
    long = trigger_of(Decimal(100_000), "USD", [held("USDJPY", True, "1", "150.000")], Decimal(99_000), SPECS.get)
    assert long is not None and long.buy and abs(long.price - Decimal("148.514851485")) < Decimal("0.000001")


yen = st.decimals(min_value=Decimal("140"), max_value=Decimal("160"), places=3)


@settings(max_examples=300, deadline=None)
@given(
    buy=st.booleans(),
    legs=st.lists(st.tuples(lots, yen, st.decimals(min_value=-50, max_value=50, places=2)), min_size=1, max_size=3),
    base=st.decimals(min_value=Decimal(10_000), max_value=Decimal(500_000), places=2),
    cushion=st.decimals(min_value=Decimal(1), max_value=Decimal(9_000), places=2),
    bid=yen,
    spread=st.decimals(min_value=Decimal(0), max_value=Decimal("0.050"), places=3),
)
def test_a_self_converted_screen_never_misses_a_book_at_its_floor(buy, legs, base, cushion, bid, spread) -> None:
    positions = [held("USDJPY", buy, str(volume), str(price), str(swap)) for volume, price, swap in legs]
    level = base - cushion
    trigger = trigger_of(base, "USD", positions, level, SPECS.get)
    ask = bid + spread
    if estimate(base, positions, bid, ask) <= level and trigger is not None:  # None: valued at every quote
        assert TriggerIndex({1: trigger}).reached("USDJPY", bid, ask) == [1]


_prices = st.sampled_from([Decimal("1.1"), Decimal("1.10"), Decimal("1.2"), Decimal("1990"), Decimal("0.5")])
_triggers = st.builds(Trigger, st.sampled_from(["EURUSD", "XAUUSD", "USDJPY"]), st.booleans(), _prices)


@settings(max_examples=200, deadline=None)
@given(reads=st.lists(st.dictionaries(st.integers(min_value=1, max_value=40), _triggers, max_size=30),
                      min_size=1, max_size=6),
       kept=st.lists(st.booleans(), min_size=40, max_size=40))
def test_an_updated_index_is_the_index_made_afresh(reads: list[dict[int, Trigger]], kept: list[bool]) -> None:
    """From read to read some books keep their trigger object, others get a new one, come or go: the index
    mended from the last one lists what an index made from scratch lists, and the last one is unchanged."""
    index = TriggerIndex({})
    for read in reads:
        # books that kept their trigger keep the very object, as `PriceWatch._stage` does
        triggers = {login: (index.by_login[login] if kept[login - 1] and login in index.by_login else trigger)
                    for login, trigger in read.items()}
        before = (repr(index._longs), repr(index._shorts))
        mended, fresh = index.updated(triggers), TriggerIndex(triggers)
        assert (repr(index._longs), repr(index._shorts)) == before
        assert (mended._longs, mended._shorts, mended._counts) == (fresh._longs, fresh._shorts, fresh._counts)
        for symbol in ("EURUSD", "XAUUSD", "USDJPY"):
            for price in (Decimal("1.1"), Decimal("1.5"), Decimal("2000")):
                assert mended.reached(symbol, price, price) == fresh.reached(symbol, price, price)
        index = mended
