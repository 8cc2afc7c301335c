"""The news calendar (migration 0017) over one Unit of Work.

store = NewsStore(uow)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from psycopg.types.json import Jsonb

from propfirm.store.errors import NotFound

if TYPE_CHECKING:
    from propfirm.store.uow import UnitOfWork

IMPACTS = ("low", "medium", "high")
_COLUMNS = "id, at, title, currencies, impact, added_by, added_at"


@dataclass(frozen=True)
class NewRelease:
    """A release as the risk desk lists it."""

    at: datetime
    title: str
    currencies: tuple[str, ...] = ()
    impact: str = "high"


@dataclass(frozen=True)
class NewsRow:
    id: int
    at: datetime
    title: str
    currencies: tuple[str, ...]
    impact: str
    added_by: str
    added_at: datetime

    def to_public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "title": self.title,
            "currencies": list(self.currencies),
            "impact": self.impact,
            "added_by": self.added_by,
            "added_at": self.added_at.isoformat(),
        }


def _row(row: tuple) -> NewsRow:
    return NewsRow(row[0], row[1], row[2], tuple(row[3]), row[4], row[5], row[6])


class NewsStore:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def add(self, releases: Sequence[NewRelease], by: str, now: datetime) -> list[tuple[NewsRow, bool]]:
        """Each release with whether it is new: one already listed (same time and title) is kept as it was,
        so sending a calendar again changes nothing. Two statements, whatever the number of releases."""
        if not releases:
            return []
        wanted = Jsonb([{"at": r.at.isoformat(), "title": r.title, "currencies": list(r.currencies),
                         "impact": r.impact} for r in releases])
        recordset = "jsonb_to_recordset(%s) AS w(at timestamptz, title text, currencies text[], impact text)"
        inserted = {row[0] for row in self.uow.fetchall(
            f"INSERT INTO news_events (at, title, currencies, impact, added_by, added_at)"
            f" SELECT at, title, currencies, impact, %s, %s FROM {recordset}"
            " ON CONFLICT (at, title) DO NOTHING RETURNING id",
            (by, now, wanted),
        )}
        rows = {(r.at, r.title): r for r in map(_row, self.uow.fetchall(
            f"SELECT {_COLUMNS} FROM news_events WHERE (at, title) IN (SELECT at, title FROM {recordset})",
            (wanted,),
        ))}
        out = []
        for r in releases:
            row = rows[(r.at, r.title)]
            out.append((row, row.id in inserted))
            inserted.discard(row.id)  # the same release twice in one call: new the first time only
        return out

    def between(self, since: datetime | None, until: datetime | None, limit: int = 1000) -> list[NewsRow]:
        """Releases in [since, until) in time order (either end open when None)."""
        rows = self.uow.fetchall(
            f"SELECT {_COLUMNS} FROM news_events WHERE (%s::timestamptz IS NULL OR at >= %s)"
            " AND (%s::timestamptz IS NULL OR at < %s) ORDER BY at, id LIMIT %s",
            (since, since, until, until, limit),
        )
        return [_row(r) for r in rows]

    def times_since(self, since: datetime) -> list[datetime]:
        """The instants of every release from `since` on: what the rule engine's calendar holds."""
        return [r[0] for r in self.uow.fetchall("SELECT at FROM news_events WHERE at >= %s ORDER BY at", (since,))]

    def remove(self, release_id: int) -> NewsRow:
        row = self.uow.fetchone(f"DELETE FROM news_events WHERE id = %s RETURNING {_COLUMNS}", (release_id,))
        if row is None:
            raise NotFound(f"no news release {release_id}")
        return _row(row)
