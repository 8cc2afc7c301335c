"""The payouts service: what the API (and the evaluator's command-result hook) calls.

Every function takes a `UnitOfWork` that is NOT inside `with`: the service opens and commits its own
transactions (an external call, such as starting a Step Functions execution or answering a task token,
is never made while a transaction holds locks). `now` is the caller's clock (timezone-aware UTC).

States of a payout (each with its own timestamp column, each change an audit row):

    requested ─▶ awaiting_approval ─▶ approved ─▶ withdrawing ─▶ paid
                        └──────────▶ rejected                 └─▶ failed   (any open state ─▶ failed)

Idempotence: approving an approved payout returns it unchanged (one approval); rejecting a rejected one
likewise; a decision on a payout decided the other way is refused (`already_decided`). A request while
another payout of the challenge is open is refused (`payout_open`); an ineligible one is refused with
every denial (code, value, limit).

Injected adapters (keyword arguments; when omitted, the process-wide defaults of
`propfirm.payouts.runtime`, built from the environment, are used):
- `workflow`: starts the state machine and answers task tokens (`PayoutWorkflow` protocol below). None
  configured: a request stays `requested` until `start_pending` starts it (the local stack does).
- `events`: publishes `PayoutRequested|Approved|Rejected|Paid` to EventBridge; None: not published.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from propfirm.domain.payouts import Denial, PayoutQuote

if TYPE_CHECKING:
    from propfirm.queues.messages import CommandResult
    from propfirm.store.uow import UnitOfWork

# -- states --------------------------------------------------------------------------------------------
REQUESTED = "requested"
AWAITING_APPROVAL = "awaiting_approval"
APPROVED = "approved"
WITHDRAWING = "withdrawing"
PAID = "paid"
REJECTED = "rejected"
FAILED = "failed"
OPEN_STATES = (REQUESTED, AWAITING_APPROVAL, APPROVED, WITHDRAWING)
FINAL_STATES = (PAID, REJECTED, FAILED)

# -- refusal codes (PayoutRefused.code) ---------------------------------------------------------------
NOT_ELIGIBLE = "not_eligible"  # see .denials for the reasons
PAYOUT_OPEN = "payout_open"  # another payout of this challenge is not finished
ALREADY_DECIDED = "already_decided"  # approve after reject, or reject after approve
NOT_AWAITING_DECISION = "not_awaiting_decision"  # the payout is past the decision (withdrawing, paid, ...)


# -- errors --------------------------------------------------------------------------------------------
class PayoutError(Exception):
    """Base of the service's errors (the API maps them to problem+json)."""


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


# -- results -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Eligibility:
    """The self-check a trader sees before asking: every denial with its code, value and limit, and what
    a payout requested now would be (amounts and the deals it would cover)."""

    challenge_id: int
    eligible: bool
    denials: tuple[Denial, ...]
    quote: PayoutQuote | None  # None when the challenge is not in its funded stage
    checked_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "challenge_id": self.challenge_id,
            "eligible": self.eligible,
            "denials": [d.to_dict() for d in self.denials],
            "quote": None if self.quote is None else self.quote.to_dict(),
            "checked_at": self.checked_at.isoformat(),
        }


@dataclass(frozen=True)
class PayoutRecord:
    """One payout as stored. Money is Decimal (strings in `to_dict`), times UTC (None: stage not reached)."""

    id: int
    challenge_id: int
    trader_id: int
    server: str
    login: int | None
    status: str
    currency: str
    payout_number: int  # 1 for the challenge's first payout
    profit: Decimal  # realised profit of the positions covered (profit + swap + commission)
    amount: Decimal  # withdrawn from the MT5 account (the whole profit: the firm's share is deducted too)
    split_pct: Decimal
    trader_share: Decimal  # paid to the trader: split share + fee refund, rounded down to the currency
    fee_refund: Decimal
    period_start: datetime
    period_end: datetime
    deals: tuple[int, ...]  # the deal tickets this payout covers
    requested_by: str
    requested_at: datetime
    awaiting_approval_at: datetime | None = None
    decided_by: str | None = None
    decision_note: str | None = None
    approved_at: datetime | None = None
    rejected_at: datetime | None = None
    withdrawing_at: datetime | None = None
    paid_at: datetime | None = None
    failed_at: datetime | None = None
    reason: str | None = None  # rejection reason or failure code
    execution_arn: str | None = None
    withdrawal_command_id: str | None = None
    withdrawal_deal: int | None = None  # the MT5 deal ticket of the withdrawal
    details: dict[str, Any] = field(default_factory=dict)  # the quote's breakdown (positions, tiers, ...)

    @property
    def open(self) -> bool:
        return self.status in OPEN_STATES

    def to_dict(self) -> dict[str, Any]:
        raise NotImplementedError


