"""Read-side queries (CQRS-style): plain SQL straight into JSON-ready dicts, money as strings, UTC ISO times.

Lists use keyset pagination on the id (newest first): `cursor` is the last id of the previous page.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from propfirm.live.records import iso_utc
from propfirm.store.uow import UnitOfWork


def jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


def _rows(uow: UnitOfWork, query: str, params: Any = None) -> list[dict[str, Any]]:
    cur = uow.execute(query, params)
    names = [c.name for c in cur.description or []]
    return [jsonable(dict(zip(names, row, strict=True))) for row in cur.fetchall()]


def _one(uow: UnitOfWork, query: str, params: Any = None) -> dict[str, Any] | None:
    rows = _rows(uow, query, params)
    return rows[0] if rows else None


def trader_by_sub(uow: UnitOfWork, sub: str) -> dict[str, Any] | None:
    return _one(uow, "SELECT id, email, name, created_at FROM traders WHERE sub = %s", (sub,))


_CHALLENGE = (
    "SELECT c.id, c.trader_id, t.email AS trader_email, c.program_id, c.program_version, c.server, c.login,"
    " c.status, c.phase, c.version, c.transitions, c.order_id, c.created_at, c.updated_at"
    " FROM challenges c JOIN traders t ON t.id = c.trader_id"
)


def challenge(uow: UnitOfWork, challenge_id: int, trader_sub: str | None = None) -> dict[str, Any] | None:
    """One challenge; with `trader_sub`, only when it is that trader's (otherwise None: a 404)."""
    if trader_sub is None:
        return _one(uow, _CHALLENGE + " WHERE c.id = %s", (challenge_id,))
    return _one(uow, _CHALLENGE + " WHERE c.id = %s AND t.sub = %s", (challenge_id, trader_sub))


def challenges_of(
    uow: UnitOfWork, trader_sub: str, limit: int | None = None, cursor: int | None = None
) -> list[dict[str, Any]]:
    """A trader's challenges, newest first (keyset on the id)."""
    return _rows(
        uow,
        _CHALLENGE + " WHERE t.sub = %s AND (%s::bigint IS NULL OR c.id < %s) ORDER BY c.id DESC LIMIT %s",
        (trader_sub, cursor, cursor, limit),
    )


def count_challenges_of(uow: UnitOfWork, trader_sub: str) -> int:
    row = uow.fetchone(
        "SELECT count(*) FROM challenges WHERE trader_id = (SELECT id FROM traders WHERE sub = %s)", (trader_sub,)
    )
    return int(row[0]) if row else 0


def challenges_page(
    uow: UnitOfWork, *, status: str | None, program: str | None, limit: int, cursor: int | None
) -> list[dict[str, Any]]:
    where: list[str] = []
    params: list[Any] = []
    if status:
        where.append("c.status = %s")
        params.append(status)
    if program:
        where.append("c.program_id = %s")
        params.append(program)
    if cursor is not None:
        where.append("c.id < %s")
        params.append(cursor)
    clause = (" WHERE " + " AND ".join(where)) if where else ""
    return _rows(uow, _CHALLENGE + clause + " ORDER BY c.id DESC LIMIT %s", (*params, limit))


def transitions(
    uow: UnitOfWork, challenge_id: int, limit: int | None = None, after: int | None = None
) -> list[dict[str, Any]]:
    """A challenge's transitions in order (keyset on the transition number)."""
    return _rows(
        uow,
        'SELECT id, transition_no, from_phase, to_phase, decision, reason, equity, "limit", decided_at,'
        " recorded_at, state_version, evidence FROM phase_transitions WHERE challenge_id = %s"
        " AND transition_no > %s ORDER BY transition_no LIMIT %s",
        (challenge_id, after or 0, limit),
    )


