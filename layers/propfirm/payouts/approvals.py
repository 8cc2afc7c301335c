"""Four eyes on money: who may approve a payout, or settle one in manual review, and how many must.

- Nobody approves or settles a payout they requested, or one of a challenge that is theirs: the same
  login (`sub`), or a login with the same email as the challenge's trader (staff who also trade hold two
  logins, one a trader's, the other staff's, under one address). Refused with `four_eyes` (the API's 403).
- Above an amount (the funded phase's `payout_second_approval_above`, else the setting
  `PAYOUTS_SECOND_APPROVAL_ABOVE`), two different people approve: the first approval is recorded and the
  payout keeps waiting; the second, by another login and another email, approves it.

Pure: the service loads who is who and asks `check`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

FOUR_EYES = "four_eyes"


@dataclass(frozen=True)
class Actor:
    """A person acting on a payout: their login's immutable subject, and their email when known."""

    sub: str
    email: str | None = None

    @classmethod
    def of(cls, who: Actor | str) -> Actor:
        """A bare string names a login (`sub`): the scripted approver of a local run, a test."""
        return who if isinstance(who, Actor) else cls(str(who))

    def same_person(self, sub: str | None, email: str | None) -> bool:
        if sub is not None and sub == self.sub:
            return True
        return bool(email and self.email and email.strip().lower() == self.email.strip().lower())

    def display(self) -> str:
        return self.email or self.sub


@dataclass(frozen=True)
class Owner:
    """Whose payout it is: who requested it and whose challenge it is."""

    requested_by: str
    trader_sub: str
    trader_email: str


def conflict(actor: Actor, owner: Owner) -> str | None:
    """Why `actor` may not approve or settle this payout, or None."""
    if actor.same_person(owner.requested_by, None):
        return "the person who requested a payout may not approve or settle it"
    if actor.same_person(owner.trader_sub, owner.trader_email):
        return "a payout of one's own challenge may not be approved or settled by oneself"
    return None


def approvals_needed(amount: Decimal, threshold: Decimal | None) -> int:
    return 2 if threshold is not None and amount > threshold else 1


def approval_entry(actor: Actor, note: str | None, now: datetime) -> dict[str, Any]:
    return {"sub": actor.sub, "email": actor.email, "note": note, "at": now.isoformat()}


def already_approved_by(actor: Actor, approvals: list[dict[str, Any]]) -> bool:
    return any(actor.same_person(a.get("sub"), a.get("email")) for a in approvals)
