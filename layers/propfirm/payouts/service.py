"""The payouts service: what the API (and the evaluator's command-result hook) calls.

Every function takes a `UnitOfWork` that is NOT inside `with`: the service opens and commits its own
transactions (an external call, such as starting a Step Functions execution or answering a task token,
is never made while a transaction holds locks). `now` is the caller's clock (timezone-aware UTC).

States of a payout (each with its own timestamp column, each change an audit row):

    requested ─▶ awaiting_approval ─▶ approved ─▶ withdrawing ─▶ paid
                        └──────────▶ rejected                 └─▶ failed   (any open state ─▶ failed)
    any open state ─▶ manual_review ─▶ paid | failed   (a person settles it: `resolve_review`)

An approval that waits past its timeout is escalated (`escalated_at`, PayoutEscalated) and waits on.
A payout whose deals do not explain the account's balance is flagged (`flags`); approving a flagged
payout needs a note saying why it may be paid.

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

import logging
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from psycopg.types.json import Jsonb

from propfirm.domain.payouts import (
    NOT_FUNDED,
    Condition,
    Denial,
    PayoutAssessment,
    PayoutQuote,
    TradeDeal,
    assess,
)
from propfirm.domain.programs import Program
from propfirm.domain.state import ACTIVE
from propfirm.payouts import runtime
from propfirm.payouts.approvals import (
    FOUR_EYES,
    Actor,
    Owner,
    already_approved_by,
    approval_entry,
    approvals_needed,
    conflict,
)
from propfirm.payouts.errors import (  # noqa: F401  (re-exported: the API catches them from here)
    ChallengeNotFound,
    PayoutError,
    PayoutNotFound,
    PayoutRefused,
    TokenGone,
)
from propfirm.store.audit import AuditEntry
from propfirm.store.challenges import ChallengeRecord
from propfirm.store.errors import NotFound
from propfirm.store.payouts import PayoutRepository

if TYPE_CHECKING:
    from propfirm.queues.messages import CommandResult
    from propfirm.store.uow import UnitOfWork

log = logging.getLogger("propfirm.payouts")

# -- states --------------------------------------------------------------------------------------------
REQUESTED = "requested"
AWAITING_APPROVAL = "awaiting_approval"
APPROVED = "approved"
WITHDRAWING = "withdrawing"
MANUAL_REVIEW = "manual_review"
PAID = "paid"
REJECTED = "rejected"
FAILED = "failed"
OPEN_STATES = (REQUESTED, AWAITING_APPROVAL, APPROVED, WITHDRAWING, MANUAL_REVIEW)
FINAL_STATES = (PAID, REJECTED, FAILED)

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


def _workflow(workflow: PayoutWorkflow | None) -> PayoutWorkflow | None:
    return workflow if workflow is not None else runtime.default_workflow()


def _events(events: EventPublisher | None) -> EventPublisher | None:
    return events if events is not None else runtime.default_events()


def _record(row: dict[str, Any], deals: tuple[int, ...]) -> PayoutRecord:
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
    return row, _record(row, payouts.deals_of([payout_id])[payout_id])


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
    publisher = _events(events)
    if publisher is None:
        return
    try:
        publisher.publish(detail_type, event_detail(record))
    except Exception:  # the event is a notification; the record in PostgreSQL is the truth
        log.exception("payout event not published", extra={"payout_id": record.id, "type": detail_type})


def answer(
    workflow: PayoutWorkflow | None, token: str, output: dict[str, Any] | None, error: tuple[str, str] | None
) -> bool:
    """Answer a task token; False when nothing waits on it any more (answered before, timed out)."""
    flow = _workflow(workflow)
    if flow is None:
        log.warning("no payout workflow configured; task token left unanswered")
        return False
    try:
        if error is None:
            flow.send_task_success(token, output or {})
        else:
            flow.send_task_failure(token, error[0], error[1])
    except TokenGone:
        log.warning("payout task token no longer waited on")
        return True
    return True


# -- eligibility -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Context:
    challenge: ChallengeRecord
    program: Program
    assessment: PayoutAssessment


def _assess(uow: UnitOfWork, challenge_id: int, now: datetime) -> _Context:
    try:
        challenge = uow.challenges.get(challenge_id)
    except NotFound:
        raise ChallengeNotFound(f"no challenge {challenge_id}") from None
    program = uow.programs.get(challenge.program_id, challenge.program_version)
    payouts = PayoutRepository(uow)
    funded = program.phases[challenge.phase].funded
    funded_at = phase_started_at(uow, challenge, now)
    previous, last_paid = payouts.history(challenge_id)
    period_start = max(funded_at, last_paid) if last_paid is not None else funded_at
    deals = [
        TradeDeal(
            ticket=int(r[0]),
            position=int(r[1]),
            time=r[2],
            entry=r[3],
            volume=r[4],
            profit=r[5],
            commission=r[6],
            swap=r[7],
        )
        for r in payouts.uncovered_trades(challenge_id, funded_at)
    ]
    assessment = assess(
        program,
        deals=deals,
        previous_payouts=previous,
        period_start=period_start,
        now=now,
        funded=funded,
        active=challenge.status == ACTIVE and challenge.login is not None,
    )
    return _Context(challenge, program, assessment)


def phase_started_at(uow: UnitOfWork, challenge: ChallengeRecord, now: datetime) -> datetime:
    """When the current phase began: the engine's state, else the transition into it, else now."""
    if challenge.state is not None and challenge.state.get("phase_index") == challenge.phase:
        return datetime.fromisoformat(challenge.state["phase_started_at"])
    row = uow.fetchone(
        "SELECT max(decided_at) FROM phase_transitions WHERE challenge_id = %s AND to_phase = %s",
        (challenge.id, challenge.phase),
    )
    return row[0] if row and row[0] is not None else now


