"""Repositories over one Unit of Work: challenges, traders, deals, the outbox, statistics.

Batch writes use one statement each (`unnest` of arrays), whatever the number of accounts: the
evaluator writes a whole message's deals, routine state saves and equity points in three statements.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from psycopg.types.json import Jsonb

from propfirm.store.errors import ConcurrencyConflict, NotFound
from propfirm.store.jsonutil import plain

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
            "SELECT id, login, version FROM challenges WHERE server = %s AND login = ANY(%s)",
            (server, logins),
        )
        return {row[1]: ChallengeVersion(*row) for row in rows}

    def many(self, ids: list[int]) -> dict[int, ChallengeRecord]:
        rows = self.uow.fetchall(f"SELECT {_CHALLENGE_COLUMNS} FROM challenges WHERE id = ANY(%s)", (ids,))
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
            " FROM unnest(%s::bigint[], %s::integer[], %s::jsonb[], %s::text[], %s::integer[], %s::text[])"
            " AS v(id, expected, state, status, phase, awaiting)"
            " WHERE c.id = v.id AND c.version = v.expected RETURNING c.id, c.version",
            (
                [s.challenge_id for s in saves],
                [s.expected_version for s in saves],
                [Jsonb(plain(s.state)) for s in saves],
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


IDENTITY_PROVIDER, LOCAL, UNBOUND = "identity_provider", "local", "unbound"  # where a trader's sub came from


@dataclass(frozen=True)
class TraderRow:
    id: int
    email: str
    sub: str
    sub_origin: str
    rebound: bool = False  # this call moved the row to another login's sub


class TraderRepository:
    """Traders: one row per purchase email, bound to the identity provider's immutable subject (`sub`)."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def _by(self, column: str, value: str) -> TraderRow | None:
        where = "lower(email) = lower(%s)" if column == "email" else "sub = %s"
        row = self.uow.fetchone(f"SELECT id, email, sub, sub_origin FROM traders WHERE {where}", (value,))
        return None if row is None else TraderRow(int(row[0]), row[1], row[2], row[3])

    def by_sub(self, sub: str) -> TraderRow | None:
        return self._by("sub", sub)

    def by_email(self, email: str) -> TraderRow | None:
        return self._by("email", email)

    def get_or_create(
        self, email: str, name: str | None = None, sub: str | None = None, origin: str = LOCAL
    ) -> TraderRow:
        """The trader of a purchase's email, bound as the identity provider says:

        - `origin` identity_provider with `sub`: the row of that sub, else the email's row bound to it (a row
          whose sub was local, unbound or of an earlier login of the same verified email: `rebound`), else a
          new row;
        - local (no identity provider): the email's row, else a new row with a generated sub (or `sub`);
        - unbound (the email's login may not be granted anything): the email's row as it is, else a new
          row with a sub no login has.
        """
        if origin == IDENTITY_PROVIDER:
            if sub is None:
                raise ValueError("an identity provider's trader needs its sub")
            found = self.by_sub(sub)
            if found is not None:
                return found
            row = self.uow.fetchone(
                "UPDATE traders SET sub = %s, sub_origin = %s WHERE lower(email) = lower(%s)"
                " RETURNING id, email, sub, sub_origin",
                (sub, IDENTITY_PROVIDER, email),
            )
            if row is not None:
                return TraderRow(int(row[0]), row[1], row[2], row[3], rebound=True)
        else:
            found = self.by_email(email)
            if found is not None:
                return found
            sub = f"unbound:{uuid.uuid4()}" if origin == UNBOUND else (sub or str(uuid.uuid4()))
        row = self.uow.fetchone(
            "INSERT INTO traders (email, name, sub, sub_origin) VALUES (%s, %s, %s, %s)"
            " ON CONFLICT (lower(email)) DO NOTHING RETURNING id, email, sub, sub_origin",
            (email, name, sub, origin),
        )
        if row is not None:
            return TraderRow(int(row[0]), row[1], row[2], row[3])
        # a concurrent purchase by the same email created it first
        return self.get_or_create(email, name, sub, origin)


