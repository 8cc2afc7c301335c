"""A blind interval checked against MT5's own record of it: did an account's equity reach its floor while
nobody was reading?

Pure: given an account as the last read before the gap left it (balance + credit, open positions, floor),
the deals MT5 booked in the gap, the one-minute bars of the prices in it (`MinutePrices`), and the account
as the first read after the gap found it, `check_gap` walks the gap minute by minute and bounds the equity from below:

- the account's book is carried through the deals in time order (each deal's profit, commission and swap
  into balance + credit; IN opens a position at the deal's price, or adds to a netting one at the
  volume-weighted price; OUT and OUT_BY reduce it; INOUT closes it and opens the rest the other way);
- in each minute, every state the book passes through is valued at the worst prices of that minute for
  each position: a buy at the bar's lowest bid, a sell at its highest ask (bid + the bar's spread), a
  symbol without a bar in the minute at its last close (no quote: the price stood);
- the profit currency is converted at the converting symbol's close in that minute.

The bound is never above what MT5 computed at any instant of the minute for the same positions and rates,
so an account whose bound stays above its floor did not breach (`clear`). A bound at or through the floor
is `breached` when it is an equity MT5 really computed: one state for the whole minute, every position a
buy or every one a sell in one symbol quoted in the account's currency, so the bound is the account at
the bar's extreme quote; else `possible` (the extremes of different positions need not coincide). Both
go to a risk officer with this evidence; neither is applied as a decision.

The reconstruction is checked against the read after the gap: the positions (tickets, sides and lots) and
balance + credit it arrives at must be what MT5 reported, else the account is `unchecked` with the
difference (as it is when a price is missing, or no floor was in force). A read is not an instant: it
holds the account as at some moment between its stamp and the end of its reads (`GapWindow`), so the
deals dated in that span are tried both ways (the read before the gap holding the first few of them
already, the read after it a few more than its stamp says). The floor is the one in force at the gap's
start; the minutes from its expiry (the next trading day's reset), or from the first balance operation
in the gap (a deposit, a payout, a phase's reset: each moves the floors), are left to the evaluator,
which judges those deals on the floors they lead to.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, Decimal
from typing import Literal

from propfirm.live.records import FloorRecord
from propfirm.mt5.models import Deal, DealAction, DealEntry, MinuteBar, SymbolInfo
from propfirm.poller.held import HeldPosition

MINUTE = timedelta(minutes=1)
TRADES = (DealAction.BUY, DealAction.SELL)
MAX_AMBIGUOUS = 12  # deals dated while a read ran that it may hold: the counts tried
ZERO = Decimal(0)
CENT = Decimal("0.01")

Outcome = Literal["clear", "possible", "breached", "unchecked"]


@dataclass(frozen=True, slots=True)
class AccountAt:
    """An account as one read found it: balance + credit and its open positions."""

    login: int
    base: Decimal
    positions: tuple[HeldPosition, ...]


@dataclass(frozen=True)
class GapVerdict:
    login: int
    outcome: Outcome
    floor: Decimal | None = None
    lowest: Decimal | None = None  # the lowest bound of the equity found
    at: datetime | None = None  # the minute it was found in
    held: tuple[HeldPosition, ...] = ()  # the positions held then
    checked_until: datetime | None = None
    reason: str = ""

    def as_json(self) -> dict[str, object]:
        return {
            "login": self.login,
            "outcome": self.outcome,
            "floor": None if self.floor is None else str(self.floor),
            # to the cent, rounded down: still a bound from below, and what a person reads
            "lowest": None if self.lowest is None else str(self.lowest.quantize(CENT, rounding=ROUND_FLOOR)),
            "at": None if self.at is None else self.at.isoformat(),
            "held": [{"ticket": p.ticket, "symbol": p.symbol, "side": "buy" if p.buy else "sell",
                      "volume": str(p.volume), "price_open": str(p.price_open)} for p in self.held],
            "checked_until": None if self.checked_until is None else self.checked_until.isoformat(),
            "reason": self.reason,
        }


@dataclass
class _Book:
    base: Decimal
    positions: dict[int, HeldPosition] = field(default_factory=dict)

    def apply(self, deal: Deal) -> None:
        self.base += deal.profit + deal.commission + deal.storage
        if deal.action not in TRADES:
            return
        buy = deal.action == DealAction.BUY
        held = self.positions.get(deal.position_id)
        if deal.entry == DealEntry.IN:
            if held is None:
                self.positions[deal.position_id] = HeldPosition(deal.symbol, buy, deal.volume, deal.price, ZERO,
                                                                deal.position_id)
            else:  # a netting position grows at the volume-weighted price
                volume = held.volume + deal.volume
                price = (held.price_open * held.volume + deal.price * deal.volume) / volume
                self.positions[deal.position_id] = held._replace(volume=volume, price_open=price)
        elif held is not None and deal.entry in (DealEntry.OUT, DealEntry.OUT_BY, DealEntry.INOUT):
            rest = held.volume - deal.volume
            if rest > ZERO:
                self.positions[deal.position_id] = held._replace(volume=rest)
            else:
                del self.positions[deal.position_id]
                if deal.entry == DealEntry.INOUT and rest < ZERO:  # the rest opens the other way
                    self.positions[deal.position_id] = HeldPosition(held.symbol, buy, -rest, deal.price, ZERO,
                                                                    held.ticket)


class MinutePrices:
    """The minutes' bars of each symbol, with the last close carried over minutes without a bar. Built once
    for a gap and shared by all its accounts (a minute's span is looked up once per symbol)."""

    def __init__(self, bars: Mapping[str, Sequence[MinuteBar]]) -> None:
        self._ordered = {symbol: sorted(rows, key=lambda b: b.start) for symbol, rows in bars.items()}
        self._starts = {symbol: [b.start for b in rows] for symbol, rows in self._ordered.items()}
        self._spans: dict[tuple[str, datetime], tuple[Decimal, Decimal, Decimal, Decimal] | None] = {}
        self._extremes: dict[tuple[str, datetime, datetime], tuple[Decimal, Decimal, Decimal] | None] = {}

    def span(self, symbol: str, minute: datetime) -> tuple[Decimal, Decimal, Decimal, Decimal] | None:
        """The lowest and highest bid of `minute`, its last bid and the spread; a minute without a quote has
        the last close before it for all three (the price stood); None before any bar."""
        key = (symbol, minute)
        if key in self._spans:
            return self._spans[key]
        starts = self._starts.get(symbol, [])
        at = bisect_right(starts, minute) - 1
        span = None
        if at >= 0:
            bar = self._ordered[symbol][at]
            span = ((bar.low, bar.high, bar.close, bar.spread) if bar.start == minute
                    else (bar.close, bar.close, bar.close, bar.spread))
        self._spans[key] = span
        return span

    def extremes(self, symbol: str, first: datetime, until: datetime) -> tuple[Decimal, Decimal, Decimal] | None:
        """The lowest and highest bid, and the widest spread, of the minutes from `first` to before `until`
        (with the price standing at `first`); None before any bar."""
        key = (symbol, first, until)
        if key not in self._extremes:
            standing = self.span(symbol, first)
            result = None
            if standing is not None:
                low, high, _, spread = standing
                starts = self._starts[symbol]
                for bar in self._ordered[symbol][bisect_right(starts, first):bisect_left(starts, until)]:
                    low, high, spread = min(low, bar.low), max(high, bar.high), max(spread, bar.spread)
                result = (low, high, spread)
            self._extremes[key] = result
        return self._extremes[key]


def _minute_of(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def _breaches(equity: Decimal, floor: FloorRecord) -> bool:
    return equity <= floor.level if floor.breach_at == "touch" else equity < floor.level


@dataclass(frozen=True, slots=True)
class GapWindow:
    """The reads around a gap, on the server's clock: each read's stamp and the end of its reads. A read
    holds the account as at some instant between the two, so a deal dated in that span may or may not be
    in what it read."""

    since: datetime  # the read before the gap: its stamp
    since_reads_end: datetime
    until: datetime  # the read after it
    until_reads_end: datetime

    @classmethod
    def instants(cls, since: datetime, until: datetime) -> GapWindow:
        return cls(since, since, until, until)


def check_gap(
    start: AccountAt,
    end: AccountAt,
    floor: FloorRecord | None,
    deals: Iterable[Deal],
    window: GapWindow,
    prices: MinutePrices,
    specs: Mapping[str, SymbolInfo | None],
    currency: str,
    converter: Callable[[str, str], str | None],
) -> GapVerdict:
    """One account's gap from the read before it to the read after it; see above."""
    login = start.login
    since, until = window.since, window.until
    ordered = sorted((d for d in deals if since < d.time <= window.until_reads_end),
                     key=lambda d: (d.time, d.ticket))
    consistent = _reconcile(start, end, ordered, window)
    if consistent is None:
        return GapVerdict(login, "unchecked", reason="MT5's record of the gap does not add up: "
                                                     + _mismatch(_carried(start, ordered, until), end))
    base, held_at_start = consistent
    ordered = [d for d in ordered[held_at_start:] if d.time <= until]
    if floor is None or floor.expires_at <= since:
        return GapVerdict(login, "unchecked", reason="no floor in force at the gap's start")
    checked_until = min(until, floor.expires_at)
    operation = next((d for d in ordered if d.action not in TRADES), None)
    if operation is not None and operation.time < checked_until:
        # a balance operation (a deposit, a payout, a phase's reset) moves the floors as the evaluator judges
        # it: the floor read before the gap holds up to it, the evaluator from there on
        checked_until = operation.time
        ordered = [d for d in ordered if d.time < operation.time]
    if not start.positions and not any(d.entry in (DealEntry.IN, DealEntry.INOUT) for d in ordered):
        return GapVerdict(login, "clear", floor=floor.level, checked_until=checked_until)  # nothing held
    if not ordered:  # the same positions throughout: first the whole gap's extremes at once
        bound = _bound_over(base, start.positions, since, checked_until, prices, specs, currency)
        if bound is not None and not _breaches(bound, floor):
            return GapVerdict(login, "clear", floor=floor.level, lowest=bound, checked_until=checked_until)
    book = _Book(base, {p.ticket: p for p in start.positions})
    worst: tuple[Decimal, datetime, tuple[HeldPosition, ...], bool] | None = None
    next_deal = 0
    minute = _minute_of(since)
    while minute < checked_until:
        end_of_minute = minute + MINUTE
        states = [tuple(book.positions.values())]
        first = next_deal
        while next_deal < len(ordered) and ordered[next_deal].time < end_of_minute:
            next_deal += 1
        in_minute = ordered[first:next_deal]
        bases = [book.base]
        for deal in in_minute:
            book.apply(deal)
            states.append(tuple(book.positions.values()))
            bases.append(book.base)
        whole_minute = not in_minute and minute >= since and end_of_minute <= checked_until
        for base, held in zip(bases, states, strict=True):
            if not held:
                continue
            valued = _worst_equity(base, held, minute, prices, specs, currency, converter)
            if valued is None:
                return GapVerdict(login, "unchecked", floor=floor.level, checked_until=checked_until,
                                  reason=f"no price or rate for the positions held at {minute.isoformat()}")
            equity, exact = valued
            if worst is None or equity < worst[0]:
                worst = (equity, minute, held, exact and whole_minute)
        minute = end_of_minute
    if worst is None:
        return GapVerdict(login, "clear", floor=floor.level, checked_until=checked_until)
    equity, at, held, certain = worst
    if not _breaches(equity, floor):
        return GapVerdict(login, "clear", floor=floor.level, lowest=equity, at=at, held=held,
                          checked_until=checked_until)
    return GapVerdict(
        login, "breached" if certain else "possible", floor=floor.level, lowest=equity, at=at, held=held,
        checked_until=checked_until,
        reason=("the equity at the minute's extreme quote" if certain
                else "a lower bound: the positions' worst prices need not have come at one instant"),
    )


def _worst_equity(
    base: Decimal,
    held: tuple[HeldPosition, ...],
    minute: datetime,
    prices: MinutePrices,
    specs: Mapping[str, SymbolInfo | None],
    currency: str,
    converter: Callable[[str, str], str | None],
) -> tuple[Decimal, bool] | None:
    """The lowest equity the minute's prices allow for these positions, and whether it is an equity MT5
    computed (one symbol in the account's currency, every position on one side); None without a price."""
    total = base
    for p in held:
        spec = specs.get(p.symbol)
        span = prices.span(p.symbol, minute)
        if spec is None or span is None:
            return None
        rate = _rate(spec.currency_profit, currency, minute, prices, converter)
        if rate is None:
            return None
        low, high, _, spread = span
        total += _worst_result(p, spec, low, high, spread, rate)
    symbols = {p.symbol for p in held}
    sides = {p.buy for p in held}
    one_rate = all((s := specs.get(p.symbol)) is not None and s.currency_profit == currency for p in held)
    return total, len(symbols) == 1 and len(sides) == 1 and one_rate


def _bound_over(base: Decimal, held: tuple[HeldPosition, ...], since: datetime, until: datetime,
                prices: MinutePrices, specs: Mapping[str, SymbolInfo | None], currency: str) -> Decimal | None:
    """The equity's bound over the whole gap at once (each symbol's lowest bid and highest ask in it): when
    that is above the floor, no minute can be under it. None when a position's profit needs converting
    (the rate's own extremes would be needed) or a price is missing."""
    total = base
    for p in held:
        spec = specs.get(p.symbol)
        if spec is None or spec.currency_profit != currency:
            return None
        extremes = prices.extremes(p.symbol, _minute_of(since), until)
        if extremes is None:
            return None
        low, high, spread = extremes
        total += _worst_result(p, spec, low, high, spread, Decimal(1))
    return total


def _worst_result(p: HeldPosition, spec: SymbolInfo, low: Decimal, high: Decimal, spread: Decimal,
                  rate: Decimal) -> Decimal:
    """A position's result (swap included) at the worst of a bid range: a buy closed at the lowest bid, a
    sell at the highest ask."""
    close = low if p.buy else high + spread
    move = close - p.price_open if p.buy else p.price_open - close
    return p.swap + move * spec.contract_size * p.volume * rate


def _rate(source: str, target: str, minute: datetime, prices: MinutePrices,
          converter: Callable[[str, str], str | None]) -> Decimal | None:
    if source == target:
        return Decimal(1)
    symbol = converter(source, target)
    if symbol is None:
        return None
    span = prices.span(symbol, minute)
    if span is None:
        return None
    _, _, last, spread = span
    if symbol == source + target:
        return last
    return Decimal(1) / (last + spread) if last + spread else None


def _carried(start: AccountAt, deals: Sequence[Deal], until: datetime) -> _Book:
    """The start carried through the deals up to `until` (what the mismatch reports)."""
    book = _Book(start.base, {p.ticket: p for p in start.positions})
    for deal in deals:
        if deal.time <= until:
            book.apply(deal)
    return book


def _held_after(positions: tuple[HeldPosition, ...], deals: Sequence[Deal]) -> dict[int, tuple[bool, Decimal]]:
    book = _Book(ZERO, {p.ticket: p for p in positions})
    for deal in deals:
        book.apply(deal)
    return {t: (p.buy, p.volume) for t, p in book.positions.items()}


def _reconcile(start: AccountAt, end: AccountAt, deals: Sequence[Deal], window: GapWindow
               ) -> tuple[Decimal, int] | None:
    """The start made consistent with MT5's record: (balance + credit at the start, how many of the first
    deals the read before the gap already held), or None when no reading of the record adds up.

    A read takes the balances first and the positions after, so each read may hold some of the deals dated
    while it ran, and its positions at least as many as its balances: the first `skip` deals are in the
    start's positions (`skip_base` <= `skip` of them in its balance), and the read after the gap holds the
    deals up to its stamp and `late` more (`late_base` <= `late` in its balance)."""
    early = min(MAX_AMBIGUOUS, sum(1 for d in deals if d.time <= window.since_reads_end))
    within = sum(1 for d in deals if d.time <= window.until)
    late = min(MAX_AMBIGUOUS, sum(1 for d in deals if window.until < d.time <= window.until_reads_end))
    early = min(early, within)
    booked = [ZERO]
    for deal in deals:
        booked.append(booked[-1] + deal.profit + deal.commission + deal.storage)
    read = {p.ticket: (p.buy, p.volume) for p in end.positions}
    positions_fit = [(skip, extra) for skip in range(early + 1) for extra in range(late + 1)
                     if _held_after(start.positions, deals[skip:within + extra]) == read]
    base_fit = [(skip, extra) for skip in range(early + 1) for extra in range(late + 1)
                if start.base + booked[within + extra] - booked[skip] == end.base]
    for skip, extra in positions_fit:
        for skip_base, extra_base in base_fit:
            if skip_base <= skip and extra_base <= extra:
                return start.base + booked[skip] - booked[skip_base], skip
    return None


def _mismatch(replayed: _Book, end: AccountAt) -> str:
    """What differs between the book carried through the gap's deals and the read after it ('' for none)."""
    if replayed.base != end.base:
        return f"balance + credit {replayed.base} carried through the deals, {end.base} read"
    mine = {t: (p.buy, p.volume) for t, p in replayed.positions.items()}
    read = {p.ticket: (p.buy, p.volume) for p in end.positions}
    if mine != read:
        return f"positions {sorted(mine.items())} carried through the deals, {sorted(read.items())} read"
    return ""