def check_eligibility(uow: UnitOfWork, challenge_id: int, now: datetime) -> Eligibility:
    """Eligibility and the would-be payout, read only. Raises ChallengeNotFound.
    A payout already in progress is a denial too (`payout_open`)."""
    with uow:
        context = _assess(uow, challenge_id, now)
        denials = context.assessment.denials
        open_row = PayoutRepository(uow).open_of(challenge_id)
    conditions = context.assessment.conditions
    if open_row is not None:
        blocking = Denial(
            PAYOUT_OPEN, str(open_row["id"]), None, f"payout {open_row['id']} is {open_row['status']}"
        )
        denials = denials + (blocking,)
        conditions = conditions + (Condition(PAYOUT_OPEN, False, blocking.value, None, None, blocking.message),)
    else:
        conditions = conditions + (Condition(PAYOUT_OPEN, True, None, None, None, "no other payout is in progress"),)
    funded = not any(d.code == NOT_FUNDED for d in denials)
    return Eligibility(
        challenge_id, not denials, denials, context.assessment.quote if funded else None, now, conditions
    )


# -- the request ---------------------------------------------------------------------------------------
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
    with uow:
        # one request at a time per challenge: the lock orders two concurrent requests
        uow.execute("SELECT id FROM challenges WHERE id = %s FOR UPDATE", (challenge_id,))
        context = _assess(uow, challenge_id, now)
        payouts = PayoutRepository(uow)
        challenge, quote = context.challenge, context.assessment.quote
        open_row = payouts.open_of(challenge_id)
        refusal: PayoutRefused | None = None
        if open_row is not None:
            refusal = PayoutRefused(
                PAYOUT_OPEN,
                f"payout {open_row['id']} of challenge {challenge_id} is {open_row['status']}",
                (Denial(PAYOUT_OPEN, str(open_row["id"]), None, f"payout {open_row['id']} is in progress"),),
            )
        elif context.assessment.denials:
            codes = ", ".join(d.code for d in context.assessment.denials)
            refusal = PayoutRefused(
                NOT_ELIGIBLE, f"not eligible for a payout: {codes}", context.assessment.denials
            )
        if refusal is not None:
            uow.audit.append(
                [
                    AuditEntry(
                        "payout.refused",
                        {"requested_by": requested_by, **refusal.to_dict()},
                        challenge.id,
                        challenge.server,
                        challenge.login,
                        now,
                    )
                ]
            )
            uow.commit()
            raise refusal
        payout_id = payouts.insert(
            challenge_id=challenge_id,
            server=challenge.server,
            login=challenge.login,
            currency=quote.currency,
            payout_number=quote.payout_number,
            profit=quote.profit,
            amount=quote.amount,
            split_pct=quote.split_pct,
            trader_share=quote.trader_share,
            fee_refund=quote.fee_refund,
            period_start=quote.period_start,
            period_end=quote.period_end,
            details=quote.to_dict(),
            requested_by=requested_by,
            requested_at=now,
            tickets=list(quote.deals),
        )
        assert payout_id is not None  # the challenge row lock makes the open check above exact
        _, record = load_record(payouts, payout_id)
        audit(
            uow,
            "payout.requested",
            record,
            now,
            requested_by=requested_by,
            deals=list(record.deals),
            profit=record.profit,
            split_pct=record.split_pct,
            fee_refund=record.fee_refund,
        )
        uow.commit()
    publish(events, "PayoutRequested", record)
    started = _start(uow, record, now, workflow)
    return started or record


