"""An open position as the poller holds it between reads: what the tick path values at each quote and what a
blind interval's check carries through the gap's deals."""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple


class HeldPosition(NamedTuple):
    """A named tuple: one is made for every position read afresh every cycle (tens of thousands at 100,000
    accounts), and compared with the last read's, three times faster than a frozen dataclass."""

    symbol: str
    buy: bool
    volume: Decimal  # lots
    price_open: Decimal
    swap: Decimal
    ticket: int = 0  # MT5's position ticket (a blind interval's check follows it through the deals)
