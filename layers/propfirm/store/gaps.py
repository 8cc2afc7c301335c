"""Blind intervals checked, and the gap findings a risk officer decides (migration 0019), over one Unit of Work.

store = GapStore(uow)

A `gap_review` message (one part of one interval's review) is recorded by `record`: the interval's row once,
whatever the number of parts or deliveries, and each account's finding once (a redelivery changes nothing).
A finding is `open` until a person confirms or dismisses it, once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from propfirm.queues.messages import GapReviewMessage
from propfirm.store.errors import NotFound
from propfirm.store.jsonutil import json_array

if TYPE_CHECKING:
    from propfirm.store.uow import UnitOfWork

FINDING_STATUSES = ("open", "dismissed", "confirmed")
OUTCOMES = ("breached", "possible", "unchecked")

_REVIEW_COLUMNS = (
    "id, server, poller, blind_from, blind_to, cause, failed_cycles, read_before, read_after, checked, clear,"
    " reason, parts, recorded_at, watched, killed"
)
_FINDING_COLUMNS = (
    "f.id, f.review_id, f.server, f.login, f.challenge_id, f.outcome, f.evidence, f.status, f.recorded_at,"
    " f.decided_by, f.decided_at, f.note, r.blind_from, r.blind_to, r.cause"
)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


@dataclass(frozen=True)
class StoredGapReview:
    id: int
    server: str
    poller: str
    blind_from: datetime
    blind_to: datetime
    cause: str
    failed_cycles: int
    read_before: datetime | None
    read_after: datetime | None
    checked: int
    clear: int
    reason: str
    parts: int
    recorded_at: datetime
    watched: int = 0
    killed: int = 0
    open_findings: int = 0
    findings: int = 0

    def to_public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "server": self.server,
            "poller": self.poller,
            "blind_from": self.blind_from.isoformat(),
            "blind_to": self.blind_to.isoformat(),
            "cause": self.cause,
            "failed_cycles": self.failed_cycles,
            "read_before": _iso(self.read_before),
            "read_after": _iso(self.read_after),
            "checked": self.checked,
            "clear": self.clear,
            "watched": self.watched,
            "killed": self.killed,
            "reason": self.reason,
            "findings": self.findings,
            "open_findings": self.open_findings,
            "recorded_at": self.recorded_at.isoformat(),
        }


@dataclass(frozen=True)
class StoredGapFinding:
    id: int
    review_id: int
    server: str
    login: int
    challenge_id: int | None
    outcome: str
    evidence: dict[str, Any]
    status: str
    recorded_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    note: str | None
    blind_from: datetime
    blind_to: datetime
    cause: str

    def to_public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "review_id": self.review_id,
            "server": self.server,
            "login": self.login,
            "challenge_id": self.challenge_id,
            "outcome": self.outcome,
            "evidence": self.evidence,
            "status": self.status,
            "blind_from": self.blind_from.isoformat(),
            "blind_to": self.blind_to.isoformat(),
            "cause": self.cause,
            "recorded_at": self.recorded_at.isoformat(),
            "decided_by": self.decided_by,
            "decided_at": _iso(self.decided_at),
            "note": self.note,
        }


@dataclass(frozen=True)
class RecordedGaps:
    review_id: int
    new_review: bool
    # (finding id, login, outcome, challenge id) of the findings recorded for the first time
    new_findings: list[tuple[int, int, str, int | None]]


class GapStore:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def record(self, message: GapReviewMessage, now: datetime) -> RecordedGaps:
        """One part of a review: the interval's row (once), its accounts' findings (each once), each finding
        tied to the account's challenge as it stands now."""
        row = self.uow.fetchone(
            "INSERT INTO gap_reviews (server, poller, blind_from, blind_to, cause, failed_cycles, read_before,"
            " read_after, checked, clear, reason, parts, recorded_at, watched, killed)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (server, poller, blind_from) DO UPDATE SET parts = gap_reviews.parts"
            " RETURNING id, (xmax = 0)",
            (
                message.server, message.poller, message.blind_from, message.blind_to, message.cause,
                message.failed_cycles, message.read_before, message.read_after, message.checked, message.clear,
                message.reason, message.parts, now, message.watched, message.killed,
            ),
        )
        assert row is not None
        review_id, new_review = int(row[0]), bool(row[1])
        if not message.accounts:
            return RecordedGaps(review_id, new_review, [])
        evidence = [a.model_dump(mode="json", exclude={"login", "outcome"}) for a in message.accounts]
        rows = self.uow.fetchall(
            "INSERT INTO gap_findings (review_id, server, login, challenge_id, outcome, evidence, recorded_at)"
            " SELECT %s, %s, a.login, c.id, a.outcome, a.evidence, %s"
            " FROM ROWS FROM (unnest(%s::bigint[]), unnest(%s::text[]), jsonb_array_elements(%s::jsonb))"
            " AS a (login, outcome, evidence)"
            " LEFT JOIN challenges c ON c.server = %s AND c.login = a.login"
            " ON CONFLICT (review_id, login) DO NOTHING RETURNING id, login, outcome, challenge_id",
            (
                review_id, message.server, now,
                [a.login for a in message.accounts], [a.outcome for a in message.accounts], json_array(evidence),
                message.server,
            ),
        )
        return RecordedGaps(review_id, new_review, sorted((int(r[0]), int(r[1]), r[2], r[3]) for r in rows))

    def reviews(
        self, server: str | None = None, before: int | None = None, limit: int = 50
    ) -> list[StoredGapReview]:
        """The intervals checked, newest first, with how many findings each has and how many are open."""
        rows = self.uow.fetchall(
            f"SELECT {_REVIEW_COLUMNS},"
            " (SELECT count(*) FILTER (WHERE f.status = 'open') FROM gap_findings f WHERE f.review_id = r.id),"
            " (SELECT count(*) FROM gap_findings f WHERE f.review_id = r.id)"
            " FROM gap_reviews r WHERE (%s::text IS NULL OR server = %s) AND (%s::bigint IS NULL OR id < %s)"
            " ORDER BY id DESC LIMIT %s",
            (server, server, before, before, limit),
        )
        return [StoredGapReview(*r) for r in rows]

    def findings(
        self,
        server: str | None = None,
        status: str | None = None,
        login: int | None = None,
        before: int | None = None,
        limit: int = 100,
    ) -> list[StoredGapFinding]:
        rows = self.uow.fetchall(
            f"SELECT {_FINDING_COLUMNS} FROM gap_findings f JOIN gap_reviews r ON r.id = f.review_id"
            " WHERE (%s::text IS NULL OR f.server = %s) AND (%s::text IS NULL OR f.status = %s)"
            " AND (%s::bigint IS NULL OR f.login = %s) AND (%s::bigint IS NULL OR f.id < %s)"
            " ORDER BY f.id DESC LIMIT %s",
            (server, server, status, status, login, login, before, before, limit),
        )
        return [StoredGapFinding(*r) for r in rows]

    def get(self, finding_id: int) -> StoredGapFinding:
        row = self.uow.fetchone(
            f"SELECT {_FINDING_COLUMNS} FROM gap_findings f JOIN gap_reviews r ON r.id = f.review_id"
            " WHERE f.id = %s",
            (finding_id,),
        )
        if row is None:
            raise NotFound(f"no gap finding {finding_id}")
        return StoredGapFinding(*row)

    def decide(self, finding_id: int, status: str, who: str, note: str, now: datetime) -> StoredGapFinding:
        """open -> dismissed | confirmed, once; ValueError when it was decided before."""
        if status not in ("dismissed", "confirmed"):
            raise ValueError(f"a gap finding is dismissed or confirmed, not {status}")
        updated = self.uow.fetchone(
            "UPDATE gap_findings SET status = %s, decided_by = %s, decided_at = %s, note = %s"
            " WHERE id = %s AND status = 'open' RETURNING id",
            (status, who, now, note, finding_id),
        )
        found = self.get(finding_id)  # NotFound when there is none
        if updated is None:
            raise ValueError(f"gap finding {finding_id} was {found.status} already (by {found.decided_by})")
        return found

    def open_count(self, server: str | None = None) -> int:
        row = self.uow.fetchone(
            "SELECT count(*) FROM gap_findings WHERE status = 'open' AND (%s::text IS NULL OR server = %s)",
            (server, server),
        )
        return int(row[0]) if row else 0