def _start(
    uow: UnitOfWork, record: PayoutRecord, now: datetime, workflow: PayoutWorkflow | None
) -> PayoutRecord | None:
    flow = _workflow(workflow)
    if flow is None or not getattr(flow, "can_start", True):
        return None
    try:
        arn = flow.start(
            record.id, {"payout_id": record.id, "challenge_id": record.challenge_id, **runtime.timeouts()}
        )
    except Exception:  # the payout stays `requested`; start_pending starts it later
        log.exception("payout workflow not started; it stays requested", extra={"payout_id": record.id})
        return None
    with uow:
        payouts = PayoutRepository(uow)
        payouts.update(record.id, execution_arn=arn)
        _, started = load_record(payouts, record.id)
        uow.commit()
    return started


# -- decisions -----------------------------------------------------------------------------------------
def approve(
    uow: UnitOfWork,
    payout_id: int,
    approver: Actor | str,
    note: str | None,
    now: datetime,
    workflow: PayoutWorkflow | None = None,
    *,
    events: EventPublisher | None = None,
) -> PayoutRecord:
    """Approve (idempotent). Answers the AwaitApproval task token if the workflow has reached it; if not,
    the worker answers at once when it gets there. Above the second-approval amount the first approval is
    recorded and the payout waits for a second approver. Raises PayoutNotFound, PayoutRefused(
    `already_decided` | `not_awaiting_decision` | `note_required`: the payout is flagged and no note says why
    to pay it | `four_eyes`: the approver requested it, owns the challenge, or approved it already)."""
    return _decide(uow, payout_id, True, approver, note, now, workflow, events)


def reject(
    uow: UnitOfWork,
    payout_id: int,
    approver: Actor | str,
    reason: str,
    now: datetime,
    workflow: PayoutWorkflow | None = None,
    *,
    events: EventPublisher | None = None,
) -> PayoutRecord:
    """Reject (idempotent) with a reason. Raises PayoutNotFound, PayoutRefused(`already_decided` |
    `not_awaiting_decision`)."""
    return _decide(uow, payout_id, False, approver, reason, now, workflow, events)


def decision_output(row: dict[str, Any]) -> dict[str, Any]:
    """What AwaitApproval's token is answered with (the Choice state reads `approved`)."""
    return {
        "approved": row["status"] != REJECTED,
        "by": row["decided_by"],
        "note": row["decision_note"],
    }


