"""What `/health` last found, kept a few seconds (`HEALTH_CACHE_SECONDS`, by the wall clock): whoever
calls it, as often as they like, makes at most one database query and one Redis PING per process in that
time, so a public route cannot be used to load the database."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

HEALTH_CACHE_SECONDS = 5.0


@dataclass(frozen=True)
class HealthFound:
    at: float  # wall-clock seconds
    database: str  # "ok" or "unavailable: <why>"
    redis: str

    @property
    def ok(self) -> bool:
        return self.database == "ok" and self.redis == "ok"


@dataclass
class HealthCache:
    seconds: float = HEALTH_CACHE_SECONDS
    _last: HealthFound | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def get(self, now: float, check: Callable[[], tuple[str, str]]) -> HealthFound:
        """The last finding while it is fresh, else `check()`'s (one check at a time: callers arriving
        meanwhile get its answer)."""
        with self._lock:
            last = self._last
            if last is not None and 0 <= now - last.at < self.seconds:
                return last
            database, redis_state = check()
            self._last = HealthFound(now, database, redis_state)
            return self._last
