"""Trigger prices: the tick path's screen, so that a quote costs a binary search instead of valuing every
account that holds the symbol.

Most books hold one symbol, on one side, whose profit is in the account's own currency (EURUSD or XAUUSD in
a USD account). Their estimated equity is then linear in one price:

    buys:   base + Σ swap + Σ (bid − open) × contract size × lots  =  C + K × bid
    sells:  base + Σ swap + Σ (open − ask) × contract size × lots  =  C − K × ask

so the estimate is at the floor exactly when bid ≤ (floor − C) / K for buys, or ask ≥ (C − floor) / K for
sells: the book's trigger price. The next most common book holds the symbol that converts its own profit
(USDJPY in a USD account, its JPY profit at one over the ask), which also has a trigger (see
`_self_converted`). Triggers are sorted per symbol and side; a quote finds the books it reaches by
bisection. Every division is rounded outwards (up for buys, down for sells), so a trigger never misses a
book the exact valuation would flag; the books it finds are valued exactly before anything is read from
MT5. Books that mix symbols or sides, or whose profit is converted by another symbol, have no trigger and
are valued at each quote of their symbols.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Context, Decimal

from propfirm.mt5.models import SymbolInfo
from propfirm.poller.held import HeldPosition

_UP = Context(prec=28, rounding=ROUND_CEILING)
_DOWN = Context(prec=28, rounding=ROUND_FLOOR)
_WIDER, _NARROWER = Decimal("1.000000000001"), Decimal("0.999999999999")


@dataclass(frozen=True, slots=True)
class Trigger:
    symbol: str
    buy: bool  # the book is long: a bid at or under `price` reaches the floor; short: an ask at or over it
    price: Decimal


def trigger_of(
    base: Decimal, currency: str, positions: Iterable[HeldPosition], level: Decimal,
    spec_of: Callable[[str], SymbolInfo | None],
) -> Trigger | None:
    """The trigger price of a book (balance + credit `base`, deposit `currency`) against a floor at `level`,
    or None when its estimate does not turn on one price (several symbols or sides, a profit converted by
    another symbol, a symbol without its specification)."""
    # one pass, no intermediate lists: this runs for every book at every read
    symbol = ""
    buy = False
    spec: SymbolInfo | None = None
    slope = opened = Decimal(0)  # K = Σ contract size × lots, O = Σ open price × contract size × lots
    constant = base  # C = balance + credit + Σ swap
    for p in positions:
        if spec is None:
            symbol, buy = p.symbol, p.buy
            spec = spec_of(symbol)
            if spec is None or spec.contract_size <= 0:
                return None
        elif p.symbol != symbol or p.buy != buy:
            return None
        size = spec.contract_size * p.volume
        slope += size
        opened += p.price_open * size
        constant += p.swap
    if spec is None or slope <= 0:
        return None
    if spec.currency_profit == currency:
        # buys C + K × bid − O, sells C + O − K × ask: exact, rounded outwards
        if buy:
            return Trigger(symbol, True, _UP.divide(level - constant + opened, slope))
        return Trigger(symbol, False, _DOWN.divide(constant + opened - level, slope))
    if symbol == currency + spec.currency_profit:
        return _self_converted(symbol, buy, constant, slope, opened, level)
    return None


def _self_converted(symbol: str, buy: bool, constant: Decimal, slope: Decimal, opened: Decimal, level: Decimal
                    ) -> Trigger | None:
    """A book of the symbol that converts its own profit (USDJPY in a USD account: profit in JPY at one over
    the ask). Sells: C + (O − K × ask) / ask = C + O / ask − K, at the floor when ask ≥ O / (L − C + K).
    Buys: C + (K × bid − O) / ask, at the floor when bid ≤ (O + D × spread) / (K − D) with D = L − C; the
    spread taken as 0 gives the highest such bid (D < 0), so the trigger holds whatever the spread. Widened
    by a millionth of a millionth against the rounding of the valuation's own division."""
    if opened <= 0:
        return None
    if buy:
        room = level - constant  # D: negative while the book is above its floor with nothing open
        if room >= 0 or slope - room <= 0:
            return None
        return Trigger(symbol, True, _UP.multiply(_UP.divide(opened, slope - room), _WIDER))
    margin = level - constant + slope
    if margin <= 0:
        return None
    return Trigger(symbol, False, _DOWN.multiply(_DOWN.divide(opened, margin), _NARROWER))