def _owner(uow: UnitOfWork, record: PayoutRecord) -> Owner:
    row = uow.fetchone(
        "SELECT t.sub, t.email FROM challenges c JOIN traders t ON t.id = c.trader_id WHERE c.id = %s",
        (record.challenge_id,),
    )
    return Owner(record.requested_by, row[0] if row else "", row[1] if row else "")


def _check_four_eyes(uow: UnitOfWork, record: PayoutRecord, actor: Actor) -> None:
    reason = conflict(actor, _owner(uow, record))
    if reason is not None:
        raise PayoutRefused(FOUR_EYES, f"payout {record.id}: {reason}")


def _second_approval_above(uow: UnitOfWork, record: PayoutRecord) -> Decimal | None:
    """The funded phase's own amount, else the setting's (None: one approval is enough)."""
    challenge = uow.challenges.get(record.challenge_id)
    if challenge is not None:
        program = uow.programs.get(challenge.program_id, challenge.program_version)
        phase = program.phases[min(challenge.phase, len(program.phases) - 1)]
        if phase.payout_second_approval_above is not None:
            return phase.payout_second_approval_above
    return runtime.second_approval_above()


def _decide(
    uow: UnitOfWork,
    payout_id: int,
    approved: bool,
    who: Actor | str,
    text: str | None,
    now: datetime,
    workflow: PayoutWorkflow | None,
    events: EventPublisher | None,
) -> PayoutRecord:
    wanted = APPROVED if approved else REJECTED
    actor = Actor.of(who)
    changed = False
    with uow:
        payouts = PayoutRepository(uow)
        row, record = load_record(payouts, payout_id, lock=True)
        status = row["status"]
        if approved and record.flags and status in (REQUESTED, AWAITING_APPROVAL) and not (text or "").strip():
            codes = ", ".join(str(f.get("code")) for f in record.flags)
            raise PayoutRefused(
                NOTE_REQUIRED, f"payout {payout_id} is flagged for review ({codes}): approve it with a note"
            )
        if approved and status in (REQUESTED, AWAITING_APPROVAL):
            _check_four_eyes(uow, record, actor)
            approvals = list(record.approvals)
            if already_approved_by(actor, approvals):
                raise PayoutRefused(FOUR_EYES, f"payout {payout_id} needs a second, different approver")
            approvals.append(approval_entry(actor, text, now))
            if len(approvals) < approvals_needed(record.amount, _second_approval_above(uow, record)):
                payouts.update(payout_id, approvals=Jsonb(approvals))
                row, record = load_record(payouts, payout_id)
                audit(uow, "payout.first_approval", record, now, by=actor.display(), sub=actor.sub, note=text)
                uow.commit()
                return record  # waits for the second approver
            payouts.update(payout_id, approvals=Jsonb(approvals))
        if status in (REQUESTED, AWAITING_APPROVAL):
            stamp = {"approved_at": now} if approved else {"rejected_at": now, "reason": text}
            payouts.move(
                payout_id,
                (REQUESTED, AWAITING_APPROVAL),
                wanted,
                decided_by=actor.display(),
                decision_note=text,
                decided_at=now,
                **stamp,
            )
            row, record = load_record(payouts, payout_id)
            audit(uow, f"payout.{wanted}", record, now, by=actor.display(), sub=actor.sub, note=text)
            changed = True
        elif status == wanted or (approved and status in (WITHDRAWING, PAID)):
            pass  # the same decision again: one decision, nothing more (a retry may still answer the token)
        elif status in (APPROVED, REJECTED) or (not approved and status in (WITHDRAWING, PAID)):
            raise PayoutRefused(ALREADY_DECIDED, f"payout {payout_id} was already {status}")
        else:
            raise PayoutRefused(
                NOT_AWAITING_DECISION, f"payout {payout_id} is {status}; no decision is awaited"
            )
        uow.commit()
    if changed:
        publish(events, "PayoutApproved" if approved else "PayoutRejected", record)
    if row["approval_token"] is not None and row["approval_answered_at"] is None and row["status"] == wanted:
        answer_decision(uow, row, now, workflow)
    return record