def deals(
    uow: UnitOfWork,
    challenge_id: int,
    limit: int,
    cursor: int | None,
    symbol: str | None = None,
    role: str | None = None,
) -> list[dict[str, Any]]:
    """A challenge's deals, newest ticket first, optionally of one symbol and/or one role."""
    where: list[str] = ["challenge_id = %s"]
    params: list[object] = [challenge_id]
    for clause, value in (("ticket < %s", cursor), ("symbol = %s", symbol), ("role = %s", role)):
        if value is not None:
            where.append(clause)
            params.append(value)
    return _rows(
        uow,
        "SELECT server, ticket, login, time, action, entry, symbol, volume, price, profit, commission, swap,"
        " position, order_ticket, comment, role FROM deals WHERE " + " AND ".join(where)
        + " ORDER BY ticket DESC LIMIT %s",
        (*params, limit),
    )


def days(
    uow: UnitOfWork, challenge_id: int, limit: int | None = None, after: date | None = None
) -> list[dict[str, Any]]:
    """A challenge's trading days in order (keyset on the day)."""
    return _rows(
        uow,
        "SELECT trading_day, start_balance, start_equity, NULLIF(daily_floor, 0) AS daily_floor, close_balance,"
        " close_equity, profit"
        " FROM daily_statistics WHERE challenge_id = %s AND (%s::date IS NULL OR trading_day > %s)"
        " ORDER BY trading_day LIMIT %s",
        (challenge_id, after, after, limit),
    )


def audit(uow: UnitOfWork, challenge_id: int | None, limit: int, cursor: int | None) -> list[dict[str, Any]]:
    where: list[str] = []
    params: list[Any] = []
    if challenge_id is not None:
        where.append("challenge_id = %s")
        params.append(challenge_id)
    if cursor is not None:
        where.append("id < %s")
        params.append(cursor)
    clause = (" WHERE " + " AND ".join(where)) if where else ""
    return _rows(
        uow,
        "SELECT id, created_at, kind, challenge_id, server, login, payload, hash FROM audit_log"
        + clause
        + " ORDER BY id DESC LIMIT %s",
        (*params, limit),
    )


def outbox_of(uow: UnitOfWork, challenge_id: int) -> list[dict[str, Any]]:
    return _rows(
        uow,
        "SELECT command_id, kind, status, login, not_before, created_at, sent_at, result_at FROM outbox"
        " WHERE challenge_id = %s ORDER BY id",
        (challenge_id,),
    )


# -- the admin's account pages (migration 0004's indexes serve each) -------------------------------------
_ACCOUNT = (
    "SELECT c.id, c.trader_id, t.email AS trader_email, c.program_id, c.program_version, c.server, c.login,"
    " c.status, c.phase, c.version, c.risk, c.state->>'equity' AS equity, c.state->>'balance' AS balance,"
    # a floor of zero is a rule the phase does not have: null, not a floor at zero
    " NULLIF((c.state->>'daily_floor')::numeric, 0)::text AS daily_floor,"
    " NULLIF((c.state->>'max_floor')::numeric, 0)::text AS max_floor, c.updated_at"
    " FROM challenges c JOIN traders t ON t.id = c.trader_id"
)


def _filters(program: str | None, phase: int | None, email: str | None) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    if program:
        where.append("c.program_id = %s")
        params.append(program)
    if phase is not None:
        where.append("c.phase = %s")
        params.append(phase)
    if email:  # the trader's rows through traders_email_key and challenges_trader
        where.append("c.trader_id = (SELECT id FROM traders WHERE lower(email) = lower(%s))")
        params.append(email)
    return where, params


def accounts_by_risk(
    uow: UnitOfWork,
    *,
    program: str | None,
    within: Decimal | None,
    limit: int,
    after: tuple[Decimal, int] | None,
    phase: int | None = None,
    email: str | None = None,
) -> list[dict[str, Any]]:
    """Active accounts, the closest to a floor first (risk ascending, then id): keyset on (risk, id)."""
    where, params = _filters(program, phase, email)
    where = ["c.status = 'active'", "c.risk IS NOT NULL", *where]
    if within is not None:
        where.append("c.risk <= %s")
        params.append(within)
    if after is not None:
        where.append("(c.risk, c.id) > (%s, %s)")
        params.extend(after)
    return _rows(
        uow, _ACCOUNT + " WHERE " + " AND ".join(where) + " ORDER BY c.risk, c.id LIMIT %s", (*params, limit)
    )


