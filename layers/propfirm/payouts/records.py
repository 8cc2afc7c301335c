"""A payout's vocabulary and record: its states, the refusal codes, `PayoutRecord` as stored and shown, the
adapters' protocols, and the helpers every use case shares (load, audit, publish, answer a task token)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from propfirm.domain.payouts import (
    FINAL_STATUSES,
    OPEN_STATUSES,
    Condition,
    Denial,
    PayoutQuote,
    PayoutStatus,
)
from propfirm.payouts.errors import PayoutNotFound, TokenGone
from propfirm.store.audit import AuditEntry
from propfirm.store.payouts import PayoutRepository

if TYPE_CHECKING:
    from propfirm.store.uow import UnitOfWork

log = logging.getLogger("propfirm.payouts")


# -- states --------------------------------------------------------------------------------------------
# the names the workflow's modules use for the domain's vocabulary (propfirm.domain.payouts.PayoutStatus)
REQUESTED = PayoutStatus.REQUESTED
AWAITING_APPROVAL = PayoutStatus.AWAITING_APPROVAL
APPROVED = PayoutStatus.APPROVED
WITHDRAWING = PayoutStatus.WITHDRAWING
MANUAL_REVIEW = PayoutStatus.MANUAL_REVIEW
PAID = PayoutStatus.PAID
REJECTED = PayoutStatus.REJECTED
FAILED = PayoutStatus.FAILED
OPEN_STATES = OPEN_STATUSES
FINAL_STATES = FINAL_STATUSES

# -- refusal codes (PayoutRefused.code) ---------------------------------------------------------------
NOT_ELIGIBLE = "not_eligible"  # see .denials for the reasons
PAYOUT_OPEN = "payout_open"  # another payout of this challenge is not finished
ALREADY_DECIDED = "already_decided"  # approve after reject, or reject after approve
NOT_AWAITING_DECISION = "not_awaiting_decision"  # the payout is past the decision (withdrawing, paid, ...)
NOTE_REQUIRED = "note_required"  # a flagged payout is approved only with a note saying why
NOT_IN_REVIEW = "not_in_review"  # resolve_review on a payout that is not in manual review
# four eyes (propfirm.payouts.approvals): the requester, or the challenge's own trader, approving or settling


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
    conditions: tuple[Condition, ...] = ()  # every condition, met or not, with when an unmet one will be met

    def to_dict(self) -> dict[str, Any]:
        return {
            "challenge_id": self.challenge_id,
            "eligible": self.eligible,
            "denials": [d.to_dict() for d in self.denials],
            "conditions": [c.to_dict() for c in self.conditions],
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
    escalated_at: datetime | None = None  # the approval waited past its timeout
    review_at: datetime | None = None  # entered manual review
    review_from: str | None = None  # the state it was in then
    flags: tuple[dict[str, Any], ...] = ()  # review flags ({"code": "balance_mismatch", ...})
    approvals: tuple[dict[str, Any], ...] = ()  # four eyes: who approved so far ({"sub", "email", "note", "at"})
    details: dict[str, Any] = field(default_factory=dict)  # the quote's breakdown (positions, tiers, ...)

    @property
    def open(self) -> bool:
        return self.status in OPEN_STATES

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: money as strings, times ISO 8601 UTC; task tokens are never shown."""
        data: dict[str, Any] = {}
        for name in _PUBLIC_FIELDS:
            value = getattr(self, name)
            if isinstance(value, Decimal):
                value = str(value)
            elif isinstance(value, datetime):
                value = value.isoformat()
            elif isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, dict):
                value = dict(value)
            data[name] = value
        return data


_PUBLIC_FIELDS = tuple(PayoutRecord.__dataclass_fields__)


class PayoutWorkflow(Protocol):
    """The Step Functions side (propfirm.payouts.workflow.StepFunctionsWorkflow in AWS and moto)."""

    @property
    def can_start(self) -> bool:
        """False when no state machine is known: requests then wait for the sweep (`start_pending`)."""
        ...

    def start(self, payout_id: int, execution_input: dict[str, Any]) -> str:
        """Start (idempotently: the execution is named after the payout) and return its ARN."""
        ...

    def send_task_success(self, token: str, output: dict[str, Any]) -> None: ...

    def send_task_failure(self, token: str, error: str, cause: str) -> None: ...


class EventPublisher(Protocol):
    def publish(self, detail_type: str, detail: dict[str, Any]) -> None: ...


