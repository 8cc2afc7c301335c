"""The workflow's tasks, as the payouts worker runs them (one SQS message with a task token each).

Message body (built by the ASL): `{"token": ..., "task": ..., "payout_id": 17, "execution": ...}`, plus
`"error": {"Error": ..., "Cause": ...}` for `record_failure`. A task returns its output (the worker
answers the token with it), raises `TaskFailed` (the token is answered with that error, the workflow's
Catch records the payout as failed), or returns None when the token is stored to be answered later:

- compute           checks the stored amounts against the deals (a difference: AmountMismatch, manual
                    review) and the account is still active; cross-checks the deals against the
                    account's balance (a difference flags the payout for the approver: `flags`)
- await_approval    stores the token (requested → awaiting_approval); the API's approve/reject answers
                    it, or this task does at once when the decision was taken before
- escalate          the approval waited past its timeout: `escalated_at`, an audit row, PayoutEscalated
- withdraw          approved → withdrawing, if the account is still active
- await_withdrawal  lowers (or deletes) the account's floor in Redis, queues the withdrawal (a balance
                    operation through the outbox, command id `payout:{id}:withdraw`), stores the token; the
                    poller's result answers it (evaluator → `service.on_withdrawal_result`)
- record            withdrawing → paid (PayoutPaid)
- record_rejection  notes the end of a rejected payout's workflow
- record_failure    any open state → failed, with the error as the reason (errors that prove no money
                    moved: the workflow's Catch sends only those here)
- record_review     any open state → manual_review, with the error (anything else, after the retries)

Every task is idempotent: a redelivered message finds its work done and answers the same way.

Size: one function per task of the state machine (`TASKS` maps the ASL's names to them), sharing the loading
and audit helpers at the top.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal, Protocol

import redis
from psycopg.types.json import Jsonb
from pydantic import BaseModel, ConfigDict

from propfirm.domain.money import ZERO
from propfirm.domain.payouts import TradeDeal, balance_check, realised_positions
from propfirm.domain.state import ACTIVE
from propfirm.live.keys import LiveKeys
from propfirm.live.records import Snapshot
from propfirm.payouts import floors, service
from propfirm.payouts.service import (
    APPROVED,
    AWAITING_APPROVAL,
    FAILED,
    MANUAL_REVIEW,
    OPEN_STATES,
    PAID,
    REJECTED,
    REQUESTED,
    WITHDRAWING,
    EventPublisher,
    PayoutPorts,
    PayoutWorkflow,
)
from propfirm.queues.messages import BalanceOperationCommand, CommandResult
from propfirm.queues.tags import balance_comment
from propfirm.store.outbox import OutboxCommand
from propfirm.store.payouts import PayoutRepository
from propfirm.store.uow import UnitOfWork

log = logging.getLogger("propfirm.payouts")

# the states the workflow itself moves a payout out of (manual_review is left to a person)
WORKFLOW_STATES = tuple(s for s in OPEN_STATES if s != MANUAL_REVIEW)

TaskName = Literal[
    "compute",
    "await_approval",
    "withdraw",
    "await_withdrawal",
    "record",
    "record_rejection",
    "record_failure",
    "escalate",
    "record_review",
]


class TaskMessage(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    token: str
    task: TaskName
    payout_id: int
    execution: str | None = None
    error: dict[str, Any] | None = None


class TaskFailed(Exception):
    """The task cannot be done: the token is answered with this error (the workflow records a failure)."""

    def __init__(self, error: str, cause: str) -> None:
        super().__init__(f"{error}: {cause}")
        self.error = error
        self.cause = cause


class Relay(Protocol):
    def run(self) -> int: ...


@dataclass
class TaskContext:
    uow_factory: Callable[[], UnitOfWork]
    ports: PayoutPorts  # the workflow whose tokens the tasks answer, the event bus
    redis: redis.Redis | None = None
    namespace: str = ""
    relay: Relay | None = None  # sends the withdrawal at once; None: the evaluator's relay sends it
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    @property
    def workflow(self) -> PayoutWorkflow | None:
        return self.ports.workflow

    @property
    def events(self) -> EventPublisher | None:
        return self.ports.events


def run_task(ctx: TaskContext, message: TaskMessage) -> dict[str, Any] | None:
    """Run one task and answer its token (unless the task stored it to be answered later)."""
    now = ctx.clock()
    try:
        output = TASKS[message.task](ctx, message, now)
    except TaskFailed as failed:
        log.warning(
            "payout task failed",
            extra={
                "payout_id": message.payout_id,
                "task": message.task,
                "error": failed.error,
                "cause": failed.cause,
            },
        )
        service.answer(ctx.workflow, message.token, None, (failed.error, failed.cause))
        return None
    if output is not None:
        service.answer(ctx.workflow, message.token, output, None)
    return output


def _load(uow: UnitOfWork, payout_id: int) -> tuple[PayoutRepository, dict[str, Any], service.PayoutRecord]:
    payouts = PayoutRepository(uow)
    try:
        row, record = service.load_record(payouts, payout_id, lock=True)
    except service.PayoutNotFound:
        raise TaskFailed("PayoutNotFound", f"no payout {payout_id}") from None
    return payouts, row, record


def _require_active(uow: UnitOfWork, record: service.PayoutRecord) -> None:
    challenge = uow.challenges.get(record.challenge_id)
    if challenge.status != ACTIVE:
        raise TaskFailed("AccountNotActive", f"challenge {challenge.id} is {challenge.status}")


def compute(ctx: TaskContext, message: TaskMessage, now: datetime) -> dict[str, Any]:
    with ctx.uow_factory() as uow:
        _, row, record = _load(uow, message.payout_id)
        if record.status not in OPEN_STATES:
            raise TaskFailed("PayoutNotOpen", f"payout {record.id} is {record.status}")
        _require_active(uow, record)
        rows = uow.fetchall(
            "SELECT ticket, position, time, entry, volume, profit, commission, swap FROM deals"
            " WHERE server = %s AND ticket = ANY(%s)",
            (record.server, list(record.deals)),
        )
        uow.commit()
    deals = [TradeDeal(int(r[0]), int(r[1]), r[2], r[3], r[4], r[5], r[6], r[7]) for r in rows]
    closed, still_open = realised_positions(deals)
    profit = sum((p.profit for p in closed), ZERO)
    if len(rows) != len(record.deals) or still_open or profit != record.profit:
        raise TaskFailed(
            "AmountMismatch",
            f"payout {record.id}: its deals give {profit} with {len(still_open)} open position(s),"
            f" the payout says {record.profit}",
        )
    check = _balance_check(ctx, record, now)
    return {
        "payout_id": record.id,
        "profit": str(record.profit),
        "amount": str(record.amount),
        "trader_share": str(record.trader_share),
        "deals": len(record.deals),
        "balance_check": None if check is None else check.to_dict(),
    }


def _balance_check(ctx: TaskContext, record: service.PayoutRecord, now: datetime) -> Any:
    """Cross-check the payout's deals against the account's balance; flag the payout when they differ.

    The balance is the poller's last snapshot in Redis (the evaluator's saved state when there is none).
    None when no balance is known (the check is then recorded as not made)."""
    with ctx.uow_factory() as uow:
        challenge = uow.challenges.get(record.challenge_id)
        program = uow.programs.get(challenge.program_id, challenge.program_version)
        stage_start = service.phase_started_at(uow, challenge, now)
        payouts = PayoutRepository(uow)
        ops, paid_before = payouts.stage_balance(record.challenge_id, stage_start)
        uow.commit()
    balance = _last_balance(ctx, record, challenge.state)
    if balance is None:
        return None
    check = balance_check(
        balance=balance, size=program.account_size, stage_balance_ops=ops, paid_before=paid_before, profit=record.profit
    )
    with ctx.uow_factory() as uow:  # shown to the approver, whatever it found
        uow.execute(
            "UPDATE payouts SET details = details || %s WHERE id = %s",
            (Jsonb({"balance_check": check.to_dict()}), record.id),
        )
        uow.commit()
    if not check.ok:
        flag = {"code": "balance_mismatch", "detail": check.to_dict()}
        with ctx.uow_factory() as uow:
            payouts = PayoutRepository(uow)
            if payouts.add_flag(record.id, flag):
                _, flagged = service.load_record(payouts, record.id)
                service.audit(uow, "payout.flagged", flagged, now, flag=flag)
            uow.commit()
        log.warning("payout flagged: its deals do not explain the balance", extra={"payout_id": record.id})
    return check


def _last_balance(ctx: TaskContext, record: service.PayoutRecord, state: dict[str, Any] | None) -> Any:
    if ctx.redis is not None and record.login is not None:
        raw = ctx.redis.get(LiveKeys(ctx.namespace).snap(record.server, record.login))
        if raw is not None:
            return Snapshot.decode(raw).balance
    if state and state.get("balance") is not None:
        return Decimal(str(state["balance"]))
    return None


def await_approval(ctx: TaskContext, message: TaskMessage, now: datetime) -> None:
    with ctx.uow_factory() as uow:
        payouts, row, record = _load(uow, message.payout_id)
        if record.status not in (REQUESTED, AWAITING_APPROVAL, APPROVED, REJECTED):
            raise TaskFailed("PayoutNotOpen", f"payout {record.id} is {record.status}")
        if row["approval_token"] != message.token:  # a redelivered message keeps what was answered
            payouts.update(
                record.id,
                approval_token=message.token,
                approval_answered_at=None,
                awaiting_approval_at=row["awaiting_approval_at"] or now,
            )
        if record.status == REQUESTED:
            payouts.move(record.id, (REQUESTED,), AWAITING_APPROVAL)
            _, moved = service.load_record(payouts, record.id)
            service.audit(uow, "payout.awaiting_approval", moved, now)
        latest = payouts.get(record.id)
        uow.commit()
    if latest is not None and latest["status"] in (APPROVED, REJECTED):  # decided before the workflow got here
        service.answer_decision(ctx.uow_factory(), latest, now, ctx.workflow)
    return None


def withdraw(ctx: TaskContext, message: TaskMessage, now: datetime) -> dict[str, Any]:
    with ctx.uow_factory() as uow:
        payouts, row, record = _load(uow, message.payout_id)
        if record.status == APPROVED:
            _require_active(uow, record)
            payouts.move(
                record.id,
                (APPROVED,),
                WITHDRAWING,
                withdrawing_at=now,
                withdrawal_command_id=service.withdrawal_command_id(record.id),
            )
            _, record = service.load_record(payouts, record.id)
            service.audit(uow, "payout.withdrawing", record, now)
        elif record.status != WITHDRAWING:
            raise TaskFailed("NotApproved", f"payout {record.id} is {record.status}")
        uow.commit()
    return {"status": WITHDRAWING, "command_id": record.withdrawal_command_id}


def withdrawal_command(record: service.PayoutRecord, now: datetime) -> BalanceOperationCommand:
    """The withdrawal as a balance operation: the whole amount leaves the account.

    Its comment (`payout {id}`) is deliberately NOT recorded as the outbox row's `mt5_comment`: the
    evaluator classifies a balance deal whose comment matches one of our outbox comments as a system
    deal (ignored by the rule engine, like the phase-reset deal). A payout is the trader's balance
    operation: the engine must see it, as it lowers the balance and moves the day's floor."""
    assert record.login is not None
    return BalanceOperationCommand(
        command_id=service.withdrawal_command_id(record.id),
        server=record.server,
        login=record.login,
        amount=-record.amount,
        kind="balance",
        comment=f"payout {record.id}",
        check_margin=True,
        issued_at=now,
    )