@dataclass(frozen=True)
class DealRow:
    server: str
    ticket: int
    login: int
    challenge_id: int | None
    time: datetime
    action: str
    entry: str
    symbol: str
    volume: Decimal
    price: Decimal
    profit: Decimal
    commission: Decimal
    swap: Decimal
    position: int
    order_ticket: int
    comment: str
    role: str
    value: Decimal | None = None  # traded value in the account currency (trade deals, where MT5 says)


class DealRepository:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def upsert(self, deals: list[DealRow]) -> int:
        """Store deals once per (server, ticket); a redelivered deal changes nothing. Returns rows added."""
        if not deals:
            return 0
        columns = list(
            zip(
                *[
                    (
                        d.server,
                        d.ticket,
                        d.login,
                        d.challenge_id,
                        d.time,
                        d.action,
                        d.entry,
                        d.symbol,
                        d.volume,
                        d.price,
                        d.profit,
                        d.commission,
                        d.swap,
                        d.position,
                        d.order_ticket,
                        d.comment,
                        d.role,
                        d.value,
                    )
                    for d in deals
                ],
                strict=True,
            )
        )
        cur = self.uow.execute(
            "INSERT INTO deals (server, ticket, login, challenge_id, time, action, entry, symbol, volume,"
            " price, profit, commission, swap, position, order_ticket, comment, role, value)"
            " SELECT * FROM unnest(%s::text[], %s::bigint[], %s::bigint[], %s::bigint[], %s::timestamptz[],"
            " %s::text[], %s::text[], %s::text[], %s::numeric[], %s::numeric[], %s::numeric[], %s::numeric[],"
            " %s::numeric[], %s::bigint[], %s::bigint[], %s::text[], %s::text[], %s::numeric[])"
            " ON CONFLICT (server, ticket) DO NOTHING",
            [list(c) for c in columns],
        )
        return cur.rowcount

    def stored(self, server: str, tickets: list[int]) -> set[int]:
        """Which of these tickets are stored already (one statement)."""
        if not tickets:
            return set()
        rows = self.uow.fetchall(
            "SELECT ticket FROM deals WHERE server = %s AND ticket = ANY(%s)", (server, tickets)
        )
        return {int(r[0]) for r in rows}

    def count(self, server: str, login: int) -> int:
        return int(
            self.uow.fetchone("SELECT count(*) FROM deals WHERE server = %s AND login = %s", (server, login))[
                0
            ]
        )


@dataclass(frozen=True)
class OutboxCommand:
    command_id: str
    challenge_id: int | None
    server: str
    login: int | None
    kind: str
    command: dict[str, Any]
    mt5_comment: str | None = None
    not_before: datetime | None = None


@dataclass(frozen=True)
class PendingCommand:
    id: int
    command_id: str
    server: str
    login: int | None
    command: dict[str, Any]


