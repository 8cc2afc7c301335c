"""The deal cursor and the processed-ticket set, in memory, mirrored in Redis by the cycle's pipeline.

Each cycle asks MT5 for the deals from `cursor - overlap` on (a deal that shows up late with an earlier
time is still caught) and keeps only tickets not seen before. The cursor is the newest deal time handed
on; tickets older than `cursor - overlap` can never come back in a window, so they are dropped here
(Redis keeps them longer, see `propfirm.live.poller_state`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from propfirm.mt5.models import Deal

# The query's upper bound is far ahead: the simulated or real trade-server clock may be ahead of ours.
HORIZON = timedelta(days=3650)


def to_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


class DealTracker:
    def __init__(self, overlap_ms: int, cursor_ms: int, seen: dict[int, int] | None = None) -> None:
        self.overlap_ms = overlap_ms
        self.cursor_ms = cursor_ms
        self.seen: dict[int, int] = dict(seen or {})

    def window(self) -> tuple[datetime, datetime]:
        since = from_ms(self.cursor_ms - self.overlap_ms)
        return since, since + HORIZON

    def select_new(self, deals: Iterable[Deal]) -> list[Deal]:
        """The deals not handed on before (also once each within this batch)."""
        fresh: dict[int, Deal] = {}
        for deal in deals:
            if deal.ticket not in self.seen and deal.ticket not in fresh:
                fresh[deal.ticket] = deal
        return list(fresh.values())

    def next_cursor(self, new: Iterable[Deal]) -> int:
        return max([self.cursor_ms, *(to_ms(d.time) for d in new)])

    def commit(self, new_tickets: dict[int, int], cursor_ms: int) -> None:
        """Record tickets as handed on (after the pipeline that persisted them succeeded)."""
        self.seen.update(new_tickets)
        self.cursor_ms = max(self.cursor_ms, cursor_ms)
        horizon = self.cursor_ms - self.overlap_ms
        if len(self.seen) > 1024:
            self.seen = {t: ms for t, ms in self.seen.items() if ms >= horizon}