class PayoutWorkflow(Protocol):
    """The Step Functions side (propfirm.payouts.workflow.StepFunctionsWorkflow in AWS and moto)."""

    def start(self, payout_id: int, execution_input: dict[str, Any]) -> str:
        """Start (idempotently: the execution is named after the payout) and return its ARN."""
        ...

    def send_task_success(self, token: str, output: dict[str, Any]) -> None: ...

    def send_task_failure(self, token: str, error: str, cause: str) -> None: ...


class EventPublisher(Protocol):
    def publish(self, detail_type: str, detail: dict[str, Any]) -> None: ...


# -- the API's functions ----------------------------------------------------------------------------
def check_eligibility(uow: UnitOfWork, challenge_id: int, now: datetime) -> Eligibility:
    """Eligibility and the would-be payout, read only. Raises ChallengeNotFound."""
    raise NotImplementedError


def request_payout(
    uow: UnitOfWork,
    challenge_id: int,
    requested_by: str,
    now: datetime,
    *,
    workflow: PayoutWorkflow | None = None,
    events: EventPublisher | None = None,
) -> PayoutRecord:
    """Create the payout (`requested`, with its deals and amounts, audited), then start its workflow.
    Raises ChallengeNotFound, PayoutRefused(`not_eligible` with denials | `payout_open`)."""
    raise NotImplementedError


def approve(
    uow: UnitOfWork,
    payout_id: int,
    approver: str,
    note: str | None,
    now: datetime,
    workflow: PayoutWorkflow | None = None,
    *,
    events: EventPublisher | None = None,
) -> PayoutRecord:
    """Approve (idempotent). Answers the AwaitApproval task token if the workflow has reached it; if not,
    the worker answers at once when it gets there. Raises PayoutNotFound, PayoutRefused(`already_decided`
    | `not_awaiting_decision`)."""
    raise NotImplementedError


def reject(
    uow: UnitOfWork,
    payout_id: int,
    approver: str,
    reason: str,
    now: datetime,
    workflow: PayoutWorkflow | None = None,
    *,
    events: EventPublisher | None = None,
) -> PayoutRecord:
    """Reject (idempotent) with a reason. Raises PayoutNotFound, PayoutRefused(`already_decided` |
    `not_awaiting_decision`)."""
    raise NotImplementedError


def get_payout(uow: UnitOfWork, payout_id: int) -> PayoutRecord:
    """Raises PayoutNotFound."""
    raise NotImplementedError


def list_payouts(
    uow: UnitOfWork,
    *,
    challenge_id: int | None = None,
    status: str | None = None,
    trader_id: int | None = None,
    limit: int = 100,
) -> list[PayoutRecord]:
    """Newest first, filtered by any of challenge, status (one of the states) and trader."""
    raise NotImplementedError


# -- the evaluator's hook and the local stack ---------------------------------------------------------
def on_withdrawal_result(
    uow: UnitOfWork,
    result: CommandResult,
    now: datetime,
    workflow: PayoutWorkflow | None = None,
    *,
    events: EventPublisher | None = None,
) -> PayoutRecord | None:
    """The poller's result of a payout withdrawal (`payout:{id}:withdraw`): answers the AwaitWithdrawal
    token (success with the deal ticket, or failure). None when the command is not a payout's."""
    raise NotImplementedError


def start_pending(uow: UnitOfWork, now: datetime, workflow: PayoutWorkflow | None = None) -> int:
    """Start the workflow of `requested` payouts that have no execution yet (no workflow was configured
    when they were requested, or starting failed); returns how many were started."""
    raise NotImplementedError