_Sorted = tuple[list[Decimal], list[int]]  # prices ascending, each with its login (ties by login)


class TriggerIndex:
    """Each symbol's triggers, sorted per side, and the books a quote reaches. An index is never changed once
    made (the tick thread bisects it while the next read's is made): `updated` makes the next one."""

    def __init__(self, triggers: dict[int, Trigger], *,
                 lists: tuple[dict[str, _Sorted], dict[str, _Sorted]] | None = None) -> None:
        if lists is None:
            longs: dict[str, list[tuple[Decimal, int]]] = {}
            shorts: dict[str, list[tuple[Decimal, int]]] = {}
            for login, trigger in triggers.items():
                (longs if trigger.buy else shorts).setdefault(trigger.symbol, []).append((trigger.price, login))
            lists = ({symbol: _sorted(pairs) for symbol, pairs in longs.items()},
                     {symbol: _sorted(pairs) for symbol, pairs in shorts.items()})
        self._longs, self._shorts = lists
        self.logins = triggers.keys()
        self.by_login = triggers  # each book's trigger (the next read keeps those of unchanged books)
        self._counts = {symbol: len(prices) for symbol, (prices, _) in self._longs.items()}
        for symbol, (prices, _) in self._shorts.items():
            self._counts[symbol] = self._counts.get(symbol, 0) + len(prices)

    def updated(self, triggers: dict[int, Trigger]) -> TriggerIndex:
        """The index of `triggers`, the same as `TriggerIndex(triggers)`. From one read to the next most
        books keep their trigger (the same object): only the lists of the symbols whose triggers changed are
        copied and mended by bisection, instead of sorting 50,000 prices again (~60 ms a cycle)."""
        last = self.by_login
        gone = [(login, trigger) for login, trigger in last.items() if triggers.get(login) is not trigger]
        new = [(login, trigger) for login, trigger in triggers.items() if last.get(login) is not trigger]
        if len(gone) + len(new) > max(1_000, len(triggers) // 4):  # most of it new: sorting afresh is cheaper
            return TriggerIndex(triggers)
        longs, shorts = dict(self._longs), dict(self._shorts)
        copied: set[tuple[str, bool]] = set()

        def lists_of(trigger: Trigger) -> _Sorted:
            side = longs if trigger.buy else shorts
            key = (trigger.symbol, trigger.buy)
            if key not in copied:  # the first change of this symbol and side: a copy of its lists
                copied.add(key)
                prices, logins = side.get(trigger.symbol, ([], []))
                side[trigger.symbol] = (list(prices), list(logins))
            return side[trigger.symbol]

        for login, trigger in gone:
            prices, logins = lists_of(trigger)
            i = bisect_left(prices, trigger.price)
            while logins[i] != login:  # among the equal prices, ordered by login
                i += 1
            del prices[i], logins[i]
        for login, trigger in new:
            prices, logins = lists_of(trigger)
            i = bisect_left(prices, trigger.price)
            while i < len(prices) and prices[i] == trigger.price and logins[i] < login:
                i += 1
            prices.insert(i, trigger.price)
            logins.insert(i, login)
        for side in (longs, shorts):
            for symbol in [symbol for symbol, (prices, _) in side.items() if not prices]:
                del side[symbol]
        return TriggerIndex(triggers, lists=(longs, shorts))

    def count(self, symbol: str) -> int:
        """How many books a quote of `symbol` screens."""
        return self._counts.get(symbol, 0)

    def reached(self, symbol: str, bid: Decimal, ask: Decimal) -> list[int]:
        """The books of `symbol` whose floor this quote may reach: longs with a trigger at or over the bid,
        shorts with one at or under the ask."""
        found: list[int] = []
        if symbol in self._longs:
            prices, logins = self._longs[symbol]
            found.extend(logins[bisect_left(prices, bid):])
        if symbol in self._shorts:
            prices, logins = self._shorts[symbol]
            found.extend(logins[:bisect_right(prices, ask)])
        return found


def _sorted(pairs: list[tuple[Decimal, int]]) -> _Sorted:
    pairs.sort()
    return [price for price, _ in pairs], [login for _, login in pairs]
