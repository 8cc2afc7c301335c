"""The audit log: append-only (a trigger refuses UPDATE, DELETE and TRUNCATE, and the application's
database role may only insert and read it), hash-chained and sealed.

Each row's `hash` is SHA-256 over the previous row's hash and the row's canonical content (id, time,
kind, challenge, account, payload). Appenders take the single `audit_chain_head` row FOR UPDATE, so
concurrent transactions append one after the other and the chain cannot fork; the head is updated in
the same transaction, so a rolled-back append leaves neither rows nor a moved head. Each row's `seal` is
a MAC of its id and hash with a key PostgreSQL cannot use (`propfirm.store.seals`): the table's owner can
rewrite rows and recompute the chain, never the seals.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from propfirm.store.jsonutil import canonical, json_array, plain
from propfirm.store.seals import Sealer, default_sealer, seal_message

if TYPE_CHECKING:
    from propfirm.store.uow import UnitOfWork

GENESIS_HASH = "0" * 64


@dataclass(frozen=True)
class AuditEntry:
    kind: str
    payload: dict[str, Any]
    challenge_id: int | None = None
    server: str | None = None
    login: int | None = None
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))


def row_hash(
    row_id: int,
    created_at: datetime,
    kind: str,
    challenge_id: int | None,
    server: str | None,
    login: int | None,
    payload: Any,
    prev_hash: str,
) -> str:
    content = canonical(
        {
            "id": row_id,
            "created_at": created_at.astimezone(UTC).isoformat(),
            "kind": kind,
            "challenge_id": challenge_id,
            "server": server,
            "login": login,
            "payload": payload,
        }
    )
    return hashlib.sha256(prev_hash.encode() + b"\n" + content).hexdigest()


class AuditLog:
    def __init__(self, uow: UnitOfWork, sealer: Sealer | None = None) -> None:
        self.uow = uow
        self.sealer = sealer  # None: the process's (built on the first append, from the environment)

    def append(self, entries: list[AuditEntry]) -> list[int]:
        """Append in this transaction; returns the row ids."""
        if not entries:
            return []
        sealer = self.sealer or default_sealer()
        last_id, last_hash = self.uow.fetchone(
            "SELECT last_id, last_hash FROM audit_chain_head WHERE singleton FOR UPDATE"
        )
        ids, times, kinds, challenges, servers, logins, payloads, prevs, hashes, seals = ([] for _ in range(10))
        for entry in entries:
            last_id += 1
            payload = plain(entry.payload)
            digest = row_hash(
                last_id,
                entry.created_at,
                entry.kind,
                entry.challenge_id,
                entry.server,
                entry.login,
                payload,
                last_hash,
            )
            ids.append(last_id)
            times.append(entry.created_at)
            kinds.append(entry.kind)
            challenges.append(entry.challenge_id)
            servers.append(entry.server)
            logins.append(entry.login)
            payloads.append(payload)
            prevs.append(last_hash)
            hashes.append(digest)
            seals.append(sealer.seal(seal_message(last_id, digest)))
            last_hash = digest
        self.uow.execute(
            "INSERT INTO audit_log (id, created_at, kind, challenge_id, server, login, payload, prev_hash,"
            " hash, seal)"
            # the payloads as one JSON array (store.jsonutil.json_array: a jsonb[] is escaped quote by quote)
            " SELECT * FROM ROWS FROM (unnest(%s::bigint[]), unnest(%s::timestamptz[]), unnest(%s::text[]),"
            " unnest(%s::bigint[]), unnest(%s::text[]), unnest(%s::bigint[]), jsonb_array_elements(%s::jsonb),"
            " unnest(%s::text[]), unnest(%s::text[]), unnest(%s::text[]))",
            (ids, times, kinds, challenges, servers, logins, json_array(payloads), prevs, hashes, seals),
        )
        self.uow.execute(
            "UPDATE audit_chain_head SET last_id = %s, last_hash = %s WHERE singleton", (last_id, last_hash)
        )
        return ids


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    rows: int
    broken_id: int | None = None
    problem: str | None = None
    unsealed: int = 0  # rows written before sealing began (migration 0008), covered by later seals


def verify_stored_chain(url: str, sealer: Sealer) -> ChainReport:
    """Walk the whole audit log of the database at `url` (a server-side cursor: any length)."""
    import psycopg

    with psycopg.connect(url) as conn:
        head = conn.execute("SELECT last_id, last_hash FROM audit_chain_head WHERE singleton").fetchone()
        with conn.cursor(name="audit_walk") as cur:
            cur.itersize = 5000
            cur.execute(
                "SELECT id, created_at, kind, challenge_id, server, login, payload, prev_hash, hash, seal"
                " FROM audit_log ORDER BY id"
            )
            return verify_chain(iter(cur), head, sealer)


def verify_chain(rows: Iterator[tuple[Any, ...]], head: tuple[int, str] | None, sealer: Sealer) -> ChainReport:
    """Walk rows (id, created_at, kind, challenge_id, server, login, payload, prev_hash, hash, seal) in id
    order: each row must follow the previous, match its hash and carry a seal that verifies (once the first
    sealed row has been seen)."""
    expected_prev = GENESIS_HASH
    expected_id = 1
    count = 0
    unsealed = 0
    sealing = False
    for row_id, created_at, kind, challenge_id, server, login, payload, prev_hash, digest, seal in rows:
        if row_id != expected_id:
            return ChainReport(
                False, count, row_id, f"id {row_id} follows id {expected_id - 1}: rows missing"
            )
        if prev_hash != expected_prev:
            return ChainReport(False, count, row_id, "prev_hash is not the previous row's hash")
        recomputed = row_hash(row_id, created_at, kind, challenge_id, server, login, payload, prev_hash)
        if recomputed != digest:
            return ChainReport(
                False,
                count,
                row_id,
                f"content does not match its hash (stored {digest[:16]}…, content gives {recomputed[:16]}…)",
            )
        if seal is None:
            if sealing:
                return ChainReport(False, count, row_id, "the row carries no seal, though earlier rows do")
            unsealed += 1
        else:
            sealing = True
            if not sealer.check(seal_message(row_id, digest), seal):
                return ChainReport(
                    False,
                    count,
                    row_id,
                    "the row no longer matches its seal: it was rewritten after it was written "
                    "(or sealed with another key than " + sealer.key_ref + ")",
                )
        expected_prev, expected_id = digest, expected_id + 1
        count += 1
    if head is not None and (head[0] != count or head[1] != expected_prev):
        return ChainReport(
            False,
            count,
            head[0],
            f"the chain head names row {head[0]} but the log ends at row {count}: "
            "rows after it were removed or the head was changed",
        )
    return ChainReport(True, count, unsealed=unsealed)