def await_withdrawal(ctx: TaskContext, message: TaskMessage, now: datetime) -> None:
    with ctx.uow_factory() as uow:
        payouts, row, record = _load(uow, message.payout_id)
        if record.status != WITHDRAWING or record.login is None:
            raise TaskFailed("NotWithdrawing", f"payout {record.id} is {record.status}")
        uow.commit()
    command = withdrawal_command(record, now)
    # RISK: the withdrawal lowers the true daily floor, and the floor in Redis was computed before it; the
    # poller's fast path could compare the lowered equity with that old, higher floor and false-kill. So
    # BEFORE the command can be sent, the floor key is replaced by the floor lowered by the amount (or
    # deleted: a missing floor never kills); the evaluator renews it after judging the withdrawal's deal.
    # See propfirm.payouts.floors and docs/payouts.md.
    floor = floors.ABSENT
    if ctx.redis is not None:
        floor = floors.before_withdrawal(
            ctx.redis, LiveKeys(ctx.namespace), record.server, record.login, record.amount,
            comment=balance_comment(command),  # the comment the deal will carry on MT5
        )
    with ctx.uow_factory() as uow:
        payouts, row, record = _load(uow, message.payout_id)
        uow.outbox.add(
            [
                OutboxCommand(
                    command_id=command.command_id,
                    challenge_id=record.challenge_id,
                    server=record.server,
                    login=record.login,
                    kind="balance_operation",
                    command=command.model_dump(mode="json"),
                    mt5_comment=None,  # see withdrawal_command: the deal must stay a trader balance operation
                )
            ]
        )
        first = row["withdrawal_token"] is None
        payouts.update(record.id, withdrawal_token=message.token, withdrawal_command_id=command.command_id)
        if first:
            service.audit(
                uow,
                "payout.withdrawal_queued",
                record,
                now,
                command_id=command.command_id,
                command=command.model_dump(mode="json"),
                floor=floor,
            )
        outbox = uow.outbox.get(command.command_id)
        uow.commit()
    if outbox is not None and outbox["status"] in ("done", "failed") and outbox["result"]:
        # the result came back before this (redelivered) task stored its token: answer from it now
        service.on_withdrawal_result(
            ctx.uow_factory(),
            CommandResult.model_validate(outbox["result"]),
            now,
            ctx.workflow,
        )
        return None
    if ctx.relay is not None:
        try:
            ctx.relay.run()
        except Exception:  # the command stays pending; the evaluator's relay sends it
            log.exception(
                "withdrawal not sent at once; it waits in the outbox", extra={"payout_id": record.id}
            )
    return None


