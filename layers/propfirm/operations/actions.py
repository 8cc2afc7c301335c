"""An operator's account actions: close all positions, disable or enable trading, move the MT5 group.

Each is an audited command: one transaction writes the command to the outbox (the relay sends it to
the command queue, the poller carries it out on MT5 exactly once) and an audit row naming the
operator, the reason and the command id. The challenge row is locked meanwhile, so an action and an
evaluator decision on the same account are ordered. Resetting an account is a phase restart and lives
with the overrides (`overrides.override(action="reset")`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from propfirm.operations.errors import ChallengeNotFound, OperationConflict
from propfirm.queues.messages import CloseAll, MoveGroup, SetTrading
from propfirm.store.audit import AuditEntry
from propfirm.store.outbox import OutboxCommand
from propfirm.store.uow import UnitOfWork

ACTIONS = ("close_all", "disable", "enable", "move_group")


@dataclass(frozen=True)
class ActionResult:
    challenge_id: int
    action: str
    commands: list[str]
    audit_id: int


def account_action(
    uow: UnitOfWork,
    *,
    challenge_id: int,
    action: str,
    reason: str,
    operator: str,
    now: datetime,
    group: str | None = None,
) -> ActionResult:
    """Commits. Raises ChallengeNotFound, OperationConflict(`account_pending`: no MT5 account yet)."""
    row = uow.fetchone("SELECT server, login FROM challenges WHERE id = %s FOR UPDATE", (challenge_id,))
    if row is None:
        raise ChallengeNotFound(f"no challenge {challenge_id}")
    server, login = row[0], row[1]
    if login is None:
        raise OperationConflict(f"challenge {challenge_id} has no MT5 account yet", code="account_pending")
    # an operator's command has an id of its own (never one the evaluator's transitions could make)
    command_id = f"{challenge_id}:op-{uuid.uuid4().hex[:12]}:{action}"
    common: dict[str, Any] = {"command_id": command_id, "server": server, "login": login, "issued_at": now}
    command: CloseAll | SetTrading | MoveGroup
    if action == "close_all":
        kind, command = "close_all", CloseAll(**common)
    elif action in ("disable", "enable"):
        kind, command = "set_trading", SetTrading(enabled=action == "enable", **common)
    elif action == "move_group":
        assert group is not None
        kind, command = "move_group", MoveGroup(group=group, **common)
    else:  # pragma: no cover - the routes name the action
        raise ValueError(action)
    uow.outbox.add(
        [
            OutboxCommand(
                command_id=command_id,
                challenge_id=challenge_id,
                server=server,
                login=login,
                kind=kind,
                command=command.model_dump(mode="json"),
            )
        ]
    )
    payload = {"action": action, "operator": operator, "reason": reason, "command_id": command_id}
    if group is not None:
        payload["group"] = group
    audit_ids = uow.audit.append(
        [
            AuditEntry(
                kind=f"account.{action}",
                challenge_id=challenge_id,
                server=server,
                login=login,
                payload=payload,
                created_at=now,
            )
        ]
    )
    uow.commit()
    return ActionResult(challenge_id, action, [command_id], audit_ids[0])
