"""The outbox: commands for the poller, written in the transaction that decided them and relayed after it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from psycopg.types.json import Jsonb

from propfirm.store.jsonutil import json_array, plain

if TYPE_CHECKING:
    from propfirm.store.uow import UnitOfWork


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
            " SELECT * FROM ROWS FROM (unnest(%s::text[]), unnest(%s::bigint[]), unnest(%s::text[]),"
            " unnest(%s::bigint[]), unnest(%s::text[]), jsonb_array_elements(%s::jsonb), unnest(%s::text[]),"
            " unnest(%s::timestamptz[]))"  # the commands as one JSON array (store.jsonutil.json_array)
            " ON CONFLICT (command_id) DO NOTHING",
            (
                [c.command_id for c in commands],
                [c.challenge_id for c in commands],
                [c.server for c in commands],
                [c.login for c in commands],
                [c.kind for c in commands],
                json_array([c.command for c in commands]),
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
