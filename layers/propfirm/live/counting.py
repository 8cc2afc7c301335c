"""Counts network round trips made through the adapters (benchmarks and metrics read them)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class RoundTrips:
    """A monotonically increasing count; callers diff two readings to get a cycle's share."""

    count: int = 0

    def add(self, n: int = 1) -> None:
        self.count += n
