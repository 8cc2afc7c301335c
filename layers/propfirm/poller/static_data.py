"""Static data (group settings) cached and refreshed on a slow timer, never on the cycle's hot path.

The port offers group settings (`groups()`); symbol specifications are not in the port yet, so the
cache holds groups only (close-outs take the digits from the positions themselves).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from propfirm.mt5.models import GroupInfo
from propfirm.mt5.port import Mt5Gateway


class StaticDataCache:
    def __init__(self, gateway: Mt5Gateway, refresh_seconds: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.gateway = gateway
        self.refresh_seconds = refresh_seconds
        self.clock = clock
        self.groups: dict[str, GroupInfo] = {}
        self._loaded_at: float | None = None

    def due(self) -> bool:
        return self._loaded_at is None or self.clock() - self._loaded_at >= self.refresh_seconds

    def refresh(self) -> None:
        self.groups = {g.name.lower(): g for g in self.gateway.groups()}
        self._loaded_at = self.clock()

    def group(self, name: str) -> GroupInfo | None:
        return self.groups.get(name.lower())
