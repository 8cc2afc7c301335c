"""Deals as MT5 booked them, stored once per server and ticket (one statement for a batch)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from propfirm.store.uow import UnitOfWork


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
