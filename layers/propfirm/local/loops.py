"""Background loops of the local stack: one thread each, one job each, a clean stop.

`Repeating` calls a function again and again (with a pause between calls) until the stop event is
set; an exception is logged and counted, and the loop goes on after a pause, as a Lambda event source
mapping retries a failed invocation: a local run must survive a hiccup in one part.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger("propfirm.dev")


class Repeating:
    def __init__(
        self,
        name: str,
        step: Callable[[], object],
        stop: threading.Event,
        pause: float = 1.0,
        busy_pause: float | None = None,
        error_pause: float = 2.0,
    ) -> None:
        """`step` returns something truthy when it did work; then the loop waits `busy_pause` (default:
        `pause`) before the next call, else `pause`."""
        self.name = name
        self.step = step
        self.stop_event = stop
        self.pause = pause
        self.busy_pause = pause if busy_pause is None else busy_pause
        self.error_pause = error_pause
        self.calls = 0
        self.errors = 0
        self.last_error: str | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Repeating:
        self._thread = threading.Thread(target=self._run, name=f"dev-{self.name}", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self.stop_event.is_set():
            try:
                did_work = self.step()
                self.calls += 1
            except Exception as exc:  # a local run survives a failing part; the log says which and why
                self.errors += 1
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.exception("%s failed; retrying in %.1f s", self.name, self.error_pause)
                self.stop_event.wait(self.error_pause)
                continue
            self.stop_event.wait(self.busy_pause if did_work else self.pause)

    def join(self, timeout: float = 10.0) -> bool:
        """Wait for the thread to end (the stop event must be set); True when it did."""
        if self._thread is None:
            return True
        self._thread.join(timeout)
        alive = self._thread.is_alive()
        if not alive:
            self._thread = None
        return not alive