def accounts_by_id(
    uow: UnitOfWork,
    *,
    status: str | None,
    program: str | None,
    limit: int,
    cursor: int | None,
    phase: int | None = None,
    email: str | None = None,
) -> list[dict[str, Any]]:
    where, params = _filters(program, phase, email)
    if status:
        where.append("c.status = %s")
        params.append(status)
    if cursor is not None:
        where.append("c.id < %s")
        params.append(cursor)
    clause = (" WHERE " + " AND ".join(where)) if where else ""
    return _rows(uow, _ACCOUNT + clause + " ORDER BY c.id DESC LIMIT %s", (*params, limit))


_TRANSITION = (
    'SELECT p.id, p.challenge_id, c.server, c.login, p.transition_no, p.from_phase, p.to_phase, p.decision,'
    ' p.reason, p.equity, p."limit", p.decided_at, p.recorded_at'
    " FROM phase_transitions p JOIN challenges c ON c.id = p.challenge_id"
)


def recent_transitions(
    uow: UnitOfWork, *, since: datetime | None, limit: int, cursor: int | None
) -> list[dict[str, Any]]:
    where: list[str] = []
    params: list[Any] = []
    if since is not None:
        where.append("p.decided_at >= %s")
        params.append(since)
    if cursor is not None:
        where.append("p.id < %s")
        params.append(cursor)
    clause = (" WHERE " + " AND ".join(where)) if where else ""
    return _rows(uow, _TRANSITION + clause + " ORDER BY p.id DESC LIMIT %s", (*params, limit))


def pending_transitions(uow: UnitOfWork, limit: int, challenge_id: int | None = None) -> dict[str, list]:
    """What is decided but not carried out yet, oldest first: kill reports waiting for the evaluator's
    decision, balance resets not seen on MT5, and commands not done (pending in the outbox, or sent and
    unanswered)."""
    one = " AND id = %s" if challenge_id is not None else ""
    challenges = _rows(
        uow,
        "SELECT id AS challenge_id, server, login, status, phase, pending_kill, awaiting_reset, updated_at"
        " FROM challenges WHERE (pending_kill IS NOT NULL OR awaiting_reset IS NOT NULL)" + one
        + " ORDER BY id LIMIT %s",
        (challenge_id, limit) if challenge_id is not None else (limit,),
    )
    one = " AND challenge_id = %s" if challenge_id is not None else ""
    commands = _rows(
        uow,
        "SELECT id, command_id, challenge_id, server, login, kind, status, not_before, created_at, sent_at"
        " FROM outbox WHERE status IN ('pending', 'sent')" + one + " ORDER BY id LIMIT %s",
        (challenge_id, limit) if challenge_id is not None else (limit,),
    )
    return {"challenges": challenges, "commands": commands}


def equity_curve(
    uow: UnitOfWork, challenge_id: int, start: datetime, end: datetime, limit: int
) -> list[dict[str, Any]]:
    return _rows(
        uow,
        "SELECT time, balance, equity FROM equity_points WHERE challenge_id = %s AND time >= %s AND time <= %s"
        " ORDER BY time LIMIT %s",
        (challenge_id, start, end, limit),
    )


def programs(uow: UnitOfWork) -> list[dict[str, Any]]:
    return _rows(
        uow,
        "SELECT id, version, content_hash, source, loaded_at, definition FROM programs ORDER BY id, version",
    )


def outbox_counts(uow: UnitOfWork) -> dict[str, int]:
    rows = uow.fetchall("SELECT status, count(*) FROM outbox WHERE status IN ('pending', 'sent') GROUP BY status")
    counts = {"pending": 0, "sent": 0}
    counts.update({str(status): int(n) for status, n in rows})
    return counts
