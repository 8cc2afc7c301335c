"""Fault injection for tests: what a flaky network or trade server does to a client.

`Faults` is shared by the server's connection threads and the test thread:

    sim.faults.set_latency(0.2)               # every answer 200 ms late
    sim.faults.delay_next("/api/user/add", 0.4)  # the next request to this path 400 ms late, once
    sim.faults.set_error_rate(0.5, retcode=9) # half the calls answer "9 Timeout expired"
    sim.faults.set_error_rate(1.0, http_status=503)  # or an HTTP error status, no JSON
    sim.faults.drop_connections()             # close every open connection now (sessions lost)
    sim.faults.hold_dealer_requests()         # dealer requests stay queued (results `[]`, 10024 past 128)
    sim.faults.clear()                        # back to normal (and release held requests)

The error draw uses its own seeded generator, so a seed gives the same failures
for the same sequence of calls. The handshake endpoints are never failed by the
error rate (use drop_connections or latency to disturb those).
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable


class Faults:
    def __init__(self, seed: int = 1) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random(f"faults:{seed}")
        self.latency = 0.0
        self.error_rate = 0.0
        self.error_retcode = 11
        self.error_http_status: int | None = None
        self.dealer_hold = False
        self._delays: dict[str, float] = {}  # path -> a one-off delay (`delay_next`)
        self._dropper: Callable[[], int] | None = None
        self.dropped = 0

    def attach(self, dropper: Callable[[], int]) -> None:
        """The server registers how to drop its connections."""
        self._dropper = dropper

    def set_latency(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("latency must be >= 0")
        self.latency = float(seconds)

    def delay_next(self, path: str, seconds: float) -> None:
        """Make the next request to `path` `seconds` late, once (a reply lost to a client's timeout, however
        slowly the client reaches the server: no timer has to clear it in time)."""
        if seconds < 0:
            raise ValueError("delay must be >= 0")
        with self._lock:
            self._delays[path] = float(seconds)

    def delay_of(self, path: str) -> float:
        """The latency of a request to `path` now: the standing latency plus a delay set for it, taken."""
        if not self._delays:
            return self.latency
        with self._lock:
            return self.latency + self._delays.pop(path, 0.0)

    def set_error_rate(self, rate: float, retcode: int = 11, http_status: int | None = None) -> None:
        """Fail this share of ordinary requests with `retcode` (or with HTTP `http_status`)."""
        if not 0 <= rate <= 1:
            raise ValueError("rate must be within [0, 1]")
        with self._lock:
            self.error_rate = float(rate)
            self.error_retcode = int(retcode)
            self.error_http_status = http_status

    def hold_dealer_requests(self, hold: bool = True) -> None:
        self.dealer_hold = hold

    def drop_connections(self) -> int:
        """Close every open client connection at once; returns how many were closed."""
        count = self._dropper() if self._dropper else 0
        self.dropped += count
        return count

    def clear(self) -> None:
        with self._lock:
            self.latency = 0.0
            self._delays.clear()
            self.error_rate = 0.0
            self.error_retcode = 11
            self.error_http_status = None
            self.dealer_hold = False

    def draw_error(self) -> tuple[int, int | None] | None:
        """(retcode, http_status) when this request should fail, else None."""
        with self._lock:
            if self.error_rate <= 0:
                return None
            if self._rng.random() < self.error_rate:
                return self.error_retcode, self.error_http_status
            return None
