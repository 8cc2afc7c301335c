"""A trader's performance from their closed positions (pure): what the dashboards show beside the rules.

A position counts once it is closed, with its result = Σ profit + swap + commission of its deals (the
payout arithmetic's definition, `propfirm.domain.payouts.realised_positions`), on the trading day it
closed in (the program's reset clock and zone). Positions still open are not counted.

- `win_rate`: winning positions / closed positions (a result of exactly zero is neither win nor loss);
- `profit_factor`: gross profit / gross loss (None without a loss: it would be infinite);
- `average_win`, `average_loss`: mean result of the winning and the losing positions;
- `best_day`, `worst_day`: the trading days with the highest and the lowest result;
- `consistency_share`: the best day's result as a share of the net result (None unless both are
  positive): what a consistency rule judges.
Ratios are rounded half-even to 4 places, averages to the cent (a mean is rarely a finite decimal); sums
of money are exact.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from propfirm.domain.money import ZERO
from propfirm.domain.payouts import ClosedPosition, TradeDeal, realised_positions
from propfirm.domain.tradingday import DayClock

_RATIO = Decimal("0.0001")
_CENT = Decimal("0.01")


def _ratio(numerator: Decimal, denominator: Decimal) -> Decimal:
    return (numerator / denominator).quantize(_RATIO, rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True)
class Performance:
    closed_positions: int
    open_positions: int
    wins: int
    losses: int
    net: Decimal
    gross_profit: Decimal
    gross_loss: Decimal  # zero or negative
    commission: Decimal
    swap: Decimal
    win_rate: Decimal | None
    profit_factor: Decimal | None
    average_win: Decimal | None
    average_loss: Decimal | None
    largest_win: Decimal | None
    largest_loss: Decimal | None
    best_day: tuple[date, Decimal] | None
    worst_day: tuple[date, Decimal] | None
    trading_days: int  # days with at least one position closed
    consistency_share: Decimal | None

    def to_dict(self) -> dict[str, Any]:
        def text(value: Decimal | None) -> str | None:
            return None if value is None else str(value)

        def day(value: tuple[date, Decimal] | None) -> dict[str, str] | None:
            return None if value is None else {"day": value[0].isoformat(), "result": str(value[1])}

        return {
            "closed_positions": self.closed_positions,
            "open_positions": self.open_positions,
            "wins": self.wins,
            "losses": self.losses,
            "net": str(self.net),
            "gross_profit": str(self.gross_profit),
            "gross_loss": str(self.gross_loss),
            "commission": str(self.commission),
            "swap": str(self.swap),
            "win_rate": text(self.win_rate),
            "profit_factor": text(self.profit_factor),
            "average_win": text(self.average_win),
            "average_loss": text(self.average_loss),
            "largest_win": text(self.largest_win),
            "largest_loss": text(self.largest_loss),
            "best_day": day(self.best_day),
            "worst_day": day(self.worst_day),
            "trading_days": self.trading_days,
            "consistency_share": text(self.consistency_share),
        }


def _by_day(positions: list[ClosedPosition], clock: DayClock) -> dict[date, Decimal]:
    days: dict[date, Decimal] = defaultdict(lambda: ZERO)
    for p in positions:
        days[clock.day_of(p.closed_at)[0]] += p.profit
    return dict(days)


def performance(deals: list[TradeDeal], clock: DayClock) -> Performance:
    positions, still_open = realised_positions(deals)
    closed_tickets = {t for p in positions for t in p.deals}
    counted = [d for d in deals if d.ticket in closed_tickets]
    results = [p.profit for p in positions]
    wins = [r for r in results if r > ZERO]
    losses = [r for r in results if r < ZERO]
    gross_profit = sum(wins, ZERO)
    gross_loss = sum(losses, ZERO)
    net = gross_profit + gross_loss
    days = _by_day(positions, clock)
    best = max(days.items(), key=lambda kv: (kv[1], kv[0])) if days else None
    worst = min(days.items(), key=lambda kv: (kv[1], kv[0])) if days else None
    return Performance(
        closed_positions=len(positions),
        open_positions=len(still_open),
        wins=len(wins),
        losses=len(losses),
        net=net,
        gross_profit=gross_profit,
        gross_loss=gross_loss,
        commission=sum((d.commission for d in counted), ZERO),
        swap=sum((d.swap for d in counted), ZERO),
        win_rate=_ratio(Decimal(len(wins)), Decimal(len(results))) if results else None,
        profit_factor=_ratio(gross_profit, -gross_loss) if losses else None,
        average_win=(gross_profit / len(wins)).quantize(_CENT, rounding=ROUND_HALF_EVEN) if wins else None,
        average_loss=(gross_loss / len(losses)).quantize(_CENT, rounding=ROUND_HALF_EVEN) if losses else None,
        largest_win=max(wins) if wins else None,
        largest_loss=min(losses) if losses else None,
        best_day=best,
        worst_day=worst,
        trading_days=len(days),
        consistency_share=_ratio(best[1], net) if best is not None and best[1] > ZERO and net > ZERO else None,
    )
