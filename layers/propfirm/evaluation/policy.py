"""When a state without a decision is worth a PostgreSQL write, and which equity points are kept."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from operator import attrgetter

from propfirm.domain.state import ChallengeState

# fields whose change must survive a lost cache: they cannot be rebuilt from the next snapshot. The balance
# is among them: it moves rarely (a close, an operation, a charge MT5 makes without a judged deal), and the
# balance known at the next reset fixes the new day's floor and the day's profit.
_MATTERS = (
    "balance",
    "status",
    "phase_index",
    "day_label",
    "trading_days",
    "daily_paused",
    "lots_broken",
    "positions_broken",
    "pending_eod_floor",
    "pending_weekend",
    "pending_news",
    "trade_loss_broken",
    "exposure_broken",
    "pending_trade_loss",
    "day_high",  # only an intraday_high daily floor moves it
    "max_floor",
    "phase_ops",
    "best_day_profit",
)
_matters = attrgetter(*_MATTERS)  # one C call for the tuple of them all


@dataclass(frozen=True)
class SavePolicy:
    save_every_snapshots: int = 30  # at a 2 s poll: one routine write per active account per minute
    point_interval: timedelta = timedelta(seconds=60)
    point_move_share: Decimal = Decimal("0.01")  # or sooner when equity moved 1% of the account size

    def must_save(
        self, before: ChallengeState, after: ChallengeState, deals_applied: bool, unsaved: int
    ) -> bool:
        if deals_applied or unsaved >= self.save_every_snapshots:
            return True
        if _matters(before) != _matters(after):
            return True
        return before.open_positions.keys() != after.open_positions.keys()

    def keeps_point(
        self, last: tuple[datetime, Decimal] | None, time: datetime, equity: Decimal, account_size: Decimal
    ) -> bool:
        if last is None:
            return True
        return (
            time - last[0] >= self.point_interval
            or abs(equity - last[1]) >= account_size * self.point_move_share
        )