def record(ctx: TaskContext, message: TaskMessage, now: datetime) -> dict[str, Any]:
    changed = False
    with ctx.uow_factory() as uow:
        payouts, row, payout = _load(uow, message.payout_id)
        if payout.status == WITHDRAWING:
            payouts.move(payout.id, (WITHDRAWING,), PAID, paid_at=now, completed_at=now)
            _, payout = service.load_record(payouts, payout.id)
            service.audit(
                uow,
                "payout.paid",
                payout,
                now,
                withdrawal_deal=payout.withdrawal_deal,
                deals=list(payout.deals),
            )
            changed = True
        elif payout.status != PAID:
            raise TaskFailed("NotWithdrawing", f"payout {payout.id} is {payout.status}")
        uow.commit()
    if changed:
        service.publish(ctx.events, "PayoutPaid", payout)
    return {"status": PAID, "deal": payout.withdrawal_deal}


def record_rejection(ctx: TaskContext, message: TaskMessage, now: datetime) -> dict[str, Any]:
    with ctx.uow_factory() as uow:
        payouts, row, payout = _load(uow, message.payout_id)
        if payout.status != REJECTED:
            raise TaskFailed("NotRejected", f"payout {payout.id} is {payout.status}")
        if row["completed_at"] is None:
            payouts.update(payout.id, completed_at=now)
        uow.commit()
    return {"status": REJECTED}


