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

Adapters are handed in, never looked up: the calls that reach outside PostgreSQL take the caller's
`PayoutPorts` (`propfirm.payouts.ports`: the workflow, the event bus, the workflow's timeouts, the
second-approval amount), built once by the API's, the evaluator's or the worker's composition.

This module holds the request, the reads and the workflow's hooks; the states and the record live in
`records`, eligibility in `eligibility`, the decisions in `decisions`. Callers use this module as the one
door: it re-exports what they need of the others.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from propfirm.domain.payouts import Denial
from propfirm.payouts.approvals import FOUR_EYES  # noqa: F401  (re-exported: the API maps the refusal)
from propfirm.payouts.decisions import (  # noqa: F401  (re-exported: the callers' one door to payouts)
    answer_decision,
    approve,
    decision_output,
    reject,
    resolve_review,
)
from propfirm.payouts.eligibility import (  # noqa: F401  (re-exported: the callers' one door to payouts)
    assess_challenge,
    check_eligibility,
    phase_started_at,
)
from propfirm.payouts.errors import (  # noqa: F401  (re-exported: the API catches them from here)
    ChallengeNotFound,
    PayoutError,
    PayoutNotFound,
    PayoutRefused,
    TokenGone,
)
from propfirm.payouts.ports import PayoutPorts, WorkflowTimeouts  # noqa: F401  (re-exported)
from propfirm.payouts.records import (  # noqa: F401  (re-exported: the callers' one door to payouts)
    ALREADY_DECIDED,
    APPROVED,
    AWAITING_APPROVAL,
    FAILED,
    FINAL_STATES,
    MANUAL_REVIEW,
    NOT_AWAITING_DECISION,
    NOT_ELIGIBLE,
    NOT_IN_REVIEW,
    NOTE_REQUIRED,
    OPEN_STATES,
    PAID,
    PAYOUT_OPEN,
    REJECTED,
    REQUESTED,
    WITHDRAWING,
    Eligibility,
    EventPublisher,
    PayoutRecord,
    PayoutWorkflow,
    answer,
    audit,
    event_detail,
    load_record,
    payout_of_command,
    publish,
    record_of,
    withdrawal_command_id,
)
from propfirm.store.audit import AuditEntry
from propfirm.store.payouts import PayoutRepository

if TYPE_CHECKING:
    from propfirm.queues.messages import CommandResult
    from propfirm.store.uow import UnitOfWork

log = logging.getLogger("propfirm.payouts")


# -- the request ---------------------------------------------------------------------------------------
def request_payout(
    uow: UnitOfWork,
    challenge_id: int,
    requested_by: str,
    now: datetime,
    ports: PayoutPorts,
) -> PayoutRecord:
    """Create the payout (`requested`, with its deals and amounts, audited), then start its workflow.
    Raises ChallengeNotFound, PayoutRefused(`not_eligible` with denials | `payout_open`)."""
    with uow:
        # one request at a time per challenge: the lock orders two concurrent requests
        uow.execute("SELECT id FROM challenges WHERE id = %s FOR UPDATE", (challenge_id,))
        context = assess_challenge(uow, challenge_id, now)
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
    publish(ports.events, "PayoutRequested", record)
    started = _start(uow, record, now, ports)
    return started or record


def _start(uow: UnitOfWork, record: PayoutRecord, now: datetime, ports: PayoutPorts) -> PayoutRecord | None:
    flow = ports.workflow
    if flow is None or not flow.can_start:
        return None
    try:
        arn = flow.start(
            record.id,
            {"payout_id": record.id, "challenge_id": record.challenge_id, **ports.timeouts.execution_input()},
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
    return [record_of(r, deals[r["id"]]) for r in rows]


# -- the evaluator's hook and the local stack ---------------------------------------------------------
def on_withdrawal_result(
    uow: UnitOfWork,
    result: CommandResult,
    now: datetime,
    workflow: PayoutWorkflow | None,
    *,
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


def start_pending(uow: UnitOfWork, now: datetime, ports: PayoutPorts) -> int:
    """The sweep that makes the workflow whole again (the local stack runs it in its loop; in AWS a
    schedule may): start `requested` payouts that have no execution yet (no workflow was configured when
    they were requested, or starting failed), answer approval tokens of decisions taken while the
    workflow could not be reached, and answer withdrawal tokens whose command result is recorded but did
    not reach the workflow. Returns how many payouts were acted on."""
    from propfirm.queues.messages import CommandResult

    flow = ports.workflow
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
        if _start(uow, record, now, ports) is not None:
            acted += 1
    for payout_id in undelivered:
        with uow:
            row = PayoutRepository(uow).get(payout_id)
        if row is not None:
            answer_decision(uow, row, now, flow)
            acted += 1
    for _, result in withdrawals:
        on_withdrawal_result(uow, CommandResult.model_validate(result), now, flow)
        acted += 1
    return acted
