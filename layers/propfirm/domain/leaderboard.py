"""The leaderboard's arithmetic: a challenge's days over a period as return, consistency and drawdown.

- `return_pct`: the period's profit over the balance it started with, in percent;
- `winning_days_pct`: the share of the days traded that closed in profit (consistency: higher is steadier);
- `drawdown_pct`: the deepest fall of the closing equity from its running peak (the period's start balance
  included), in percent of that peak (lower is better); a day not closed yet does not count.

Exact Decimal throughout; percentages rounded half-even to two places at the end only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

CENT = Decimal("0.01")
SORTS = ("return", "consistency", "drawdown")


@dataclass(frozen=True)
class Day:
    trading_day: date
    start_balance: Decimal
    close_equity: Decimal | None
    profit: Decimal | None


@dataclass(frozen=True)
class Standing:
    return_pct: Decimal
    winning_days_pct: Decimal
    drawdown_pct: Decimal
    days: int

    def key(self, sort: str) -> tuple[Decimal, Decimal]:
        """Descending order key: the best first (ties broken by return)."""
        if sort == "consistency":
            return (self.winning_days_pct, self.return_pct)
        if sort == "drawdown":
            return (-self.drawdown_pct, self.return_pct)
        return (self.return_pct, self.winning_days_pct)


def _pct(part: Decimal, whole: Decimal) -> Decimal:
    return (part * 100 / whole).quantize(CENT, ROUND_HALF_EVEN) if whole else Decimal("0.00")


def standing(days: Sequence[Day]) -> Standing | None:
    """The standing over `days` (any order); None without a day traded."""
    ordered = sorted(days, key=lambda d: d.trading_day)
    if not ordered:
        return None
    start = ordered[0].start_balance
    profits = [d.profit or Decimal(0) for d in ordered]
    traded = [p for p in profits if p != 0]
    peak = start
    deepest = Decimal(0)
    for d in ordered:
        if d.close_equity is None:
            continue  # a day not closed yet (today): its close is unknown
        equity = d.close_equity
        peak = max(peak, equity)
        deepest = max(deepest, (peak - equity) * 100 / peak if peak else Decimal(0))
    return Standing(
        return_pct=_pct(sum(profits, Decimal(0)), start),
        winning_days_pct=_pct(Decimal(sum(1 for p in traded if p > 0)), Decimal(len(traded))),
        drawdown_pct=deepest.quantize(CENT, ROUND_HALF_EVEN),
        days=len(traded),
    )
