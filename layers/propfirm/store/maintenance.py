"""Housekeeping of the store: the equity points' monthly partitions (migration 0003).

`maintain_equity_points` creates the partitions of this month and the next ones (so that writes land in
a month's partition, not in the default one) and drops the months older than the retention. The
scheduled relay Lambda runs it once an hour; it is idempotent and cheap when there is nothing to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from propfirm.store.uow import UnitOfWork


@dataclass(frozen=True)
class Maintenance:
    created: int
    dropped: int


def _month(d: date, ahead: int) -> date:
    index = d.year * 12 + d.month - 1 + ahead
    return date(index // 12, index % 12 + 1, 1)


def maintain_equity_points(
    uow: UnitOfWork, now: datetime, retention_days: int, months_ahead: int = 2
) -> Maintenance:
    today = now.date()
    created = sum(
        1
        for k in range(months_ahead + 1)
        if uow.fetchone("SELECT equity_points_add_partition(%s)", (_month(today, k),))[0]
    )
    dropped = 0
    if retention_days:
        dropped = int(
            uow.fetchone("SELECT equity_points_drop_before(%s)", (now - timedelta(days=retention_days),))[0]
        )
    return Maintenance(created, dropped)
