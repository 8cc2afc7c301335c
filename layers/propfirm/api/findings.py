"""What a risk officer's confirmation of a finding (abuse, a blind interval's) may do: fail the account's
active challenge through the audited override, naming the finding in the operator's reason."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from propfirm.operations.overrides import override


def fail_active_challenge(rt: Any, server: str, login: int, reason: str, operator: str, now: datetime) -> int | None:
    """The challenge failed, or None when the account has none active (already failed, passed, unknown)."""
    with rt.uow() as uow:
        challenge = uow.challenges.by_account(server, login)
    if challenge is None or challenge.status != "active":
        return None
    with rt.uow() as uow:
        result = override(uow, rt.redis, rt.keys, challenge_id=challenge.id, action="fail", reason=reason,
                          operator=operator, now=now)
    return int(result.challenge_id)
