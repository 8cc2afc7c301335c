"""The deal cursor and the processed-ticket set, in memory, mirrored in Redis by the cycle's pipeline.

The cursor is the instant (MT5 server clock, UTC) up to which every deal has been handed on. Each cycle
asks MT5 for the deals in `[cursor - overlap, min(now + 1 s, cursor + window)]`: the overlap catches a deal
that shows up late with an earlier time, the seen tickets keep it from being handed on twice, and the
window bounds one cycle's work and memory after an outage (a backlog is caught up a window per cycle).
The window adapts: it halves after a cycle that brought more than `target_deals` deals and grows
fourfold after one that brought fewer than a quarter of them, so a sparse backlog is crossed quickly
and a dense one in slices of about `target_deals`.
Tickets older than `cursor - overlap` can never come back in a window, so they are dropped here (Redis
keeps them longer, see `propfirm.live.poller_state`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta

from propfirm.mt5.models import Deal


def to_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


class DealTracker:
    MIN_WINDOW_MS = 1_000

    def __init__(self, overlap_ms: int, cursor_ms: int, seen: dict[int, int] | None = None,
                 window_ms: int = 60_000, target_deals: int = 20_000) -> None:
        self.overlap_ms = overlap_ms
        self.cursor_ms = cursor_ms
        self.window_ms = window_ms
        self.target_deals = target_deals
        self.seen: dict[int, int] = dict(seen or {})
        self.fetched = 0

    def window(self, now: datetime) -> tuple[datetime, datetime]:
        """The query window for a cycle that started at `now` (server clock)."""
        # MT5's clock reads in whole seconds while deals carry milliseconds: reach a second ahead
        until_ms = min(to_ms(now) + 1_000, self.cursor_ms + self.window_ms)
        return from_ms(self.cursor_ms - self.overlap_ms), from_ms(max(until_ms, self.cursor_ms))

    def reaches(self, until: datetime, now: datetime) -> bool:
        """Whether a window ending at `until` holds every deal up to `now` (else a backlog is being caught up)."""
        return to_ms(until) >= to_ms(now) + 1_000

    def select_new(self, deals: Iterable[Deal]) -> Iterator[Deal]:
        """The deals not handed on before (also once each within this batch), as they stream in;
        `fetched` counts every deal the window returned."""
        self.fetched = 0
        fresh: set[int] = set()
        for deal in deals:
            self.fetched += 1
            if deal.ticket not in self.seen and deal.ticket not in fresh:
                fresh.add(deal.ticket)
                yield deal

    def commit(self, new_tickets: dict[int, int], cursor_ms: int, fetched: int | None = None) -> None:
        """Record tickets as handed on (after the pipeline that persisted them succeeded); `fetched`
        (the deals the window returned) adapts the next window."""
        if fetched is not None:
            if fetched > self.target_deals:
                self.window_ms = max(self.MIN_WINDOW_MS, self.window_ms // 2)
            elif fetched < self.target_deals // 4:
                self.window_ms = min(self.window_ms * 4, 30 * 86_400_000)
        self.seen.update(new_tickets)
        self.cursor_ms = max(self.cursor_ms, cursor_ms)
        horizon = self.cursor_ms - self.overlap_ms
        if len(self.seen) > 1024:
            self.seen = {t: ms for t, ms in self.seen.items() if ms >= horizon}


def behind(tracker: DealTracker, now: datetime) -> timedelta:
    """How far the deal cursor lags the server clock (a backlog being caught up)."""
    return timedelta(milliseconds=max(0, to_ms(now) - tracker.cursor_ms))