# -- helpers ---------------------------------------------------------------------------------------------
_COMMAND_PREFIX = "payout:"
_COMMAND_SUFFIX = ":withdraw"


def withdrawal_command_id(payout_id: int) -> str:
    """The withdrawal's deterministic command id: the poller's exactly-once ledger absorbs a resend."""
    return f"{_COMMAND_PREFIX}{payout_id}{_COMMAND_SUFFIX}"


def payout_of_command(command_id: str) -> int | None:
    """The payout id of a withdrawal command id, or None for any other command."""
    if not (command_id.startswith(_COMMAND_PREFIX) and command_id.endswith(_COMMAND_SUFFIX)):
        return None
    middle = command_id[len(_COMMAND_PREFIX) : -len(_COMMAND_SUFFIX)]
    return int(middle) if middle.isdigit() else None


def record_of(row: dict[str, Any], deals: tuple[int, ...]) -> PayoutRecord:
    return PayoutRecord(
        id=row["id"],
        challenge_id=row["challenge_id"],
        trader_id=row["trader_id"],
        server=row["server"],
        login=row["login"],
        status=row["status"],
        currency=row["currency"],
        payout_number=row["payout_number"],
        profit=row["profit"],
        amount=row["amount"],
        split_pct=row["split_pct"],
        trader_share=row["trader_share"],
        fee_refund=row["fee_refund"],
        period_start=row["period_start"],
        period_end=row["period_end"],
        deals=deals,
        requested_by=row["requested_by"],
        requested_at=row["requested_at"],
        awaiting_approval_at=row["awaiting_approval_at"],
        decided_by=row["decided_by"],
        decision_note=row["decision_note"],
        approved_at=row["approved_at"],
        rejected_at=row["rejected_at"],
        withdrawing_at=row["withdrawing_at"],
        paid_at=row["paid_at"],
        failed_at=row["failed_at"],
        reason=row["reason"],
        execution_arn=row["execution_arn"],
        withdrawal_command_id=row["withdrawal_command_id"],
        withdrawal_deal=row["withdrawal_deal"],
        escalated_at=row["escalated_at"],
        review_at=row["review_at"],
        review_from=row["review_from"],
        flags=tuple(row["flags"] or ()),
        approvals=tuple(row["approvals"] or ()),
        details=row["details"] or {},
    )


def load_record(
    payouts: PayoutRepository, payout_id: int, *, lock: bool = False
) -> tuple[dict, PayoutRecord]:
    row = payouts.get(payout_id, lock=lock)
    if row is None:
        raise PayoutNotFound(f"no payout {payout_id}")
    return row, record_of(row, payouts.deals_of([payout_id])[payout_id])


def audit(uow: UnitOfWork, kind: str, record: PayoutRecord, now: datetime, **payload: Any) -> None:
    """One audit row per state change (`payout.<state>`), with the payout's id and amounts."""
    body = {
        "payout_id": record.id,
        "status": record.status,
        "amount": record.amount,
        "trader_share": record.trader_share,
        **payload,
    }
    uow.audit.append([AuditEntry(kind, body, record.challenge_id, record.server, record.login, now)])


def event_detail(record: PayoutRecord) -> dict[str, Any]:
    """What PayoutRequested/Approved/Rejected/Paid carry (no task token, no breakdown of positions)."""
    data = record.to_dict()
    data.pop("details", None)
    return data


def publish(events: EventPublisher | None, detail_type: str, record: PayoutRecord) -> None:
    """Publish after the commit; a bus that refuses is logged, the payout's state stands."""
    if events is None:
        return
    try:
        events.publish(detail_type, event_detail(record))
    except Exception:  # the event is a notification; the record in PostgreSQL is the truth
        log.exception("payout event not published", extra={"payout_id": record.id, "type": detail_type})


def answer(
    workflow: PayoutWorkflow | None, token: str, output: dict[str, Any] | None, error: tuple[str, str] | None
) -> bool:
    """Answer a task token; False when nothing waits on it any more (answered before, timed out)."""
    if workflow is None:
        log.warning("no payout workflow configured; task token left unanswered")
        return False
    try:
        if error is None:
            workflow.send_task_success(token, output or {})
        else:
            workflow.send_task_failure(token, error[0], error[1])
    except TokenGone:
        log.warning("payout task token no longer waited on")
        return True
    return True
