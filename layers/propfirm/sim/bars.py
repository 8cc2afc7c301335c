"""The simulated server's price history as MT5 keeps it for charts: one-minute bars of the bid per symbol
(open, high, low, close, tick count), built as quotes come and kept for a window (a week by default), so
memory stays bounded however fast the market steps. `/api/chart/get` serves them.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from decimal import Decimal

MINUTE_MSC = 60_000
KEEP_MINUTES = 7 * 24 * 60


@dataclass(slots=True)
class Bar:
    minute: int  # server time, seconds since 1970, at the bar's first second
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    ticks: int


class BarHistory:
    def __init__(self, keep_minutes: int = KEEP_MINUTES) -> None:
        self.keep_minutes = keep_minutes
        self._bars: dict[str, deque[Bar]] = {}

    def record(self, symbol: str, server_msc: int, bid: Decimal) -> None:
        """A quote at `server_msc` (server time): into its minute's bar, a new bar for a new minute."""
        minute = server_msc // MINUTE_MSC * 60
        bars = self._bars.get(symbol)
        if bars is None:
            bars = self._bars[symbol] = deque()
        last = bars[-1] if bars else None
        if last is not None and last.minute == minute:
            last.high = max(last.high, bid)
            last.low = min(last.low, bid)
            last.close = bid
            last.ticks += 1
            return
        if last is not None and minute < last.minute:
            return  # a clock set back: the history keeps its order
        bars.append(Bar(minute, bid, bid, bid, bid, 1))
        oldest = minute - self.keep_minutes * 60
        while bars and bars[0].minute < oldest:
            bars.popleft()

    def bars(self, symbol: str, since: int, until: int) -> list[Bar]:
        """The bars whose minute starts in [since, until] (server time, seconds), oldest first."""
        return [b for b in self._bars.get(symbol, ()) if since <= b.minute <= until]

    def forget(self, symbol: str) -> None:
        self._bars.pop(symbol, None)
