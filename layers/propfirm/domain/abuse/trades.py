"""Deals as trades: one per position, from its opening deal to its last closing deal; and what the
detectors ask of trades alike (`books_of`: each account's trades per symbol; `same_size`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

DEFAULT_SIZE = Decimal(100_000)


@dataclass(frozen=True, slots=True)
class TradeDeal:
    """A trade deal as the detectors read it (the `deals` table's trade rows)."""

    server: str
    login: int
    ticket: int
    position: int
    time: datetime
    action: str  # buy | sell
    entry: str  # in | out | inout | out_by
    symbol: str
    volume: Decimal  # lots
    price: Decimal
    profit: Decimal  # profit + commission + swap


@dataclass(frozen=True, slots=True)
class Trade:
    server: str
    login: int
    position: int
    symbol: str
    side: str  # buy | sell: the opening deal's
    volume: Decimal  # lots opened
    relative: Decimal  # lots per 100,000 of the account's size: comparable across sizes
    opened_at: datetime
    open_price: Decimal
    closed_at: datetime | None  # None: still open at the end of the deals read
    close_price: Decimal | None
    profit: Decimal
    deals: tuple[int, ...]

    @property
    def hold_seconds(self) -> float | None:
        return None if self.closed_at is None else (self.closed_at - self.opened_at).total_seconds()

    def brief(self) -> dict[str, object]:
        """The trade as evidence: strings for money and prices, ISO times."""
        return {
            "login": self.login,
            "position": self.position,
            "symbol": self.symbol,
            "side": self.side,
            "volume": str(self.volume),
            "opened_at": self.opened_at.isoformat(),
            "open_price": str(self.open_price),
            "closed_at": self.closed_at.isoformat() if self.closed_at else None,
            "close_price": None if self.close_price is None else str(self.close_price),
            "profit": str(self.profit),
            "deals": list(self.deals),
        }


def trades_of(deals: Iterable[TradeDeal], sizes: Mapping[tuple[str, int], Decimal] | None = None) -> list[Trade]:
    """Every position whose opening deal is among `deals`, ordered by opening time (closing deals without
    their opening one are left out: the position began before the window read)."""
    by_position: dict[tuple[str, int, int], list[TradeDeal]] = defaultdict(list)
    for deal in deals:
        if deal.action in ("buy", "sell"):
            by_position[(deal.server, deal.login, deal.position)].append(deal)
    trades = []
    for (server, login, position), group in by_position.items():
        group.sort(key=lambda d: (d.time, d.ticket))
        opening = next((d for d in group if d.entry == "in"), None)
        if opening is None:
            continue
        closing = [d for d in group if d.entry in ("out", "out_by", "inout")]
        closed_volume = sum((d.volume for d in closing), Decimal(0))
        closed = bool(closing) and closed_volume >= opening.volume
        close_price = (
            sum((d.price * d.volume for d in closing), Decimal(0)) / closed_volume
            if closing and closed_volume
            else None
        )
        size = (sizes or {}).get((server, login), DEFAULT_SIZE) or DEFAULT_SIZE
        trades.append(
            Trade(
                server=server,
                login=login,
                position=position,
                symbol=opening.symbol,
                side=opening.action,
                volume=opening.volume,
                relative=opening.volume * DEFAULT_SIZE / size,
                opened_at=opening.time,
                open_price=opening.price,
                closed_at=closing[-1].time if closed else None,
                close_price=close_price if closed else None,
                profit=sum((d.profit for d in group), Decimal(0)),
                deals=tuple(d.ticket for d in group),
            )
        )
    trades.sort(key=lambda t: (t.opened_at, t.server, t.login, t.position))
    return trades


def books_of(trades: Sequence[Trade]) -> dict[tuple[str, int, str], list[Trade]]:
    """The trades of each account and symbol (server, login, symbol), in the order they were opened."""
    by_book: dict[tuple[str, int, str], list[Trade]] = defaultdict(list)
    for trade in trades:
        by_book[(trade.server, trade.login, trade.symbol)].append(trade)
    for book in by_book.values():
        book.sort(key=lambda x: x.opened_at)
    return by_book


def same_size(a: Trade, b: Trade, tolerance: Decimal) -> bool:
    """One relative size (lots per 100,000 of each account's size) within `tolerance` of the larger."""
    larger = max(a.relative, b.relative)
    return larger > 0 and abs(a.relative - b.relative) <= tolerance * larger
