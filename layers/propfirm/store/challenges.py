"""Challenges: the row, its versioned state, and the routine saves the evaluator batches (one statement for a
whole message's accounts)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from psycopg.types.json import Jsonb

from propfirm.store.errors import ConcurrencyConflict, NotFound
from propfirm.store.jsonutil import bigint_array, json_array, plain

if TYPE_CHECKING:
    from propfirm.store.uow import UnitOfWork


@dataclass
class ChallengeRecord:
    id: int
    trader_id: int
    program_id: str
    program_version: int
    server: str
    login: int | None
    status: str
    phase: int
    state: dict[str, Any] | None
    version: int
    transitions: int
    awaiting_reset: str | None
    pending_kill: dict[str, Any] | None


_CHALLENGE_COLUMNS = (
    "id, trader_id, program_id, program_version, server, login, status, phase, state, "
    "version, transitions, awaiting_reset, pending_kill"
)


@dataclass(frozen=True)
class ChallengeVersion:
    id: int
    login: int
    version: int


@dataclass(frozen=True)
class RoutineSave:
    """A state saved without a decision (the version check still applies)."""

    challenge_id: int
    expected_version: int
    state: dict[str, Any]
    status: str
    phase: int
    awaiting_reset: str | None = None


class ChallengeRepository:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def _one(self, where: str, params: tuple, lock: bool) -> ChallengeRecord | None:
        row = self.uow.fetchone(
            f"SELECT {_CHALLENGE_COLUMNS} FROM challenges WHERE {where}" + (" FOR UPDATE" if lock else ""),
            params,
        )
        return None if row is None else ChallengeRecord(*row)

    def get(self, challenge_id: int) -> ChallengeRecord:
        record = self._one("id = %s", (challenge_id,), False)
        if record is None:
            raise NotFound(f"no challenge {challenge_id}")
        return record

    def get_for_update(self, server: str, login: int) -> ChallengeRecord | None:
        """The account's challenge, locked until the transaction ends."""
        return self._one("server = %s AND login = %s", (server, login), True)

    def by_account(self, server: str, login: int) -> ChallengeRecord | None:
        return self._one("server = %s AND login = %s", (server, login), False)

    def versions(self, server: str, logins: list[int]) -> dict[int, ChallengeVersion]:
        """Id and version of each account's challenge: one light statement for a whole message."""
        rows = self.uow.fetchall(
            "SELECT id, login, version FROM challenges WHERE server = %s AND login = ANY(%s::bigint[])",
            (server, bigint_array(logins)),
        )
        return {row[1]: ChallengeVersion(*row) for row in rows}

    def many(self, ids: list[int]) -> dict[int, ChallengeRecord]:
        rows = self.uow.fetchall(f"SELECT {_CHALLENGE_COLUMNS} FROM challenges WHERE id = ANY(%s::bigint[])",
                                 (bigint_array(ids),))
        return {row[0]: ChallengeRecord(*row) for row in rows}

    def save(
        self,
        record: ChallengeRecord,
        *,
        state: dict[str, Any],
        status: str,
        phase: int,
        transitions_added: int = 0,
        awaiting_reset: str | None = None,
        pending_kill: dict[str, Any] | None = None,
    ) -> int:
        """Save with the version check; returns the new version or raises ConcurrencyConflict."""
        row = self.uow.fetchone(
            "UPDATE challenges SET state = %s, status = %s, phase = %s, version = version + 1,"
            " transitions = transitions + %s, awaiting_reset = %s, pending_kill = %s, updated_at = now()"
            " WHERE id = %s AND version = %s RETURNING version",
            (
                Jsonb(plain(state)),
                status,
                phase,
                transitions_added,
                awaiting_reset,
                None if pending_kill is None else Jsonb(plain(pending_kill)),
                record.id,
                record.version,
            ),
        )
        if row is None:
            raise ConcurrencyConflict(record.id, record.version)
        return int(row[0])

    def save_many(self, saves: list[RoutineSave]) -> tuple[dict[int, int], list[int]]:
        """Routine saves in one statement: ({challenge id: new version}, [ids whose version moved on])."""
        if not saves:
            return {}, []
        rows = self.uow.fetchall(
            "UPDATE challenges c SET state = v.state, status = v.status, phase = v.phase,"
            " awaiting_reset = v.awaiting, version = c.version + 1, updated_at = now()"
            # the states as one JSON array zipped with the other columns (store.jsonutil.json_array)
            " FROM ROWS FROM (unnest(%s::bigint[]), unnest(%s::integer[]), jsonb_array_elements(%s::jsonb),"
            " unnest(%s::text[]), unnest(%s::integer[]), unnest(%s::text[]))"
            " AS v(id, expected, state, status, phase, awaiting)"
            " WHERE c.id = v.id AND c.version = v.expected RETURNING c.id, c.version",
            (
                [s.challenge_id for s in saves],
                [s.expected_version for s in saves],
                json_array([s.state for s in saves]),
                [s.status for s in saves],
                [s.phase for s in saves],
                [s.awaiting_reset for s in saves],
            ),
        )
        saved = {int(r[0]): int(r[1]) for r in rows}
        return saved, [s.challenge_id for s in saves if s.challenge_id not in saved]

    def insert(
        self,
        *,
        trader_id: int,
        program_id: str,
        program_version: int,
        server: str,
        login: int | None,
        status: str,
        phase: int,
        state: dict[str, Any] | None,
        order_id: str | None = None,
    ) -> int:
        row = self.uow.fetchone(
            "INSERT INTO challenges (trader_id, program_id, program_version, server, login, status, phase,"
            " state, order_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
            (
                trader_id,
                program_id,
                program_version,
                server,
                login,
                status,
                phase,
                None if state is None else Jsonb(plain(state)),
                order_id,
            ),
        )
        return int(row[0])

    def add_transition(
        self,
        *,
        challenge_id: int,
        transition_no: int,
        from_phase: int,
        to_phase: int | None,
        decision: str,
        reason: str,
        equity: Decimal,
        limit: Decimal | None,
        decided_at: datetime,
        state_version: int,
        evidence: dict[str, Any],
    ) -> None:
        self.uow.execute(
            "INSERT INTO phase_transitions (challenge_id, transition_no, from_phase, to_phase, decision,"
            ' reason, equity, "limit", decided_at, state_version, evidence)'
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                challenge_id,
                transition_no,
                from_phase,
                to_phase,
                decision,
                reason,
                equity,
                limit,
                decided_at,
                state_version,
                Jsonb(plain(evidence)),
            ),
        )

    def transitions_of(self, challenge_id: int) -> list[dict[str, Any]]:
        cur = self.uow.execute(
            'SELECT transition_no, from_phase, to_phase, decision, reason, equity, "limit", decided_at,'
            " state_version, evidence FROM phase_transitions WHERE challenge_id = %s ORDER BY transition_no",
            (challenge_id,),
        )
        names = [c.name for c in cur.description or []]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
