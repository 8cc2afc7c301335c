"""Python's full garbage collections paced by the poller's clock instead of by allocation counts.

A cycle at 100,000 accounts builds a few hundred thousand objects that outlive it (the rows read, the
books, the floors decoded), so CPython's allocation-driven rule started two or three full collections a
cycle, each walking every object the poller holds: 0.6-0.9 s of a 3.5 s cycle's CPU at 100k with the tick
path, all of it holding the interpreter lock the tick path waits on. Young collections (generations 0 and 1)
stay automatic: they are cheap and free most cyclic garbage. The full one runs every `every_seconds`, after a
cycle, where the loop has its slack.

The thresholds are the process's: the first pacer installed sets them, the last one closed restores them
(several pollers share a process in the local stack and the tests).
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable

NEVER = 2**31 - 1  # gen-1 collections before an automatic full one: never, the pacer runs it

_lock = threading.Lock()
_installed = 0
_saved: tuple[int, int, int] | None = None


class CollectionPacer:
    def __init__(self, every_seconds: float, clock: Callable[[], float] = time.monotonic,
                 collect: Callable[[], int] = gc.collect) -> None:
        if every_seconds <= 0:
            raise ValueError("every_seconds must be > 0 (no pacer: Python's automatic collections)")
        self.every_seconds = every_seconds
        self.clock = clock
        self.collect = collect
        self.installed = False
        self._last = clock()

    def install(self) -> None:
        """Full collections from now on only when `after_cycle` finds one due (idempotent)."""
        global _installed, _saved
        if self.installed:
            return
        with _lock:
            if _installed == 0:
                _saved = gc.get_threshold()
                young, middle, _ = _saved
                gc.set_threshold(young, middle, NEVER)
            _installed += 1
        self.installed = True
        self._last = self.clock()

    def close(self) -> None:
        """Python's own rule back once no pacer is installed (idempotent)."""
        global _installed, _saved
        if not self.installed:
            return
        with _lock:
            _installed -= 1
            if _installed == 0 and _saved is not None:
                gc.set_threshold(*_saved)
                _saved = None
        self.installed = False

    def after_cycle(self) -> float | None:
        """Run the full collection when due; returns its duration in seconds (None: not due)."""
        if not self.installed or self.clock() - self._last < self.every_seconds:
            return None
        started = time.perf_counter()
        self.collect()
        self._last = self.clock()
        return time.perf_counter() - started
