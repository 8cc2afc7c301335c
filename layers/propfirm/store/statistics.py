"""Statistics: the equity points and the days' opens and closes the dashboards draw."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from propfirm.store.uow import UnitOfWork


@dataclass(frozen=True)
class EquityPoint:
    challenge_id: int
    time: datetime
    balance: Decimal
    equity: Decimal


@dataclass(frozen=True)
class DayOpen:
    challenge_id: int
    trading_day: Any  # date
    start_balance: Decimal
    start_equity: Decimal | None
    daily_floor: Decimal | None


@dataclass(frozen=True)
class DayClose:
    challenge_id: int
    trading_day: Any
    close_balance: Decimal
    close_equity: Decimal
    profit: Decimal


class StatisticsRepository:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def add_points(self, points: list[EquityPoint]) -> None:
        if points:
            self.uow.execute(
                "INSERT INTO equity_points (challenge_id, time, balance, equity) SELECT * FROM"
                " unnest(%s::bigint[], %s::timestamptz[], %s::numeric[], %s::numeric[])"
                " ON CONFLICT DO NOTHING",
                (
                    [p.challenge_id for p in points],
                    [p.time for p in points],
                    [p.balance for p in points],
                    [p.equity for p in points],
                ),
            )

    def open_days(self, days: list[DayOpen]) -> None:
        if days:
            self.uow.execute(
                "INSERT INTO daily_statistics (challenge_id, trading_day, start_balance, start_equity,"
                " daily_floor)"
                " SELECT * FROM unnest(%s::bigint[], %s::date[], %s::numeric[], %s::numeric[], %s::numeric[])"
                " ON CONFLICT DO NOTHING",
                (
                    [d.challenge_id for d in days],
                    [d.trading_day for d in days],
                    [d.start_balance for d in days],
                    [d.start_equity for d in days],
                    [d.daily_floor for d in days],
                ),
            )

    def close_days(self, days: list[DayClose]) -> None:
        if days:
            self.uow.execute(
                "UPDATE daily_statistics s SET close_balance = v.b, close_equity = v.e, profit = v.p FROM"
                " unnest(%s::bigint[], %s::date[], %s::numeric[], %s::numeric[], %s::numeric[])"
                " AS v(c, d, b, e, p)"
                " WHERE s.challenge_id = v.c AND s.trading_day = v.d",
                (
                    [d.challenge_id for d in days],
                    [d.trading_day for d in days],
                    [d.close_balance for d in days],
                    [d.close_equity for d in days],
                    [d.profit for d in days],
                ),
            )
