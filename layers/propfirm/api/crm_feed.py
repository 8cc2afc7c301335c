"""The CRM sync feed: every challenge whose CRM-facing facts changed since a cursor, oldest change first.

Webhooks tell a CRM of each event as it happens, at least once; a CRM that was down longer than the
retries, that joins later, or that wants to reconcile reads this feed instead and upserts by
`challenge_id`: the trader, the program, the account, the status and phase, the phase's progress and the
payout history. A challenge comes back when its account is assigned, its status or phase changes, or any
of its payouts changes status (`crm_changed_at`, migration 0016), not with every state save.

Keyset pagination on (`crm_changed_at`, id): the cursor is the last item's. Changes younger than
`SETTLE` on the database's clock are left for the next read: a transaction that began earlier and commits
later cannot then slip in behind a cursor already past it. The progress is the state as last saved (the
evaluator saves it at decisions and every few snapshots), which is what a CRM's account view needs.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from propfirm.api.live_view import progress_of
from propfirm.api.problems import Unprocessable
from propfirm.domain.payouts import PayoutStatus
from propfirm.domain.programs import Program
from propfirm.domain.state import ChallengeState
from propfirm.live.records import iso_utc
from propfirm.store.uow import UnitOfWork

SETTLE = timedelta(seconds=5)

_FEED = """
SELECT c.id, c.crm_changed_at, t.email, c.program_id, c.program_version, c.server, c.login, c.status, c.phase,
       c.created_at, c.state
FROM challenges c
JOIN traders t ON t.id = c.trader_id
WHERE c.crm_changed_at <= clock_timestamp() - %s::interval
  AND (%s::timestamptz IS NULL OR (c.crm_changed_at, c.id) > (%s::timestamptz, %s::bigint))
ORDER BY c.crm_changed_at, c.id
LIMIT %s
"""
_PAYOUTS = """
SELECT challenge_id, id, status, amount, trader_share, requested_at, paid_at
FROM payouts WHERE challenge_id = ANY(%s) ORDER BY challenge_id, id
"""


def encode_cursor(changed_at: datetime, challenge_id: int) -> str:
    return base64.urlsafe_b64encode(f"{changed_at.isoformat()}|{challenge_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        moment, number = text.split("|")
        at = datetime.fromisoformat(moment)
        challenge_id = int(number)
        if at.tzinfo is None:
            raise ValueError("no offset")
        at.astimezone(UTC)  # a time PostgreSQL can hold (years 1 to 9999 in UTC)
        if not 0 <= challenge_id < 2**63:
            raise ValueError("not an id")
        return at, challenge_id
    except (ValueError, UnicodeDecodeError, OverflowError) as exc:
        raise Unprocessable(f"cursor: not one this feed gave ({exc})") from None


def crm_page(uow: UnitOfWork, cursor: str | None, limit: int, now: datetime) -> dict[str, Any]:
    """One page of the feed: `items` oldest change first, `next_cursor` to pass next time (the same cursor
    again when nothing changed since)."""
    after = decode_cursor(cursor) if cursor else None
    rows = uow.fetchall(_FEED, (SETTLE, after and after[0], after and after[0], after and after[1], limit))
    payouts: dict[int, list[dict[str, Any]]] = {}
    if rows:
        for challenge_id, pid, status, amount, share, requested_at, paid_at in uow.fetchall(
                _PAYOUTS, ([r[0] for r in rows],)):
            payouts.setdefault(challenge_id, []).append({
                "id": pid, "status": status, "amount": _text(amount), "trader_share": _text(share),
                "requested_at": _iso(requested_at), "paid_at": _iso(paid_at)})
    programs: dict[tuple[str, int], Program] = {}
    items = []
    for cid, changed_at, email, program_id, version, server, login, status, phase, created_at, state in rows:
        key = (program_id, version)
        if key not in programs:
            programs[key] = uow.programs.get(program_id, version)
        items.append(_item(cid, changed_at, email, programs[key], version, server, login, status, phase,
                           created_at, state, payouts.get(cid, []), now))
    last = rows[-1] if rows else None
    return {
        "items": items,
        "next_cursor": encode_cursor(last[1], last[0]) if last else cursor,
    }


def _item(cid: int, changed_at: datetime, email: str, program: Program, version: int, server: str,
          login: int | None, status: str, phase: int, created_at: datetime, state: dict[str, Any] | None,
          payouts: list[dict[str, Any]], now: datetime) -> dict[str, Any]:
    phase_rules = program.phases[phase] if 0 <= phase < len(program.phases) else None
    progress = None
    if state is not None:
        try:
            progress = progress_of(program, ChallengeState.from_dict(state), now)
        except (ValueError, KeyError, TypeError):
            progress = None  # a state this build cannot read: the rest of the record still syncs
    paid = [p for p in payouts if p["status"] == PayoutStatus.PAID]
    return {
        "challenge_id": cid,
        "changed_at": iso_utc(changed_at),
        "trader": {"email": email},
        "program": {"id": program.id, "version": version, "name": program.name,
                    "account_size": str(program.account_size), "currency": program.currency},
        "account": None if login is None else {"server": server, "login": login},
        "status": status,
        "phase": {"index": phase, "name": phase_rules.name if phase_rules else None,
                  "funded": bool(phase_rules and phase_rules.funded)},
        "created_at": iso_utc(created_at),
        "progress": progress,
        "payouts": {
            "count": len(payouts),
            "paid": len(paid),
            "paid_to_trader": str(sum((Decimal(p["trader_share"] or 0) for p in paid), Decimal(0))),
            "history": payouts,
        },
    }


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else iso_utc(value)
