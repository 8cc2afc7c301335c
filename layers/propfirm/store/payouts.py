"""Payout rows and the deals they cover (migrations 0001, 0002 and 0005), over one Unit of Work.

    payouts = PayoutRepository(uow)

State changes are conditional updates (`move`): the row changes only from the states named, so two
workers or a redelivered task never apply a transition twice. Rows come back as dicts of columns.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from psycopg.types.json import Jsonb

from propfirm.domain.payouts import FINAL_STATUSES, OPEN_STATUSES, PayoutStatus
from propfirm.store.jsonutil import plain

if TYPE_CHECKING:
    from propfirm.store.uow import UnitOfWork

FINISHED = FINAL_STATUSES
# the payout's deals stay claimed (payout_deals.claimed) unless it ends in these states: the database
# releases them then (0005's trigger) and allows one claim per deal (its unique index)
NOT_COVERING = (PayoutStatus.REJECTED, PayoutStatus.FAILED)
OPEN = OPEN_STATUSES

_COLUMNS = (
    "p.id, p.challenge_id, c.trader_id, coalesce(p.server, c.server) AS server, coalesce(p.login, c.login)"
    " AS login, p.status, p.currency, p.payout_number, p.profit, p.amount, p.split_pct, p.trader_share,"
    " p.fee_refund, p.period_start, p.period_end, p.details, p.requested_by, p.requested_at,"
    " p.awaiting_approval_at, p.decided_by, p.decision_note, p.decided_at, p.approved_at, p.rejected_at,"
    " p.withdrawing_at, p.paid_at, p.failed_at, p.completed_at, p.reason, p.execution_arn,"
    " p.approval_token, p.approval_answered_at, p.withdrawal_token, p.withdrawal_command_id,"
    " p.withdrawal_answered_at, p.withdrawal_deal, p.escalated_at, p.review_at, p.review_from, p.flags,"
    " p.approvals"
)
_FROM = " FROM payouts p JOIN challenges c ON c.id = p.challenge_id"


class PayoutRepository:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def _rows(self, where: str, params: tuple, tail: str = "") -> list[dict[str, Any]]:
        cur = self.uow.execute(f"SELECT {_COLUMNS}{_FROM} WHERE {where}{tail}", params)
        names = [c.name for c in cur.description or []]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def get(self, payout_id: int, *, lock: bool = False) -> dict[str, Any] | None:
        rows = self._rows("p.id = %s", (payout_id,), " FOR UPDATE OF p" if lock else "")
        return rows[0] if rows else None

    def open_of(self, challenge_id: int) -> dict[str, Any] | None:
        rows = self._rows("p.challenge_id = %s AND p.status <> ALL(%s)", (challenge_id, list(FINISHED)))
        return rows[0] if rows else None

    def search(
        self,
        *,
        challenge_id: int | None = None,
        status: str | None = None,
        trader_id: int | None = None,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        where: list[str] = ["true"]
        params: list[Any] = []
        if challenge_id is not None:
            where.append("p.challenge_id = %s")
            params.append(challenge_id)
        if status is not None:
            where.append("p.status = %s")
            params.append(status)
        if trader_id is not None:
            where.append("c.trader_id = %s")
            params.append(trader_id)
        params.append(limit)
        return self._rows(" AND ".join(where), tuple(params), " ORDER BY p.id DESC LIMIT %s")

    def deals_of(self, payout_ids: list[int]) -> dict[int, tuple[int, ...]]:
        rows = self.uow.fetchall(
            "SELECT payout_id, ticket FROM payout_deals WHERE payout_id = ANY(%s) ORDER BY payout_id, ticket",
            (payout_ids,),
        )
        found: dict[int, list[int]] = {i: [] for i in payout_ids}
        for payout_id, ticket in rows:
            found[int(payout_id)].append(int(ticket))
        return {k: tuple(v) for k, v in found.items()}

    def history(self, challenge_id: int) -> tuple[int, datetime | None]:
        """(paid payouts so far, the last paid one's request time): the next period's number and anchor."""
        row = self.uow.fetchone(
            "SELECT count(*), max(requested_at) FROM payouts WHERE challenge_id = %s AND status = 'paid'",
            (challenge_id,),
        )
        return int(row[0]), row[1]

    def uncovered_trades(self, challenge_id: int, since: datetime) -> list[tuple]:
        """Trade deals of the challenge from `since` that no live payout covers:
        (ticket, position, time, entry, volume, profit, commission, swap)."""
        return self.uow.fetchall(
            "SELECT d.ticket, d.position, d.time, d.entry, d.volume, d.profit, d.commission, d.swap"
            " FROM deals d WHERE d.challenge_id = %s AND d.role = 'trade' AND d.time >= %s"
            " AND NOT EXISTS (SELECT 1 FROM payout_deals pd"
            "   WHERE pd.server = d.server AND pd.ticket = d.ticket AND pd.claimed)"
            " ORDER BY d.time, d.ticket",
            (challenge_id, since),
        )

    def insert(
        self,
        *,
        challenge_id: int,
        server: str,
        login: int | None,
        currency: str,
        payout_number: int,
        profit: Decimal,
        amount: Decimal,
        split_pct: Decimal,
        trader_share: Decimal,
        fee_refund: Decimal,
        period_start: datetime,
        period_end: datetime,
        details: dict[str, Any],
        requested_by: str,
        requested_at: datetime,
        tickets: list[int],
    ) -> int | None:
        """The new payout's id, or None when the challenge already has one in progress."""
        row = self.uow.fetchone(
            "INSERT INTO payouts (challenge_id, server, login, currency, payout_number, profit, amount,"
            " split_pct, trader_share, fee_refund, period_start, period_end, details, requested_by,"
            " requested_at, status, updated_at)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 'requested', %s)"
            " ON CONFLICT (challenge_id) WHERE status IN"
            " ('requested', 'awaiting_approval', 'approved', 'withdrawing', 'manual_review')"
            " DO NOTHING RETURNING id",
            (
                challenge_id,
                server,
                login,
                currency,
                payout_number,
                profit,
                amount,
                split_pct,
                trader_share,
                fee_refund,
                period_start,
                period_end,
                Jsonb(plain(details)),
                requested_by,
                requested_at,
                requested_at,
            ),
        )
        if row is None:
            return None
        payout_id = int(row[0])
        if tickets:
            self.uow.execute(
                "INSERT INTO payout_deals (payout_id, server, ticket)"
                " SELECT %s, %s, t FROM unnest(%s::bigint[]) AS t",
                (payout_id, server, tickets),
            )
        return payout_id

    def move(self, payout_id: int, from_states: tuple[str, ...], to_state: str, **columns: Any) -> bool:
        """Set the status (and columns) only if the payout is in one of `from_states`."""
        assignments = ["status = %s", "updated_at = now()"] + [f"{name} = %s" for name in columns]
        row = self.uow.fetchone(
            f"UPDATE payouts SET {', '.join(assignments)} WHERE id = %s AND status = ANY(%s) RETURNING id",
            (to_state, *columns.values(), payout_id, list(from_states)),
        )
        return row is not None

    def update(self, payout_id: int, **columns: Any) -> None:
        """Set columns without a state change (tokens, the execution, answered times)."""
        assignments = ["updated_at = now()"] + [f"{name} = %s" for name in columns]
        self.uow.execute(
            f"UPDATE payouts SET {', '.join(assignments)} WHERE id = %s", (*columns.values(), payout_id)
        )

    def unstarted(self, limit: int = 100) -> list[int]:
        rows = self.uow.fetchall(
            "SELECT id FROM payouts WHERE status = 'requested' AND execution_arn IS NULL"
            " ORDER BY id LIMIT %s",
            (limit,),
        )
        return [int(r[0]) for r in rows]

    def unanswered_decisions(self, limit: int = 100) -> list[int]:
        """Decided payouts whose approval token is stored but was not answered yet."""
        rows = self.uow.fetchall(
            "SELECT id FROM payouts WHERE status IN ('approved', 'rejected') AND approval_token IS NOT NULL"
            " AND approval_answered_at IS NULL ORDER BY id LIMIT %s",
            (limit,),
        )
        return [int(r[0]) for r in rows]

    def unanswered_withdrawals(self, limit: int = 100) -> list[tuple[int, dict[str, Any]]]:
        """Withdrawing payouts whose command has a result that has not reached the workflow yet."""
        rows = self.uow.fetchall(
            "SELECT p.id, o.result FROM payouts p JOIN outbox o ON o.command_id = p.withdrawal_command_id"
            " WHERE p.status = 'withdrawing' AND p.withdrawal_token IS NOT NULL"
            " AND p.withdrawal_answered_at IS NULL AND o.status IN ('done', 'failed')"
            " AND o.result IS NOT NULL"
            " ORDER BY p.id LIMIT %s",
            (limit,),
        )
        return [(int(r[0]), r[1]) for r in rows]

    def stage_balance(self, challenge_id: int, since: datetime) -> tuple[Decimal, Decimal]:
        """(Σ balance operations of the account since `since`, Σ profit of the payouts paid since then):
        the balance cross-check's inputs besides the balance itself."""
        row = self.uow.fetchone(
            "SELECT (SELECT coalesce(sum(d.profit), 0) FROM deals d WHERE d.challenge_id = %s"
            "        AND d.role = 'balance_operation' AND d.time >= %s),"
            "       (SELECT coalesce(sum(p.profit), 0) FROM payouts p WHERE p.challenge_id = %s"
            "        AND p.status = 'paid' AND p.requested_at >= %s)",
            (challenge_id, since, challenge_id, since),
        )
        return Decimal(row[0]), Decimal(row[1])

    def add_flag(self, payout_id: int, flag: dict[str, Any]) -> bool:
        """Add a review flag once per code; True when it was new."""
        row = self.uow.fetchone(
            "UPDATE payouts SET flags = flags || %s, updated_at = now() WHERE id = %s"
            " AND NOT flags @> %s RETURNING id",
            (Jsonb([plain(flag)]), payout_id, Jsonb([{"code": flag["code"]}])),
        )
        return row is not None

    def awaiting_since(self, before: datetime, limit: int = 100) -> list[int]:
        rows = self.uow.fetchall(
            "SELECT id FROM payouts WHERE status = 'awaiting_approval' AND awaiting_approval_at <= %s"
            " ORDER BY id LIMIT %s",
            (before, limit),
        )
        return [int(r[0]) for r in rows]
