"""What every detector shares: its thresholds and the finding it returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

MAX_EVIDENCE = 20  # trades or matches listed per finding (the counts cover all)


class Detector(StrEnum):
    """The detectors' names: in findings, programs' abuse policies, the API and the dashboards."""

    HEDGING = "hedging"
    COPY_TRADING = "copy_trading"
    LATENCY_ARBITRAGE = "latency_arbitrage"
    MARTINGALE = "martingale"
    GRID = "grid"
    NEWS_STRADDLE = "news_straddle"


class FindingStatus(StrEnum):
    OPEN = "open"
    DISMISSED = "dismissed"
    CONFIRMED = "confirmed"


@dataclass(frozen=True)
class Thresholds:
    window: timedelta = timedelta(seconds=60)
    size_tolerance: Decimal = Decimal("0.10")
    min_matches: int = 5
    min_share: float = 0.5
    # a trade held 30 s or less is "HFT" in FTUK's published rules; a martingale's first rung, closed at its
    # first profit a minute later, is not what latency arbitrage looks like
    max_hold: timedelta = timedelta(seconds=30)
    min_short: int = 5
    min_short_share: float = 0.3
    min_win_rate: float = 0.8
    factor: Decimal = Decimal("1.5")
    min_levels: int = 3
    grid_levels: int = 4
    grid_tolerance: Decimal = Decimal("0.25")
    straddle_lead: timedelta = timedelta(minutes=30)  # news straddles: both legs opened this long before
    straddle_window: timedelta = timedelta(minutes=5)  # ... and this close to each other
    min_straddles: int = 2
    min_straddle_share: float = 0.5


DEFAULT_THRESHOLDS = Thresholds()


@dataclass(frozen=True)
class Finding:
    detector: str
    server: str
    logins: tuple[int, ...]  # sorted
    score: float  # 0..1
    evidence: dict[str, Any] = field(compare=False)
    deals: tuple[tuple[int, int], ...] = field(compare=False, default=())  # (login, ticket) that prove it

    def key(self) -> tuple[str, str, tuple[int, ...]]:
        return (self.detector, self.server, self.logins)