class OutboxRepository:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def add(self, commands: list[OutboxCommand]) -> None:
        """Idempotent by command id: the same decision recorded twice queues each command once."""
        if not commands:
            return
        self.uow.execute(
            "INSERT INTO outbox (command_id, challenge_id, server, login, kind, command, mt5_comment,"
            " not_before)"
            " SELECT * FROM unnest(%s::text[], %s::bigint[], %s::text[], %s::bigint[], %s::text[],"
            " %s::jsonb[], %s::text[], %s::timestamptz[]) ON CONFLICT (command_id) DO NOTHING",
            (
                [c.command_id for c in commands],
                [c.challenge_id for c in commands],
                [c.server for c in commands],
                [c.login for c in commands],
                [c.kind for c in commands],
                [Jsonb(plain(c.command)) for c in commands],
                [c.mt5_comment for c in commands],
                [c.not_before for c in commands],
            ),
        )

    def any_due(self, now: datetime) -> bool:
        """Whether a run would find anything (a read without locks: run it outside a transaction)."""
        return bool(
            self.uow.fetchone(
                "SELECT EXISTS (SELECT 1 FROM outbox WHERE status = 'pending'"
                " AND (not_before IS NULL OR not_before <= %s))",
                (now,),
            )[0]
        )

    def due(self, now: datetime, limit: int = 100) -> list[PendingCommand]:
        """Pending commands whose time has come, locked (other relays skip them) in creation order."""
        rows = self.uow.fetchall(
            "SELECT id, command_id, server, login, command FROM outbox WHERE status = 'pending'"
            " AND (not_before IS NULL OR not_before <= %s) ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED",
            (now, limit),
        )
        return [PendingCommand(*row) for row in rows]

    def cancel_scheduled(self, challenge_id: int) -> None:
        self.uow.execute(
            "UPDATE outbox SET status = 'cancelled' WHERE challenge_id = %s AND status = 'pending'"
            " AND not_before IS NOT NULL",
            (challenge_id,),
        )

    def mark_sent(self, ids: list[int], now: datetime) -> None:
        if ids:
            self.uow.execute(
                "UPDATE outbox SET status = 'sent', sent_at = %s, attempts = attempts + 1"
                " WHERE id = ANY(%s) AND status = 'pending'",
                (now, ids),
            )

    def record_result(self, command_id: str, ok: bool, result: dict[str, Any], now: datetime) -> bool:
        """The poller's result. A carried-out `create_account` loses its MT5 passwords here: they were
        needed only to send it, and the trader's copy is kept encrypted elsewhere (propfirm.api)."""
        row = self.uow.fetchone(
            "UPDATE outbox SET status = %s, result = %s, result_at = %s,"
            " command = command - 'password_main' - 'password_investor' - 'sealed_passwords'"
            " WHERE command_id = %s RETURNING id",
            ("done" if ok else "failed", Jsonb(plain(result)), now, command_id),
        )
        return row is not None

    def system_comments(
        self, server: str, logins: list[int], comments: list[str]
    ) -> dict[tuple[int, str], str]:
        """Balance operations we issued, by (login, MT5 comment) -> command id."""
        rows = self.uow.fetchall(
            "SELECT login, mt5_comment, command_id FROM outbox WHERE server = %s AND login = ANY(%s)"
            " AND mt5_comment = ANY(%s)",
            (server, logins, comments),
        )
        return {(int(r[0]), r[1]): r[2] for r in rows}

    def funding_deals(self, server: str, logins: list[int]) -> set[int]:
        """Deal tickets MT5 made when it created an account for us (create_account results)."""
        rows = self.uow.fetchall(
            "SELECT (result->'details'->>'funding_deal')::bigint FROM outbox WHERE server = %s"
            " AND kind = 'create_account' AND login = ANY(%s)"
            " AND result->'details'->>'funding_deal' IS NOT NULL",
            (server, logins),
        )
        return {int(r[0]) for r in rows}

    def get(self, command_id: str) -> dict[str, Any] | None:
        cur = self.uow.execute(
            "SELECT command_id, kind, status, attempts, not_before, sent_at, result, command FROM outbox"
            " WHERE command_id = %s",
            (command_id,),
        )
        row = cur.fetchone()
        if row is None:
            return None
        return dict(zip([c.name for c in cur.description or []], row, strict=True))


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
            " SELECT * FROM unnest(%s::text[], %s::text[], %s::bigint[], %s::jsonb[])"
            " ON CONFLICT (event_id) DO NOTHING",
            (
                [e.event_id for e in events],
                [e.detail_type for e in events],
                [e.challenge_id for e in events],
                [Jsonb(plain(e.detail)) for e in events],
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

    def of_challenge(self, challenge_id: int) -> list[dict[str, Any]]:
        cur = self.uow.execute(
            "SELECT event_id, detail_type, status, attempts, detail, sent_at FROM domain_events"
            " WHERE challenge_id = %s ORDER BY id",
            (challenge_id,),
        )
        names = [c.name for c in cur.description or []]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
