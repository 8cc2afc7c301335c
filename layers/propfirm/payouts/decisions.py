"""Decisions on a payout: approve (four eyes above a threshold, a note for a flagged one), reject, and a
person settling one in manual review; each answers the workflow's waiting task token."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from psycopg.types.json import Jsonb

from propfirm.payouts.approvals import (
    FOUR_EYES,
    Actor,
    Owner,
    already_approved_by,
    approval_entry,
    approvals_needed,
    conflict,
)
from propfirm.payouts.errors import PayoutRefused
from propfirm.payouts.records import (
    ALREADY_DECIDED,
    APPROVED,
    AWAITING_APPROVAL,
    FAILED,
    FINAL_STATES,
    MANUAL_REVIEW,
    NOT_AWAITING_DECISION,
    NOT_IN_REVIEW,
    NOTE_REQUIRED,
    PAID,
    REJECTED,
    REQUESTED,
    WITHDRAWING,
    PayoutRecord,
    PayoutWorkflow,
    answer,
    audit,
    load_record,
    publish,
)
from propfirm.store.payouts import PayoutRepository

if TYPE_CHECKING:
    from propfirm.payouts.ports import PayoutPorts
    from propfirm.store.uow import UnitOfWork



# -- decisions -----------------------------------------------------------------------------------------
def approve(
    uow: UnitOfWork,
    payout_id: int,
    approver: Actor | str,
    note: str | None,
    now: datetime,
    ports: PayoutPorts,
) -> PayoutRecord:
    """Approve (idempotent). Answers the AwaitApproval task token if the workflow has reached it; if not,
    the worker answers at once when it gets there. Above the second-approval amount the first approval is
    recorded and the payout waits for a second approver. Raises PayoutNotFound, PayoutRefused(
    `already_decided` | `not_awaiting_decision` | `note_required`: the payout is flagged and no note says why
    to pay it | `four_eyes`: the approver requested it, owns the challenge, or approved it already)."""
    return _decide(uow, payout_id, True, approver, note, now, ports)


def reject(
    uow: UnitOfWork,
    payout_id: int,
    approver: Actor | str,
    reason: str,
    now: datetime,
    ports: PayoutPorts,
) -> PayoutRecord:
    """Reject (idempotent) with a reason. Raises PayoutNotFound, PayoutRefused(`already_decided` |
    `not_awaiting_decision`)."""
    return _decide(uow, payout_id, False, approver, reason, now, ports)


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


def _second_approval_above(uow: UnitOfWork, record: PayoutRecord, ports: PayoutPorts) -> Decimal | None:
    """The funded phase's own amount, else the setting's (None: one approval is enough)."""
    challenge = uow.challenges.get(record.challenge_id)
    if challenge is not None:
        program = uow.programs.get(challenge.program_id, challenge.program_version)
        phase = program.phases[min(challenge.phase, len(program.phases) - 1)]
        if phase.payout_second_approval_above is not None:
            return phase.payout_second_approval_above
    return ports.second_approval_above


def _decide(
    uow: UnitOfWork,
    payout_id: int,
    approved: bool,
    who: Actor | str,
    text: str | None,
    now: datetime,
    ports: PayoutPorts,
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
            if len(approvals) < approvals_needed(record.amount, _second_approval_above(uow, record, ports)):
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
        publish(ports.events, "PayoutApproved" if approved else "PayoutRejected", record)
    if row["approval_token"] is not None and row["approval_answered_at"] is None and row["status"] == wanted:
        answer_decision(uow, row, now, ports.workflow)
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
    ports: PayoutPorts,
    *,
    deal: int | None = None,
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
    publish(ports.events, "PayoutPaid" if outcome == PAID else "PayoutFailed", record)
    return record