def answer_decision(
    uow: UnitOfWork, row: dict[str, Any], now: datetime, workflow: PayoutWorkflow | None
) -> None:
    """Answer AwaitApproval with the recorded decision, then note that it was answered."""
    if answer(workflow, row["approval_token"], decision_output(row), None):
        with uow:
            PayoutRepository(uow).update(row["id"], approval_answered_at=now)
            uow.commit()


# -- manual review -----------------------------------------------------------------------------------
def resolve_review(
    uow: UnitOfWork,
    payout_id: int,
    outcome: str,
    by: Actor | str,
    note: str,
    now: datetime,
    *,
    deal: int | None = None,
    events: EventPublisher | None = None,
) -> PayoutRecord:
    """A person settles a payout in manual review, after checking MT5: `paid` (the withdrawal is on the
    account; `deal` is its ticket when the workflow did not learn it) or `failed` (no money left the
    account; its deals are released for the next request). Idempotent: the same outcome again returns
    the payout. Raises PayoutNotFound, PayoutRefused(`not_in_review` | `already_decided` | `four_eyes`),
    ValueError."""
    actor = Actor.of(by)
    if outcome not in (PAID, FAILED):
        raise ValueError(f"outcome must be {PAID!r} or {FAILED!r}, not {outcome!r}")
    if not note.strip():
        raise ValueError("a note is required: what was checked on MT5")
    with uow:
        payouts = PayoutRepository(uow)
        row, record = load_record(payouts, payout_id, lock=True)
        if record.status == outcome and record.review_at is not None:
            return record  # resolved that way before
        if record.status != MANUAL_REVIEW:
            code = ALREADY_DECIDED if record.status in FINAL_STATES else NOT_IN_REVIEW
            raise PayoutRefused(code, f"payout {payout_id} is {record.status}, not in manual review")
        _check_four_eyes(uow, record, actor)
        if outcome == PAID and record.review_from != WITHDRAWING:
            raise PayoutRefused(
                NOT_IN_REVIEW, f"payout {payout_id} stopped while {record.review_from}: no withdrawal was sent"
            )
        columns: dict[str, Any] = {"completed_at": now, "decision_note": note}
        if outcome == PAID:
            columns.update(paid_at=now, withdrawal_deal=deal if deal is not None else record.withdrawal_deal)
        else:
            columns.update(failed_at=now, reason=f"ManualReview: {note}"[:2000])
        payouts.move(payout_id, (MANUAL_REVIEW,), outcome, **columns)
        _, record = load_record(payouts, payout_id)
        audit(
            uow,
            f"payout.{outcome}",
            record,
            now,
            resolved_by=actor.display(),
            sub=actor.sub,
            note=note,
            review_from=record.review_from,
        )
        uow.commit()
    publish(events, "PayoutPaid" if outcome == PAID else "PayoutFailed", record)
    return record


# -- reads -------------------------------------------------------------------------------------------
def get_payout(uow: UnitOfWork, payout_id: int) -> PayoutRecord:
    """Raises PayoutNotFound."""
    with uow:
        return load_record(PayoutRepository(uow), payout_id)[1]


def list_payouts(
    uow: UnitOfWork,
    *,
    challenge_id: int | None = None,
    status: str | None = None,
    trader_id: int | None = None,
    limit: int = 100,
) -> list[PayoutRecord]:
    """Newest first, filtered by any of challenge, status (one of the states) and trader."""
    if status is not None and status not in OPEN_STATES + FINAL_STATES:
        raise ValueError(f"unknown payout status {status!r}; one of {', '.join(OPEN_STATES + FINAL_STATES)}")
    with uow:
        payouts = PayoutRepository(uow)
        rows = payouts.search(challenge_id=challenge_id, status=status, trader_id=trader_id, limit=limit)
        deals = payouts.deals_of([r["id"] for r in rows])
    return [_record(r, deals[r["id"]]) for r in rows]


