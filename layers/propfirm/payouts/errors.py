"""The payouts service's errors (re-exported by `propfirm.payouts.service`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from propfirm.domain.payouts import Denial


# -- errors --------------------------------------------------------------------------------------------
class PayoutError(Exception):
    """Base of the service's errors (the API maps them to problem+json)."""


class TokenGone(PayoutError):
    """The task token was answered before, timed out, or its execution ended: nothing waits on it."""


class ChallengeNotFound(PayoutError):
    """No challenge with that id (API: 404)."""


class PayoutNotFound(PayoutError):
    """No payout with that id (API: 404)."""


class PayoutRefused(PayoutError):
    """The request or decision is refused; `code` says why, `denials` the eligibility reasons (API: 409,
    or 422 for `not_eligible`)."""

    def __init__(self, code: str, message: str, denials: tuple[Denial, ...] = ()) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.denials = denials

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "denials": [d.to_dict() for d in self.denials]}
