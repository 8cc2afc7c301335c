"""Webhook endpoints and deliveries (migration 0010), over one Unit of Work.

    store = WebhookStore(uow)

Signing secrets rest sealed (`propfirm.store.vault`): the store seals what it writes; `Endpoint.secret` and
`previous_secret` hold the stored forms, opened only where a message is signed (`signing_secrets`).

Deliveries are claimed with a lease (`claim_due`: FOR UPDATE SKIP LOCKED, then `lease_until`), POSTed
outside any transaction, and their outcome recorded after; a sender that dies mid-POST leaves a lease that
runs out, and the delivery is tried again (at least once). Every time here is the caller's clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from propfirm.store.errors import NotFound
from propfirm.store.vault import Vault, default_vault, is_sealed

if TYPE_CHECKING:
    from collections.abc import Callable

    from propfirm.store.uow import UnitOfWork
    from propfirm.webhooks.messages import Message

STATUSES = ("pending", "delivered", "failed")
_ENDPOINT = (
    "id, url, description, event_types, server, secret, previous_secret, previous_secret_until, enabled,"
    " created_at, updated_at"
)
_DELIVERY = (
    "d.id, d.endpoint_id, d.message_id, d.event_type, d.challenge_id, d.body, d.status, d.attempts,"
    " d.replays, d.next_attempt_at, d.last_status, d.last_error, d.created_at, d.delivered_at"
)


@dataclass(frozen=True)
class Endpoint:
    id: int
    url: str
    description: str
    event_types: tuple[str, ...]  # empty: every type
    server: str | None  # only this MT5 server's events; None: every server's
    secret: str  # as stored: sealed (`propfirm.store.vault`), or a bare whsec_ written before sealing
    previous_secret: str | None
    previous_secret_until: datetime | None
    enabled: bool
    created_at: datetime
    updated_at: datetime

    def signing_secrets(self, now: datetime, open_secret: Callable[[str], str]) -> list[str]:
        """The current secret, and the previous one while a rotation's overlap lasts, opened (a vault's
        `open`)."""
        if self.previous_secret and self.previous_secret_until and now < self.previous_secret_until:
            return [open_secret(self.secret), open_secret(self.previous_secret)]
        return [open_secret(self.secret)]

    def wants(self, event_type: str, server: str | None) -> bool:
        return (
            self.enabled
            and (not self.event_types or event_type in self.event_types)
            and (self.server is None or self.server == server)
        )

    def to_public(self) -> dict[str, Any]:
        """What the admin API shows: never a secret."""
        return {
            "id": self.id,
            "url": self.url,
            "description": self.description,
            "event_types": list(self.event_types),
            "server": self.server,
            "enabled": self.enabled,
            "rotating_until": self.previous_secret_until.isoformat() if self.previous_secret_until else None,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }


@dataclass(frozen=True)
class Delivery:
    id: int
    endpoint_id: int
    message_id: str
    event_type: str
    challenge_id: int | None
    body: str
    status: str
    attempts: int
    replays: int
    next_attempt_at: datetime
    last_status: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None

    def to_public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "endpoint_id": self.endpoint_id,
            "webhook_id": self.message_id,
            "type": self.event_type,
            "challenge_id": self.challenge_id,
            "status": self.status,
            "attempts": self.attempts,
            "replays": self.replays,
            "next_attempt_at": self.next_attempt_at.isoformat() if self.status == "pending" else None,
            "last_status": self.last_status,
            "last_error": self.last_error,
            "created_at": self.created_at.isoformat(),
            "delivered_at": self.delivered_at.isoformat() if self.delivered_at else None,
        }


def _endpoint(row: tuple) -> Endpoint:
    return Endpoint(row[0], row[1], row[2], tuple(row[3] or ()), *row[4:])


def _delivery(row: tuple) -> Delivery:
    return Delivery(*row)


class WebhookStore:
    def __init__(self, uow: UnitOfWork, vault: Vault | None = None) -> None:
        self.uow = uow
        self._vault = vault

    @property
    def vault(self) -> Vault:
        """The vault secrets are sealed with (the process's, from the environment, unless given): only
        writing a secret needs it."""
        if self._vault is None:
            self._vault = default_vault()
        return self._vault

    # -- endpoints -----------------------------------------------------------------------------------
    def add_endpoint(
        self,
        url: str,
        secret: str,
        now: datetime,
        event_types: Sequence[str] = (),
        description: str = "",
        server: str | None = None,
    ) -> Endpoint:
        row = self.uow.fetchone(
            f"INSERT INTO webhook_endpoints (url, description, event_types, server, secret, created_at, updated_at)"
            f" VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING {_ENDPOINT}",
            (url, description, list(event_types), server, self.vault.seal(secret), now, now),
        )
        return _endpoint(row)

    def endpoint(self, endpoint_id: int, for_update: bool = False) -> Endpoint:
        lock = " FOR UPDATE" if for_update else ""
        row = self.uow.fetchone(f"SELECT {_ENDPOINT} FROM webhook_endpoints WHERE id = %s{lock}", (endpoint_id,))
        if row is None:
            raise NotFound(f"no webhook endpoint {endpoint_id}")
        return _endpoint(row)

    def endpoints(self, enabled_only: bool = False) -> list[Endpoint]:
        where = " WHERE enabled" if enabled_only else ""
        return [
            _endpoint(r) for r in self.uow.fetchall(f"SELECT {_ENDPOINT} FROM webhook_endpoints{where} ORDER BY id")
        ]

    def update_endpoint(
        self,
        endpoint_id: int,
        now: datetime,
        *,
        url: str | None = None,
        event_types: Sequence[str] | None = None,
        description: str | None = None,
        enabled: bool | None = None,
    ) -> Endpoint:
        row = self.uow.fetchone(
            f"UPDATE webhook_endpoints SET url = coalesce(%s, url), event_types = coalesce(%s, event_types),"
            f" description = coalesce(%s, description), enabled = coalesce(%s, enabled), updated_at = %s"
            f" WHERE id = %s RETURNING {_ENDPOINT}",
            (url, None if event_types is None else list(event_types), description, enabled, now, endpoint_id),
        )
        if row is None:
            raise NotFound(f"no webhook endpoint {endpoint_id}")
        return _endpoint(row)

    def rotate_secret(self, endpoint_id: int, new_secret: str, now: datetime, overlap: timedelta) -> Endpoint:
        row = self.uow.fetchone(
            f"UPDATE webhook_endpoints SET previous_secret = secret, previous_secret_until = %s, secret = %s,"
            f" updated_at = %s WHERE id = %s RETURNING {_ENDPOINT}",
            (now + overlap, self.vault.seal(new_secret), now, endpoint_id),
        )
        if row is None:
            raise NotFound(f"no webhook endpoint {endpoint_id}")
        return _endpoint(row)

    def seal_plain_secrets(self) -> int:
        """Seal the secrets written before sealing began (bare whsec_ values); how many were sealed."""
        rows = self.uow.fetchall(
            "SELECT id, secret, previous_secret FROM webhook_endpoints"
            " WHERE NOT starts_with(secret, 'enc:') OR NOT starts_with(previous_secret, 'enc:') FOR UPDATE"
        )
        sealed = 0
        for endpoint_id, secret, previous in rows:
            new_secret = secret if is_sealed(secret) else self.vault.seal(secret)
            new_previous = previous if previous is None or is_sealed(previous) else self.vault.seal(previous)
            self.uow.execute(
                "UPDATE webhook_endpoints SET secret = %s, previous_secret = %s WHERE id = %s",
                (new_secret, new_previous, endpoint_id),
            )
            sealed += (new_secret != secret) + (new_previous != previous)
        return sealed

    def delete_endpoint(self, endpoint_id: int) -> None:
        if self.uow.execute("DELETE FROM webhook_endpoints WHERE id = %s", (endpoint_id,)).rowcount == 0:
            raise NotFound(f"no webhook endpoint {endpoint_id}")

    # -- deliveries ----------------------------------------------------------------------------------
    def record(self, endpoint_id: int, message: Message, now: datetime) -> bool:
        """One delivery of `message` to the endpoint; False when it was recorded before (a repeat)."""
        cursor = self.uow.execute(
            "INSERT INTO webhook_deliveries (endpoint_id, message_id, event_type, challenge_id, body,"
            " next_attempt_at, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (endpoint_id, message_id) DO NOTHING",
            (
                endpoint_id,
                message.message_id,
                message.event_type,
                message.challenge_id,
                message.body.decode(),
                now,
                now,
            ),
        )
        return cursor.rowcount == 1

    def claim_due(self, now: datetime, limit: int, lease: timedelta) -> list[Delivery]:
        """Pending deliveries whose attempt is due and that no other sender holds, leased to this one (a
        disabled endpoint's wait until it is enabled again)."""
        rows = self.uow.fetchall(
            f"WITH due AS (SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= %s"
            f" AND (lease_until IS NULL OR lease_until <= %s)"
            f" AND endpoint_id IN (SELECT id FROM webhook_endpoints WHERE enabled)"
            f" ORDER BY next_attempt_at, id LIMIT %s FOR UPDATE SKIP LOCKED)"
            f" UPDATE webhook_deliveries d SET lease_until = %s FROM due WHERE d.id = due.id RETURNING {_DELIVERY}",
            (now, now, limit, now + lease),
        )
        return sorted((_delivery(r) for r in rows), key=lambda d: (d.next_attempt_at, d.id))

    def delivered(self, delivery_id: int, status: int, now: datetime) -> None:
        self.uow.execute(
            "UPDATE webhook_deliveries SET status = 'delivered', attempts = attempts + 1, last_status = %s,"
            " last_error = NULL, delivered_at = %s, lease_until = NULL WHERE id = %s AND status = 'pending'",
            (status, now, delivery_id),
        )

    def attempt_failed(
        self, delivery_id: int, status: int | None, error: str, next_attempt_at: datetime | None
    ) -> None:
        """A failed attempt: due again at `next_attempt_at`, or on the dead-letter list (None)."""
        self.uow.execute(
            "UPDATE webhook_deliveries SET attempts = attempts + 1, last_status = %s, last_error = %s,"
            " lease_until = NULL, status = CASE WHEN %s::timestamptz IS NULL THEN 'failed' ELSE 'pending' END,"
            " next_attempt_at = coalesce(%s, next_attempt_at) WHERE id = %s AND status = 'pending'",
            (status, error[:500], next_attempt_at, next_attempt_at, delivery_id),
        )

    def replay(self, delivery_id: int, now: datetime) -> Delivery:
        """A delivery on the dead-letter list (or delivered) sent again, with the same webhook-id."""
        row = self.uow.fetchone(
            "UPDATE webhook_deliveries d SET status = 'pending', attempts = 0, replays = replays + 1,"
            " next_attempt_at = %s, lease_until = NULL, delivered_at = NULL"
            f" WHERE id = %s AND status <> 'pending' RETURNING {_DELIVERY}",
            (now, delivery_id),
        )
        if row is None:
            self.delivery(delivery_id)  # NotFound when there is none
            raise ValueError(f"delivery {delivery_id} is pending already: it is being tried")
        return _delivery(row)

    def delivery(self, delivery_id: int) -> Delivery:
        row = self.uow.fetchone(f"SELECT {_DELIVERY} FROM webhook_deliveries d WHERE id = %s", (delivery_id,))
        if row is None:
            raise NotFound(f"no webhook delivery {delivery_id}")
        return _delivery(row)

    def deliveries(
        self, endpoint_id: int | None = None, status: str | None = None, before: int | None = None, limit: int = 50
    ) -> list[Delivery]:
        rows = self.uow.fetchall(
            f"SELECT {_DELIVERY} FROM webhook_deliveries d WHERE (%s::bigint IS NULL OR endpoint_id = %s)"
            " AND (%s::text IS NULL OR status = %s) AND (%s::bigint IS NULL OR id < %s) ORDER BY id DESC LIMIT %s",
            (endpoint_id, endpoint_id, status, status, before, before, limit),
        )
        return [_delivery(r) for r in rows]

    def counts(self, endpoint_ids: Sequence[int] | None = None) -> dict[str, int]:
        """Deliveries by status (every status named, zero included)."""
        rows = self.uow.fetchall(
            "SELECT status, count(*) FROM webhook_deliveries WHERE %s::bigint[] IS NULL OR endpoint_id = ANY(%s)"
            " GROUP BY status",
            (None if endpoint_ids is None else list(endpoint_ids),) * 2,
        )
        found = dict(rows)
        return {s: int(found.get(s, 0)) for s in STATUSES}
