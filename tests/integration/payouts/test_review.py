"""What the workflow cannot settle alone, run for real in moto from the ASL: the balance cross-check that
flags a payout, the approval that escalates when nobody answers, a lost task retried with backoff, the
manual-review state a person resolves, and the database's own guarantee that no deal is paid twice."""

from __future__ import annotations

from decimal import Decimal

import psycopg
import pytest
from propfirm.payouts import service
from propfirm.payouts.ports import WorkflowTimeouts

from tests.integration.payouts.conftest import Rig
from tests.integration.payouts.test_workflow import _funded_with_profit, _outbox_status

PROFIT = Decimal("1997.57")


def test_deals_that_do_not_explain_the_balance_flag_the_payout_and_approval_needs_a_note(rig: Rig) -> None:
    login = 7101
    cid, _ = _funded_with_profit(rig, login)
    rig.snapshot(login, Decimal("102247.57") - Decimal("40.00"))  # 40 missing: a deal the store never got
    payout = rig.request(cid)
    rig.run_until(rig.status_is(payout.id, service.AWAITING_APPROVAL))
    rig.run_until(lambda: bool(rig.get(payout.id).flags))

    flagged = rig.get(payout.id)
    [flag] = flagged.flags
    assert flag["code"] == "balance_mismatch"
    assert flag["detail"]["expected"] == "1957.57" and flag["detail"]["difference"] == "-40.00"
    assert flag["detail"]["stage_start"] == "100250.00"  # the size plus the stage's balance operation
    assert flagged.to_dict()["flags"] == [flag]
    assert flagged.details["balance_check"] == flag["detail"]  # the approver sees the check in the details
    assert "payout.flagged" in rig.audit_kinds(cid)

    with pytest.raises(service.PayoutRefused) as refused:  # never paid silently
        service.approve(rig.uow(), payout.id, "admin@example.com", "  ", rig.now, rig.ports)
    assert refused.value.code == service.NOTE_REQUIRED
    assert rig.get(payout.id).status == service.AWAITING_APPROVAL

    rig.approve(payout.id)  # with a note ("checked")
    rig.run_until(lambda: _outbox_status(rig, payout.id) == "sent")
    assert rig.get(payout.id).decision_note == "checked"


def test_an_unanswered_approval_escalates_once_then_a_late_approval_still_pays(rig: Rig) -> None:
    rig.configure(timeouts=WorkflowTimeouts(approval_seconds=1))
    login = 7102
    cid, _ = _funded_with_profit(rig, login)
    payout = rig.request(cid)
    rig.run_until(rig.status_is(payout.id, service.AWAITING_APPROVAL))
    rig.run_until(lambda: rig.get(payout.id).escalated_at is not None)
    escalated = rig.get(payout.id)
    assert escalated.status == service.AWAITING_APPROVAL
    # the escalated wait stores its own token; the approval answers that one
    rig.run_until(lambda: _approval_token(rig, payout.id) is not None)
    assert rig.audit_kinds(cid).count("payout.escalated") == 1
    assert "PayoutEscalated" in [e["detail-type"] for e in rig.events() if e["detail"]["challenge_id"] == cid]

    rig.approve(payout.id)
    rig.run_until(lambda: _outbox_status(rig, payout.id) == "sent")
    [command] = rig.take_commands()
    rig.command_result(command.command_id, login, ok=True, deal=880101)
    rig.run_until(rig.status_is(payout.id, service.PAID))
    assert rig.get(payout.id).escalated_at == escalated.escalated_at  # escalated once


def _approval_token(rig: Rig, payout_id: int) -> str | None:
    with rig.uow() as uow:
        return uow.fetchone("SELECT approval_token FROM payouts WHERE id = %s", (payout_id,))[0]


def test_a_lost_task_message_is_retried_with_backoff(rig: Rig) -> None:
    rig.configure(timeouts=WorkflowTimeouts(task_seconds=1))
    login = 7103
    cid, _ = _funded_with_profit(rig, login)
    payout = rig.request(cid)
    lost = rig.aws.sqs.receive_message(QueueUrl=rig.aws.flow.queue_url, WaitTimeSeconds=2)["Messages"]
    for message in lost:  # the worker never sees the first Compute message
        rig.aws.sqs.delete_message(QueueUrl=rig.aws.flow.queue_url, ReceiptHandle=message["ReceiptHandle"])
    assert '"compute"' in lost[0]["Body"]
    rig.run_until(rig.status_is(payout.id, service.AWAITING_APPROVAL), timeout=20)  # the retry got through
    history = rig.aws.sfn.get_execution_history(executionArn=rig.get(payout.id).execution_arn)["events"]
    assert any(e["type"] == "TaskTimedOut" for e in history)


