"""Binding the MT5 account to a purchased challenge when the poller's `create_account` result arrives.

The purchase webhook creates the challenge (`provisioning`) and a `create_account` command; when
the poller's result comes back, the evaluator's `FeedbackRecorder.record_command_result` calls
`bind_created_account` in the same unit of work that records the result.

It is idempotent: a repeated result (or one for a challenge bound already) changes nothing. The
challenge becomes `active` with its state still null; the evaluator starts that state with the first
evaluation message naming the account (its documented behaviour for purchases).
"""

from __future__ import annotations

from datetime import UTC, datetime

from propfirm.queues.messages import CommandResult
from propfirm.store.audit import AuditEntry
from propfirm.store.uow import UnitOfWork

CREATE_ACCOUNT_SUFFIX = ":0:create_account"


def challenge_of_command(command_id: str) -> int | None:
    """The challenge a purchase's create_account command belongs to (`{challenge_id}:0:create_account`)."""
    if not command_id.endswith(CREATE_ACCOUNT_SUFFIX):
        return None
    head = command_id[: -len(CREATE_ACCOUNT_SUFFIX)]
    return int(head) if head.isdigit() else None


def bind_created_account(uow: UnitOfWork, result: CommandResult, now: datetime | None = None) -> bool:
    """Set the challenge's login from a successful create_account result; True when bound now. No commit."""
    if result.type != "create_account" or not result.ok or result.login is None:
        return False
    challenge_id = challenge_of_command(result.command_id)
    if challenge_id is None:
        return False
    row = uow.fetchone(
        "UPDATE challenges SET login = %s, server = %s, status = 'active', version = version + 1,"
        " updated_at = now() WHERE id = %s AND login IS NULL AND status = 'provisioning' RETURNING id",
        (result.login, result.server, challenge_id),
    )
    if row is None:
        return False
    # the funding deal is recognised by (server, login) of the create_account row
    uow.execute(
        "UPDATE outbox SET login = %s WHERE command_id = %s AND login IS NULL",
        (result.login, result.command_id),
    )
    uow.audit.append(
        [
            AuditEntry(
                kind="challenge.account_bound",
                challenge_id=challenge_id,
                server=result.server,
                login=result.login,
                payload={"command_id": result.command_id, "group": result.details.get("group")},
                created_at=now or datetime.now(UTC),
            )
        ]
    )
    return True
