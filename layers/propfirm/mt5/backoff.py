"""Exponential backoff with jitter for reconnecting to the trade server.

The delay before attempt n (n = 0, 1, …) is drawn from [d/2, d] with
d = min(cap, base * factor**n): "equal jitter", so many pollers that lost the
server together do not come back in lockstep (the access server's anti-flood
blocks an IP that connects too often), yet no delay collapses to zero.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Backoff:
    base: float = 0.25
    cap: float = 15.0
    factor: float = 2.0
    rng: random.Random = field(default_factory=random.Random)
    attempt: int = 0

    def next_delay(self) -> float:
        ceiling = min(self.cap, self.base * self.factor**self.attempt)
        self.attempt += 1
        return ceiling / 2 + self.rng.uniform(0, ceiling / 2)

    def reset(self) -> None:
        self.attempt = 0