def test_deals_changed_behind_the_payout_send_it_to_manual_review_and_a_person_fails_it(rig: Rig) -> None:
    login = 7104
    cid, tickets = _funded_with_profit(rig, login)
    payout = rig.request(cid)
    with rig.uow() as uow:  # a deal's profit rewritten after the request: the amounts no longer hold
        uow.execute("UPDATE deals SET profit = profit + 1 WHERE server = %s AND ticket = %s", (rig.server, tickets[1]))
        uow.commit()
    rig.run_until(rig.status_is(payout.id, service.MANUAL_REVIEW))
    rig.run_until(rig.execution_ended(payout))
    assert rig.execution_status(payout) == "FAILED"  # ends in the ManualReview state
    review = rig.get(payout.id)
    assert review.review_from == service.REQUESTED and review.reason.startswith("AmountMismatch")
    assert "PayoutNeedsReview" in [e["detail-type"] for e in rig.events() if e["detail"]["challenge_id"] == cid]

    with pytest.raises(service.PayoutRefused) as refused:  # still open: no second payout meanwhile
        rig.request(cid)
    assert refused.value.code == service.PAYOUT_OPEN
    with pytest.raises(service.PayoutRefused):  # nothing was withdrawn, so it cannot be called paid
        service.resolve_review(rig.uow(), payout.id, service.PAID, "ops@example.com", "seen on MT5", rig.now, rig.ports)
    with pytest.raises(ValueError):
        service.resolve_review(rig.uow(), payout.id, service.FAILED, "ops@example.com", "", rig.now, rig.ports)

    failed = service.resolve_review(
        rig.uow(), payout.id, service.FAILED, "ops@example.com", "deal 2 corrected by the dealer", rig.now, rig.ports
    )
    assert failed.status == service.FAILED and failed.reason.startswith("ManualReview")
    again = service.resolve_review(
        rig.uow(), payout.id, service.FAILED, "ops@example.com", "deal 2 corrected by the dealer", rig.now, rig.ports
    )
    assert again.failed_at == failed.failed_at  # idempotent
    assert service.check_eligibility(rig.uow(), cid, rig.now).eligible  # its deals are free again


def test_a_withdrawal_with_no_answer_goes_to_review_and_a_person_records_it_paid(rig: Rig) -> None:
    rig.configure(timeouts=WorkflowTimeouts(withdrawal_seconds=1))
    login = 7105
    cid, tickets = _funded_with_profit(rig, login)
    payout = rig.request(cid)
    rig.approve(payout.id)
    rig.run_until(lambda: _outbox_status(rig, payout.id) == "sent")
    rig.take_commands()  # the poller took it, and its answer never came back
    rig.run_until(rig.status_is(payout.id, service.MANUAL_REVIEW))
    review = rig.get(payout.id)
    assert review.review_from == service.WITHDRAWING and review.reason.startswith("States.Timeout")

    paid = service.resolve_review(
        rig.uow(), payout.id, service.PAID, "ops@example.com", "deal 880201 on MT5", rig.now, rig.ports, deal=880201
    )
    assert paid.status == service.PAID and paid.withdrawal_deal == 880201 and list(paid.deals) == sorted(tickets)
    with pytest.raises(service.PayoutRefused) as refused:
        service.resolve_review(rig.uow(), payout.id, service.FAILED, "ops@example.com", "oops", rig.now, rig.ports)
    assert refused.value.code == service.ALREADY_DECIDED
    assert rig.audit_kinds(cid)[-2:] == ["payout.manual_review", "payout.paid"]


def test_the_database_refuses_a_deal_in_two_live_payouts_and_a_change_to_a_finished_one(rig: Rig) -> None:
    login = 7106
    cid, tickets = _funded_with_profit(rig, login)
    payout = rig.request(cid)
    with rig.uow() as uow:  # a second payout row written behind the service's back (every column the payout
        # routes show, as the service writes them: the suite's later tests list every payout of the database)
        other = uow.fetchone(
            "INSERT INTO payouts (challenge_id, server, login, amount, trader_share, status, profit, split_pct,"
            " requested_by, period_start, period_end)"
            " SELECT id, server, login, 1, 1, 'paid', 1, 80, 'test', now() - interval '1 day', now()"
            " FROM challenges WHERE id = %s RETURNING id", (cid,)
        )[0]
        uow.commit()
    with pytest.raises(psycopg.errors.UniqueViolation), rig.uow() as uow:
        uow.execute(
            "INSERT INTO payout_deals (payout_id, server, ticket) VALUES (%s, %s, %s)", (other, rig.server, tickets[0])
        )
    with pytest.raises(psycopg.errors.CheckViolation), rig.uow() as uow:
        uow.execute("UPDATE payouts SET status = 'rejected' WHERE id = %s", (other,))

    rig.reject(payout.id)  # a rejected payout releases its deals: another may claim them
    with rig.uow() as uow:
        uow.execute(
            "INSERT INTO payout_deals (payout_id, server, ticket) VALUES (%s, %s, %s)", (other, rig.server, tickets[0])
        )
        claimed = uow.fetchall(
            "SELECT payout_id FROM payout_deals WHERE server = %s AND ticket = %s AND claimed", (rig.server, tickets[0])
        )
        uow.rollback()
    assert claimed == [(other,)]
