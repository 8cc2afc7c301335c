"""Blind intervals: while the poller completes no cycle, nothing watches the accounts.

MT5 away, slow or busy, Redis or SQS refusing, the poller itself restarting: between two good cycles a dip
below a floor that comes back is never seen. Such a gap is not hidden: each one with a failed cycle in
it, or longer than `blind_after(interval)`, is recorded, from the end of the last good cycle to the end
of the next, with the failed cycles in between and the first error, in a capped Redis list the admin
system page shows (`poller:{<server>}:blind`, newest first), besides the `PollerBlind` alarm on failed
cycles.

Redis may be what failed: an interval that cannot be written waits in memory and goes with the next one.

A slow cycle is not blind for everyone when the tick path kept polling through it (`TickCoverage`): the
accounts whose books it held and valued were judged at every poll. The interval is recorded all the same;
its check (`propfirm.poller.gap_review`) leaves those accounts out and counts them as `watched`.
"""

from __future__ import annotations

import threading
import time
from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson
import redis

KEEP = 200  # intervals kept per poller


def blind_after(interval_seconds: float) -> float:
    """A gap between two good cycles longer than this is a blind interval: three cycles missed, or two
    seconds more than one cycle, whichever is longer (a busy machine's jitter is no blindness)."""
    return max(3 * interval_seconds, interval_seconds + 2.0)


class BlindIntervals:
    def __init__(
        self,
        client: redis.Redis,
        key: str,
        interval_seconds: float,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.key = key
        self.threshold = blind_after(interval_seconds)
        self.wall = wall
        self.last_good: float | None = None
        self.failed_cycles = 0
        self.first_error: str | None = None
        self.pending: list[dict[str, Any]] = []
        self.recorded = 0

    def resume_after(self, heartbeat_epoch: float | None) -> None:
        """A poller (re)starting: the previous one's last good cycle opens the gap, so a crash or a
        restart's time counts as blind too."""
        if heartbeat_epoch is not None and self.last_good is None:
            self.last_good = heartbeat_epoch
            self.first_error = self.first_error or "poller restarted"

    def cycle_failed(self, error: BaseException) -> None:
        self.failed_cycles += 1
        if self.first_error is None:
            self.first_error = f"{type(error).__name__}: {error}"[:300]

    def cycle_done(self) -> dict[str, Any] | None:
        """After a good cycle: the interval it closes, if it was blind (else None)."""
        now = self.wall()
        closed = None
        if self.last_good is not None and (self.failed_cycles or now - self.last_good > self.threshold):
            closed = {
                "from": _iso(self.last_good),
                "to": _iso(now),
                "seconds": round(now - self.last_good, 3),
                "failed_cycles": self.failed_cycles,
                "cause": self.first_error or "slow cycle",
            }
            self.pending.append(closed)
        self.last_good = now
        self.failed_cycles = 0
        self.first_error = None
        self._flush()
        return closed

    def _flush(self) -> None:
        if not self.pending:
            return
        try:
            pipe = self.client.pipeline(transaction=False)
            pipe.lpush(self.key, *[orjson.dumps(i) for i in self.pending])
            pipe.ltrim(self.key, 0, KEEP - 1)
            pipe.execute()
        except redis.RedisError:
            return  # kept for the next good cycle
        self.recorded += len(self.pending)
        self.pending.clear()


class TickCoverage:
    """When the tick path polled cleanly (the poll answered and no quote it brought was refused as stale), on
    the wall clock the blind intervals are stamped with: how long it went without looking inside an interval.

    The tick thread stamps each poll (`polled`, a lock and an append); the runner asks once per blind
    interval (`longest_pause`). `keep` stamps reach back about 80 minutes at a 250 ms interval."""

    def __init__(self, wall: Callable[[], float] = time.time, keep: int = 20_000) -> None:
        self.wall = wall
        self._stamps: deque[float] = deque(maxlen=keep)
        self._lock = threading.Lock()

    def polled(self) -> None:
        now = self.wall()
        with self._lock:
            self._stamps.append(now)

    def longest_pause(self, start: float, end: float) -> float | None:
        """The longest stretch of [start, end] without a clean poll (the whole of it when there was none);
        None when the stamps kept no longer reach back to `start` (nothing can be said)."""
        with self._lock:
            stamps = list(self._stamps)
        if len(stamps) == self._stamps.maxlen and stamps[0] > start:
            return None
        inside = stamps[bisect_left(stamps, start):bisect_right(stamps, end)]
        points = [start, *inside, end]
        return max(b - a for a, b in zip(points, points[1:], strict=False))


def recent(client: redis.Redis, key: str, count: int = 20) -> list[dict[str, Any]]:
    """The newest blind intervals recorded under `key`."""
    return [orjson.loads(raw) for raw in client.lrange(key, 0, count - 1)]


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds")