def record_failure(ctx: TaskContext, message: TaskMessage, now: datetime) -> dict[str, Any]:
    """An error that proves no money moved: the payout ends `failed` (its deals are freed)."""
    return _stop_workflow(ctx, message, now, FAILED, "PayoutFailed", lambda _: {"failed_at": now, "completed_at": now})


def _stop_workflow(
    ctx: TaskContext,
    message: TaskMessage,
    now: datetime,
    to_state: str,
    event: str,
    columns: Callable[[service.PayoutRecord], dict[str, Any]],
) -> dict[str, Any]:
    """The workflow's error (`message.error`) moves an open payout to `to_state` once (with the columns
    `columns` gives for the locked payout), audited as `payout.<to_state>` with the error, announced with
    `event`; a repeat finds it moved."""
    error = message.error or {}
    code = str(error.get("Error") or "Unknown")
    cause = str(error.get("Cause") or "")[:2000]
    changed = False
    with ctx.uow_factory() as uow:
        payouts, row, payout = _load(uow, message.payout_id)
        if payout.status in WORKFLOW_STATES:
            was = payout.status
            payouts.move(payout.id, WORKFLOW_STATES, to_state, reason=f"{code}: {cause}", **columns(payout))
            _, payout = service.load_record(payouts, payout.id)
            service.audit(uow, f"payout.{to_state}", payout, now, error=code, cause=cause, was=was)
            changed = True
        uow.commit()
    if changed:
        service.publish(ctx.events, event, payout)
    return {"status": payout.status, "error": code}


def escalate(ctx: TaskContext, message: TaskMessage, now: datetime) -> dict[str, Any]:
    """Nobody answered in time: say so once (the payout waits on in AwaitEscalatedApproval)."""
    changed = False
    with ctx.uow_factory() as uow:
        payouts, row, payout = _load(uow, message.payout_id)
        if payout.status in (REQUESTED, AWAITING_APPROVAL) and row["escalated_at"] is None:
            payouts.update(payout.id, escalated_at=now)
            _, payout = service.load_record(payouts, payout.id)
            since = row["awaiting_approval_at"] or payout.requested_at
            service.audit(uow, "payout.escalated", payout, now, waited_seconds=int((now - since).total_seconds()))
            changed = True
        uow.commit()
    if changed:
        service.publish(ctx.events, "PayoutEscalated", payout)
    escalated_at = None if payout.escalated_at is None else payout.escalated_at.isoformat()
    return {"status": payout.status, "escalated_at": escalated_at}


def record_review(ctx: TaskContext, message: TaskMessage, now: datetime) -> dict[str, Any]:
    """The workflow could not settle the payout: a person must (`service.resolve_review`)."""
    return _stop_workflow(
        ctx, message, now, MANUAL_REVIEW, "PayoutNeedsReview", lambda p: {"review_at": now, "review_from": p.status}
    )


TASKS: dict[str, Callable[[TaskContext, TaskMessage, datetime], dict[str, Any] | None]] = {
    "compute": compute,
    "await_approval": await_approval,
    "withdraw": withdraw,
    "await_withdrawal": await_withdrawal,
    "record": record,
    "record_rejection": record_rejection,
    "record_failure": record_failure,
    "escalate": escalate,
    "record_review": record_review,
}
