"""Abuse findings (migration 0011) and the deals the detectors read, over one Unit of Work.

store = FindingStore(uow)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from psycopg.types.json import Jsonb

from propfirm.domain.abuse.findings import Finding, FindingStatus
from propfirm.domain.abuse.trades import TradeDeal
from propfirm.store.errors import NotFound

if TYPE_CHECKING:
    from propfirm.store.uow import UnitOfWork

STATUSES = tuple(FindingStatus)
_COLUMNS = (
    "id, detector, server, logins, score, evidence, deals, status, first_seen_at, updated_at, decided_by,"
    " decided_at, note"
)


@dataclass(frozen=True)
class StoredFinding:
    id: int
    detector: str
    server: str
    logins: tuple[int, ...]
    score: Decimal
    evidence: dict[str, Any]
    deals: list[list[int]]
    status: str
    first_seen_at: datetime
    updated_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    note: str | None

    def summary(self) -> dict[str, Any]:
        """The finding as the local stack's summary lists it."""
        return {"detector": self.detector, "logins": list(self.logins), "score": float(self.score)}

    def to_public(self, with_evidence: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "detector": self.detector,
            "server": self.server,
            "logins": list(self.logins),
            "score": str(self.score),
            "status": self.status,
            "first_seen_at": self.first_seen_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "decided_by": self.decided_by,
            "decided_at": self.decided_at.isoformat() if self.decided_at else None,
            "note": self.note,
        }
        if with_evidence:
            data["evidence"] = self.evidence
            data["deals"] = self.deals
        return data


def _finding(row: tuple) -> StoredFinding:
    return StoredFinding(row[0], row[1], row[2], tuple(row[3]), *row[4:])


class FindingStore:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def trade_deals(
        self, server: str, since: datetime, until: datetime
    ) -> tuple[list[TradeDeal], dict[tuple[str, int], Decimal]]:
        """The server's trade deals in [since, until) and each login's account size (its program's)."""
        rows = self.uow.fetchall(
            "SELECT d.login, d.ticket, d.position, d.time, d.action, d.entry, d.symbol, d.volume, d.price,"
            " d.profit + d.commission + d.swap, (p.definition->>'account_size')::numeric"
            " FROM deals d LEFT JOIN challenges c ON c.id = d.challenge_id"
            " LEFT JOIN programs p ON p.id = c.program_id AND p.version = c.program_version"
            " WHERE d.server = %s AND d.role = 'trade' AND d.time >= %s AND d.time < %s ORDER BY d.time, d.ticket",
            (server, since, until),
        )
        deals = [TradeDeal(server, r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9]) for r in rows]
        sizes = {(server, r[0]): r[10] for r in rows if r[10] is not None}
        return deals, sizes

    def servers_with_deals(self, since: datetime) -> list[str]:
        return [r[0] for r in self.uow.fetchall("SELECT DISTINCT server FROM deals WHERE time >= %s", (since,))]

    def upsert(self, findings: Sequence[Finding], now: datetime) -> int:
        """Record new findings and refresh open ones; decided findings keep what was decided; an open finding
        on a subset of a new one's accounts is replaced by it. Returns how many are new."""
        return len(self.record(findings, now))

    def record(self, findings: Sequence[Finding], now: datetime) -> list[tuple[Finding, int]]:
        """`upsert`, returning each finding recorded for the first time with its id."""
        added: list[tuple[Finding, int]] = []
        for f in findings:
            row = self.uow.fetchone(
                "INSERT INTO abuse_findings (detector, server, logins, score, evidence, deals, first_seen_at,"
                " updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (detector, server, logins) DO UPDATE SET score = excluded.score,"
                " evidence = excluded.evidence, deals = excluded.deals, updated_at = excluded.updated_at"
                " WHERE abuse_findings.status = 'open' RETURNING (xmax = 0), id",
                (
                    f.detector,
                    f.server,
                    list(f.logins),
                    Decimal(str(f.score)),
                    Jsonb(f.evidence),
                    Jsonb([list(d) for d in f.deals]),
                    now,
                    now,
                ),
            )
            if row is not None and row[0]:
                added.append((f, int(row[1])))
            # a ring that grew (a pair first, three accounts later) is one finding: the smaller open ones go
            self.uow.execute(
                "DELETE FROM abuse_findings WHERE detector = %s AND server = %s AND status = 'open'"
                " AND logins <@ %s::bigint[] AND NOT logins @> %s::bigint[]",
                (f.detector, f.server, list(f.logins), list(f.logins)),
            )
        return added

    def findings(
        self,
        server: str | None = None,
        status: str | None = None,
        detector: str | None = None,
        before: int | None = None,
        limit: int = 100,
    ) -> list[StoredFinding]:
        rows = self.uow.fetchall(
            f"SELECT {_COLUMNS} FROM abuse_findings WHERE (%s::text IS NULL OR server = %s)"
            " AND (%s::text IS NULL OR status = %s) AND (%s::text IS NULL OR detector = %s)"
            " AND (%s::bigint IS NULL OR id < %s) ORDER BY id DESC LIMIT %s",
            (server, server, status, status, detector, detector, before, before, limit),
        )
        return [_finding(r) for r in rows]

    def get(self, finding_id: int) -> StoredFinding:
        row = self.uow.fetchone(f"SELECT {_COLUMNS} FROM abuse_findings WHERE id = %s", (finding_id,))
        if row is None:
            raise NotFound(f"no abuse finding {finding_id}")
        return _finding(row)

    def decide(self, finding_id: int, status: str, who: str, note: str, now: datetime) -> StoredFinding:
        """open -> dismissed | confirmed, once; ValueError when it was decided before."""
        row = self.uow.fetchone(
            f"UPDATE abuse_findings SET status = %s, decided_by = %s, decided_at = %s, note = %s"
            f" WHERE id = %s AND status = 'open' RETURNING {_COLUMNS}",
            (status, who, now, note, finding_id),
        )
        if row is None:
            found = self.get(finding_id)  # NotFound when there is none
            raise ValueError(f"finding {finding_id} was {found.status} already (by {found.decided_by})")
        return _finding(row)