# -- the evaluator's hook and the local stack ---------------------------------------------------------
def on_withdrawal_result(
    uow: UnitOfWork,
    result: CommandResult,
    now: datetime,
    workflow: PayoutWorkflow | None = None,
    *,
    events: EventPublisher | None = None,
    redis: Any = None,
    namespace: str = "",
) -> PayoutRecord | None:
    """The poller's result of a payout withdrawal (`payout:{id}:withdraw`): answers the AwaitWithdrawal
    token (success with the deal ticket, or failure). None when the command is not a payout's.
    The Record / RecordFailure tasks then make the payout `paid` or `failed`.

    With `redis` (the evaluator passes its client), a failed withdrawal's lowered floor is deleted, so
    the evaluator renews the true one (propfirm.payouts.floors; docs/payouts.md)."""
    payout_id = payout_of_command(result.command_id)
    if payout_id is None:
        return None
    if redis is not None and not result.ok and result.login is not None:
        from propfirm.live.keys import LiveKeys
        from propfirm.payouts.floors import after_failed_withdrawal

        after_failed_withdrawal(redis, LiveKeys(namespace), result.server, result.login)
    deal = result.details.get("deal")
    with uow:
        payouts = PayoutRepository(uow)
        row = payouts.get(payout_id, lock=True)
        if row is None:
            log.error("withdrawal result for an unknown payout", extra={"command_id": result.command_id})
            return None
        if row["status"] == WITHDRAWING and row["withdrawal_deal"] is None and result.ok and deal is not None:
            payouts.update(payout_id, withdrawal_deal=int(deal))
        row, record = load_record(payouts, payout_id)
        uow.commit()
    token = row["withdrawal_token"]
    if row["status"] != WITHDRAWING or token is None or row["withdrawal_answered_at"] is not None:
        return record  # answered before (a repeated result), or nothing waits for it
    if result.ok:
        done = answer(workflow, token, {"ok": True, "deal": deal, "command_id": result.command_id}, None)
    else:
        cause = f"{result.error or 'withdrawal refused'} (retcode {result.retcode})"
        done = answer(workflow, token, None, (WITHDRAWAL_FAILED, cause))
    if done:
        with uow:
            PayoutRepository(uow).update(payout_id, withdrawal_answered_at=now)
            uow.commit()
    return record


WITHDRAWAL_FAILED = "WithdrawalFailed"  # the error name the workflow's Catch records as the reason


def start_pending(
    uow: UnitOfWork,
    now: datetime,
    workflow: PayoutWorkflow | None = None,
    *,
    events: EventPublisher | None = None,
) -> int:
    """The sweep that makes the workflow whole again (the local stack runs it in its loop; in AWS a
    schedule may): start `requested` payouts that have no execution yet (no workflow was configured when
    they were requested, or starting failed), answer approval tokens of decisions taken while the
    workflow could not be reached, and answer withdrawal tokens whose command result is recorded but did
    not reach the workflow. Returns how many payouts were acted on."""
    from propfirm.queues.messages import CommandResult

    flow = _workflow(workflow)
    if flow is None:
        return 0
    with uow:
        payouts = PayoutRepository(uow)
        unstarted = payouts.unstarted()
        undelivered = payouts.unanswered_decisions()
        withdrawals = payouts.unanswered_withdrawals()
    acted = 0
    for payout_id in unstarted:
        with uow:
            _, record = load_record(PayoutRepository(uow), payout_id)
        if _start(uow, record, now, flow) is not None:
            acted += 1
    for payout_id in undelivered:
        with uow:
            row = PayoutRepository(uow).get(payout_id)
        if row is not None:
            answer_decision(uow, row, now, flow)
            acted += 1
    for _, result in withdrawals:
        on_withdrawal_result(uow, CommandResult.model_validate(result), now, flow, events=events)
        acted += 1
    return acted
