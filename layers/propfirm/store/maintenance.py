"""Housekeeping of the store: the equity points' monthly partitions (migration 0003), and where traders
signed in from (migration 0018), kept no longer than its retention.

`maintain_equity_points` creates the partitions of this month and the next ones (so that writes land in
a month's partition, not in the default one) and drops the months older than the retention;
`forget_sightings` deletes the sign-in addresses and devices not seen for longer than theirs (addresses
are personal data). The scheduled relay Lambda runs both once an hour; they are idempotent and cheap when
there is nothing to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from propfirm.store.sightings import SightingStore
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


def forget_sightings(uow: UnitOfWork, now: datetime, retention_days: int) -> int:
    """The sightings not seen for `retention_days` deleted (0: kept for ever); how many went."""
    if not retention_days:
        return 0
    return SightingStore(uow).forget_before(now - timedelta(days=retention_days))
