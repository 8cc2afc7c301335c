"""Where traders sign in from (migration 0018) over one Unit of Work.

store = SightingStore(uow)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from propfirm.store.uow import UnitOfWork


@dataclass(frozen=True)
class Sighting:
    trader_id: int
    address: str
    device: str
    device_label: str
    first_seen: datetime
    last_seen: datetime


class SightingStore:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def record(self, sub: str, address: str, device: str, device_label: str, at: datetime) -> bool:
        """The trader with this sub seen at `address` on `device`; False when no trader has the sub (staff,
        or a trader before their first purchase)."""
        row = self.uow.fetchone(
            "INSERT INTO trader_sightings (trader_id, address, device, device_label, first_seen, last_seen)"
            " SELECT id, %s::inet, %s, %s, %s, %s FROM traders WHERE sub = %s"
            " ON CONFLICT (trader_id, address, device) DO UPDATE SET last_seen = GREATEST("
            " trader_sightings.last_seen, excluded.last_seen) RETURNING trader_id",
            (address, device, device_label[:200], at, at, sub),
        )
        return row is not None

    def of_traders(self, trader_ids: Sequence[int]) -> list[Sighting]:
        rows = self.uow.fetchall(
            "SELECT trader_id, host(address), device, device_label, first_seen, last_seen FROM trader_sightings"
            " WHERE trader_id = ANY(%s) ORDER BY trader_id, last_seen DESC",
            (list(trader_ids),),
        )
        return [Sighting(*r) for r in rows]

    def forget_before(self, instant: datetime) -> int:
        """Delete the sightings last seen before `instant` (the retention); how many went."""
        return self.uow.execute("DELETE FROM trader_sightings WHERE last_seen < %s", (instant,)).rowcount
