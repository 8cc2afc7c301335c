"""Domain events for the bus, written in the transaction that decided them and relayed after it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from propfirm.store.jsonutil import json_array

if TYPE_CHECKING:
    from propfirm.store.uow import UnitOfWork


@dataclass(frozen=True)
class DomainEvent:
    """An event for the EventBridge bus, recorded with the transition that caused it (migration 0003)."""

    event_id: str  # deterministic: a redelivered message rebuilds the same id, recorded once
    detail_type: str
    challenge_id: int | None
    detail: dict[str, Any]


@dataclass(frozen=True)
class PendingEvent:
    id: int
    event_id: str
    detail_type: str
    detail: dict[str, Any]


class EventRepository:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def add(self, events: list[DomainEvent]) -> None:
        """Idempotent by event id."""
        if not events:
            return
        self.uow.execute(
            "INSERT INTO domain_events (event_id, detail_type, challenge_id, detail)"
            " SELECT * FROM ROWS FROM (unnest(%s::text[]), unnest(%s::text[]), unnest(%s::bigint[]),"
            " jsonb_array_elements(%s::jsonb))"  # the details as one JSON array (store.jsonutil.json_array)
            " ON CONFLICT (event_id) DO NOTHING",
            (
                [e.event_id for e in events],
                [e.detail_type for e in events],
                [e.challenge_id for e in events],
                json_array([e.detail for e in events]),
            ),
        )

    def any_due(self) -> bool:
        return bool(
            self.uow.fetchone("SELECT EXISTS (SELECT 1 FROM domain_events WHERE status = 'pending')")[0]
        )

    def due(self, limit: int = 100) -> list[PendingEvent]:
        """Pending events in the order they were recorded, locked (another relay skips them)."""
        rows = self.uow.fetchall(
            "SELECT id, event_id, detail_type, detail FROM domain_events WHERE status = 'pending'"
            " ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED",
            (limit,),
        )
        return [PendingEvent(*row) for row in rows]

    def mark_sent(self, ids: list[int], now: datetime) -> None:
        if ids:
            self.uow.execute(
                "UPDATE domain_events SET status = 'sent', sent_at = %s, attempts = attempts + 1, last_error = NULL"
                " WHERE id = ANY(%s) AND status = 'pending'",
                (now, ids),
            )

    def mark_failed(self, failures: dict[int, str]) -> None:
        """Entries the bus refused: they stay pending, with the reason, for the next run."""
        if failures:
            self.uow.execute(
                "UPDATE domain_events e SET attempts = e.attempts + 1, last_error = v.error"
                " FROM unnest(%s::bigint[], %s::text[]) AS v(id, error) WHERE e.id = v.id",
                (list(failures), list(failures.values())),
            )
