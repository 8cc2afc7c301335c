"""An open position as the poller holds it between reads: what the tick path values at each quote and what a
blind interval's check carries through the gap's deals."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class HeldPosition:
    symbol: str
    buy: bool
    volume: Decimal  # lots
    price_open: Decimal
    swap: Decimal
    ticket: int = 0  # MT5's position ticket (a blind interval's check follows it through the deals)
