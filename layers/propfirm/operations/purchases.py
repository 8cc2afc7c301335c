"""A sale recorded, in ONE transaction: the trader (bound to the login's immutable `sub` the identity provider
gave, or, with no identity provider, to the sub recorded for the email or a new one), the challenge (the
program's latest version, phase 0, `provisioning`), the outbox row with the `CreateAccount` command, and the
audit rows (the purchase; a login refused or bound, when that happened).

Idempotent per `order_id`: the challenge's unique order id decides. A duplicate delivery (even a
concurrent one) finds the first one's row and gets the same answer; the loser of a race rolls back
everything it wrote (the INSERT ... ON CONFLICT waits for the winner's commit, then returns nothing).
The shop's webhook (its signature, its body) is the API's: `propfirm.api.purchases`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from propfirm.domain.state import PROVISIONING
from propfirm.evaluation.commands import command_id
from propfirm.operations import credentials
from propfirm.operations.errors import InvalidRequest
from propfirm.operations.logins import Identity
from propfirm.queues.messages import CreateAccount
from propfirm.sealing import Cipher
from propfirm.store.audit import AuditEntry
from propfirm.store.errors import NotFound as StoreNotFound
from propfirm.store.outbox import OutboxCommand
from propfirm.store.uow import UnitOfWork

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{1,63}$")


class UnknownProgram(InvalidRequest):
    """The order names a program the firm does not sell."""


class PurchaseOrder(BaseModel):
    """The shop's purchase (more fields are allowed and ignored)."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)
    order_id: str = Field(min_length=1, max_length=200)
    email: str = Field(min_length=3, max_length=320)
    name: str = Field(min_length=1, max_length=200)
    program: str = Field(min_length=1, max_length=64)

    @field_validator("order_id", "email", "name", "program")
    @classmethod
    def _printable(cls, value: str) -> str:
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
            raise ValueError("control characters are not allowed")
        return value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if not _EMAIL.match(value):
            raise ValueError("not an email address")
        return value


@dataclass(frozen=True)
class PurchaseResult:
    challenge_id: int
    created: bool


def split_name(name: str) -> tuple[str, str]:
    parts = name.split()
    if len(parts) == 1:
        return parts[0], parts[0]
    return " ".join(parts[:-1]), parts[-1]


def client_ref(challenge_id: int) -> str:
    return f"challenge-{challenge_id}"


def create_account_command_id(challenge_id: int) -> str:
    """The evaluator's id scheme `{challenge_id}:{transition_no}:{kind}`, transition 0: the sale."""
    return command_id(challenge_id, 0, "create_account")


def _existing(uow: UnitOfWork, order_id: str) -> int | None:
    row = uow.fetchone("SELECT id FROM challenges WHERE order_id = %s", (order_id,))
    return None if row is None else int(row[0])


def record_purchase(
    uow: UnitOfWork,
    order: PurchaseOrder,
    server: str,
    now: datetime,
    cipher: Cipher | None = None,
    identity: Identity | None = None,
) -> PurchaseResult:
    """Commits (or rolls back) the unit of work itself. With a cipher, the account's MT5 passwords are
    generated here and sealed: kept for the trader to see once, and carried sealed by the command. `identity`: the
    login the identity provider found or made for the order's email (None: no identity provider here)."""
    found = _existing(uow, order.order_id)
    if found is not None:
        return PurchaseResult(found, False)
    try:
        version = uow.programs.latest_version(order.program)
        program = uow.programs.get(order.program, version)
    except StoreNotFound:
        raise UnknownProgram(f"unknown program {order.program!r}") from None
    if identity is None:
        trader = uow.traders.get_or_create(order.email, order.name)
    else:
        trader = uow.traders.get_or_create(order.email, order.name, identity.sub, identity.origin)
    trader_id = trader.id
    row = uow.fetchone(
        "INSERT INTO challenges (trader_id, program_id, program_version, server, login, status, phase,"
        " state, order_id) VALUES (%s, %s, %s, %s, NULL, %s, 0, NULL, %s)"
        " ON CONFLICT (order_id) DO NOTHING RETURNING id",
        (trader_id, program.id, version, server, PROVISIONING, order.order_id),
    )
    if row is None:  # a concurrent delivery of the same order committed first
        uow.rollback()
        found = _existing(uow, order.order_id)
        assert found is not None
        return PurchaseResult(found, False)
    challenge_id = int(row[0])
    if identity is not None and (identity.refused or trader.rebound):
        uow.audit.append(
            [
                AuditEntry(
                    kind="trader.login_refused" if identity.refused else "trader.login_bound",
                    challenge_id=challenge_id,
                    server=server,
                    payload={
                        "trader_id": trader.id,
                        "email": order.email,
                        "reason": identity.refused,
                        "sub": None if identity.refused else identity.sub,
                    },
                    created_at=now,
                )
            ]
        )
    first, last = split_name(order.name)
    # sealed once: the reveal's copy and the command's are the same ciphertext (no plain password is written)
    sealed = credentials.store(uow, cipher, challenge_id, credentials.new_passwords()) if cipher else None
    command = CreateAccount(
        command_id=create_account_command_id(challenge_id),
        server=server,
        issued_at=now,
        group=program.phases[0].group,
        leverage=program.leverage or 100,
        initial_balance=program.account_size,
        first_name=first,
        last_name=last,
        email=order.email,
        client_ref=client_ref(challenge_id),
        sealed_passwords=sealed,
    )
    uow.outbox.add(
        [
            OutboxCommand(
                command_id=command.command_id,
                challenge_id=challenge_id,
                server=server,
                login=None,
                kind="create_account",
                command=command.model_dump(mode="json", exclude={"password_main", "password_investor"}),
            )
        ]
    )
    uow.audit.append(
        [
            AuditEntry(
                kind="challenge.purchased",
                challenge_id=challenge_id,
                server=server,
                payload={
                    "order_id": order.order_id,
                    "email": order.email,
                    "program": {"id": program.id, "version": version},
                    "command_id": command.command_id,
                },
                created_at=now,
            )
        ]
    )
    uow.commit()
    return PurchaseResult(challenge_id, True)
