"""The payout workflow end to end: PostgreSQL, Redis, and moto running the real state machine.

request → Compute → AwaitApproval (token stored) → approve → Withdraw → AwaitWithdrawal (floor lowered,
withdrawal in the outbox and on the command queue) → the poller's CommandResult through the evaluator's
feedback recorder → Record → paid; and the rejection, duplicate approval, refusal and failure paths.
"""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from propfirm.evaluation.deals import ROLE_BALANCE, classify
from propfirm.payouts import service
from propfirm.queues.messages import BalanceOperationCommand, DealRecord
from propfirm.queues.tags import balance_comment

from tests.integration.payouts.conftest import Rig


def _funded_with_profit(rig: Rig, login: int) -> tuple[int, list[int]]:
    """Three closed positions: +1492.00, -308.00, +813.57 (profit + swap + both commissions) = 1997.57."""
    cid = rig.challenge(login)
    tickets = rig.trade(cid, login, 9001, 2, "1500.00")
    tickets += rig.trade(cid, login, 9002, 5, "-300.00")
    tickets += rig.trade(cid, login, 9003, 9, "821.57")
    rig.balance_deal(cid, login, 3, "250.00", "deposit correction")  # not trading profit, not covered
    rig.snapshot(login, Decimal("100000") + Decimal("250.00") + Decimal("1997.57"))  # the deals explain it
    return cid, tickets


def test_request_approve_withdraw_paid(rig: Rig) -> None:
    login = 7001
    cid, tickets = _funded_with_profit(rig, login)
    rig.floor(login)

    eligibility = service.check_eligibility(rig.uow(), cid, rig.now)
    assert eligibility.eligible, eligibility.denials
    quote = eligibility.quote
    assert quote is not None
    assert quote.profit == Decimal("1997.57")
    assert quote.split_pct == Decimal(80)
    assert quote.split_share == Decimal("1598.05")  # 1598.056 rounded down
    assert quote.fee_refund == Decimal(540)
    assert quote.trader_share == Decimal("2138.05")
    assert list(quote.deals) == sorted(tickets)

    payout = rig.request(cid)
    assert payout.status == service.REQUESTED
    assert payout.amount == Decimal("1997.57") and payout.trader_share == Decimal("2138.05")
    assert list(payout.deals) == sorted(tickets)
    assert payout.execution_arn is not None and payout.execution_arn.endswith(f"payout-{payout.id}")

    rig.run_until(rig.status_is(payout.id, service.AWAITING_APPROVAL))
    with rig.uow() as uow:
        token = uow.fetchone("SELECT approval_token FROM payouts WHERE id = %s", (payout.id,))[0]
    assert token  # the workflow waits on the token stored on the payout row
    assert rig.floor_present(login)  # untouched until the withdrawal

    approved = rig.approve(payout.id)
    assert approved.status == service.APPROVED and approved.decided_by == "admin@example.com"

    rig.run_until(lambda: _outbox_status(rig, payout.id) == "sent")
    commands = rig.take_commands()
    assert len(commands) == 1
    command = commands[0]
    assert isinstance(command, BalanceOperationCommand)
    assert command.command_id == f"payout:{payout.id}:withdraw"
    assert command.amount == Decimal("-1997.57") and command.login == login and command.server == rig.server
    assert command.comment == f"payout {payout.id}" and len(command.comment) <= 31
    # the floor was lowered by the amount before the command could be sent (same version and expiry)
    assert rig.floor_level(login) == Decimal("93002.43")

    rig.command_result(command.command_id, login, ok=True, deal=880001)
    assert rig.floor_level(login) == Decimal("93002.43")  # kept until the evaluator has judged the deal
    rig.run_until(rig.status_is(payout.id, service.PAID))
    rig.run_until(rig.execution_ended(payout))
    assert rig.execution_status(payout) == "SUCCEEDED"

    paid = rig.get(payout.id)
    assert paid.withdrawal_deal == 880001
    assert list(paid.deals) == sorted(tickets)
    for stage in ("requested_at", "awaiting_approval_at", "approved_at", "withdrawing_at", "paid_at"):
        assert getattr(paid, stage) is not None, stage
    assert rig.audit_kinds(cid) == [
        "payout.requested",
        "payout.awaiting_approval",
        "payout.approved",
        "payout.withdrawing",
        "payout.withdrawal_queued",
        "payout.paid",
    ]
    kinds = [e["detail-type"] for e in rig.events() if e["detail"]["challenge_id"] == cid]
    assert kinds == ["PayoutRequested", "PayoutApproved", "PayoutPaid"]

    # the withdrawal's deal, as the poller will report it, is the trader's balance operation (not ours)
    with rig.uow() as uow:
        comments = uow.outbox.system_comments(rig.server, [login], [balance_comment(command)])
    deal = DealRecord(
        ticket=880001,
        login=login,
        time=rig.now,
        action="balance",
        entry="in",
        symbol="",
        volume="0",
        price="0",
        profit="-1997.57",
        commission="0",
        swap="0",
        position=0,
        comment=balance_comment(command),
    )
    assert classify(deal, comments, set()).role == ROLE_BALANCE

    # the next period starts now: nothing left to pay, and 14 days to wait
    after = service.check_eligibility(rig.uow(), cid, rig.now)
    assert {d.code for d in after.denials} == {"not_in_profit", "min_days"}
    assert after.quote is not None and after.quote.payout_number == 2 and after.quote.fee_refund == 0


def _outbox_status(rig: Rig, payout_id: int) -> str | None:
    with rig.uow() as uow:
        row = uow.outbox.get(f"payout:{payout_id}:withdraw")
    return None if row is None else row["status"]


def test_reject_then_a_new_request_covers_the_same_deals(rig: Rig) -> None:
    login = 7002
    cid, tickets = _funded_with_profit(rig, login)
    payout = rig.request(cid)
    rig.run_until(rig.status_is(payout.id, service.AWAITING_APPROVAL))

    rejected = rig.reject(payout.id)
    assert rejected.status == service.REJECTED and rejected.reason == "trades copied from another account"
    assert rig.reject(payout.id).rejected_at == rejected.rejected_at  # idempotent
    with pytest.raises(service.PayoutRefused) as refused:
        rig.approve(payout.id)
    assert refused.value.code == service.ALREADY_DECIDED

    rig.run_until(rig.execution_ended(payout))
    assert rig.execution_status(payout) == "SUCCEEDED"
    assert rig.take_commands() == []
    assert rig.audit_kinds(cid) == ["payout.requested", "payout.awaiting_approval", "payout.rejected"]
    assert [e["detail-type"] for e in rig.events() if e["detail"]["challenge_id"] == cid] == [
        "PayoutRequested",
        "PayoutRejected",
    ]

    again = rig.request(cid)  # a rejected payout covers nothing: the same deals are in the new one
    assert list(again.deals) == sorted(tickets) and again.payout_number == 1


def test_duplicate_approval_is_one_approval_and_a_second_request_is_refused(rig: Rig) -> None:
    login = 7003
    cid, _ = _funded_with_profit(rig, login)
    payout = rig.request(cid)

    with pytest.raises(service.PayoutRefused) as refused:
        rig.request(cid)
    assert refused.value.code == service.PAYOUT_OPEN
    assert service.check_eligibility(rig.uow(), cid, rig.now).denials[-1].code == service.PAYOUT_OPEN

    # approved before the workflow reached AwaitApproval: the worker answers at once when it gets there
    first = rig.approve(payout.id)
    second = rig.approve(payout.id, who="someone-else@example.com")
    assert second.approved_at == first.approved_at and second.decided_by == "admin@example.com"
    rig.run_until(rig.status_is(payout.id, service.WITHDRAWING))
    assert rig.approve(payout.id).status == service.WITHDRAWING  # still one approval, no error
    assert rig.audit_kinds(cid).count("payout.approved") == 1
    assert rig.audit_kinds(cid).count("payout.refused") == 1

    listed = service.list_payouts(rig.uow(), challenge_id=cid)
    assert [p.id for p in listed] == [payout.id]
    assert service.list_payouts(rig.uow(), status=service.WITHDRAWING, challenge_id=cid)[0].id == payout.id


def test_failed_withdrawal_ends_failed(rig: Rig) -> None:
    login = 7004
    cid, _ = _funded_with_profit(rig, login)
    payout = rig.request(cid)
    rig.approve(payout.id)
    rig.run_until(lambda: _outbox_status(rig, payout.id) == "sent")
    [command] = rig.take_commands()
    assert not rig.floor_present(login)  # no floor was published for this account: none is made up

    rig.floor(login)  # say the evaluator published one meanwhile
    rig.command_result(command.command_id, login, ok=False)
    assert not rig.floor_present(login)  # no withdrawal: the evaluator renews the true floor next time
    rig.run_until(rig.status_is(payout.id, service.FAILED))
    rig.run_until(rig.execution_ended(payout))
    failed = rig.get(payout.id)
    assert failed.failed_at is not None and failed.paid_at is None
    assert failed.reason is not None and failed.reason.startswith("WithdrawalFailed")
    assert rig.execution_status(payout) == "FAILED"
    assert rig.audit_kinds(cid)[-1] == "payout.failed"
    # a failed payout covers nothing: the profit can be asked for again
    assert service.check_eligibility(rig.uow(), cid, rig.now).eligible


def test_account_failed_after_approval_ends_failed_without_withdrawal(rig: Rig) -> None:
    login = 7005
    cid, _ = _funded_with_profit(rig, login)
    payout = rig.request(cid)
    rig.run_until(rig.status_is(payout.id, service.AWAITING_APPROVAL))
    with rig.uow() as uow:  # the evaluator failed the account meanwhile
        uow.execute("UPDATE challenges SET status = 'failed' WHERE id = %s", (cid,))
        uow.commit()
    rig.approve(payout.id)
    rig.run_until(rig.status_is(payout.id, service.FAILED))
    assert rig.get(payout.id).reason.startswith("AccountNotActive")
    assert _outbox_status(rig, payout.id) is None and rig.take_commands() == []


def test_ineligible_requests_are_refused_with_codes_and_audited(rig: Rig) -> None:
    # not funded yet: in the first evaluation phase
    evaluation = rig.challenge(7006, phase=0)
    with pytest.raises(service.PayoutRefused) as refused:
        rig.request(evaluation)
    assert refused.value.code == service.NOT_ELIGIBLE
    assert "not_funded" in {d.code for d in refused.value.denials}

    # funded, but a position is open and the last trade lost money
    login = 7007
    cid = rig.challenge(login)
    rig.trade(cid, login, 9101, 3, "-120.00")
    rig.trade(cid, login, 9102, 4, "0", close=False)
    with pytest.raises(service.PayoutRefused) as refused:
        rig.request(cid)
    denials = {d.code: d for d in refused.value.denials}
    assert set(denials) == {"no_open_positions", "not_in_profit"}
    assert denials["no_open_positions"].value == "1" and denials["no_open_positions"].limit == "0"
    assert (
        denials["not_in_profit"].value == "-128.00"
    )  # -120 - 3.50 - 3.50 - 1.00; the open one counts nothing
    assert rig.audit_kinds(cid) == ["payout.refused"]
    assert service.list_payouts(rig.uow(), challenge_id=cid) == []

    with pytest.raises(service.ChallengeNotFound):
        service.check_eligibility(rig.uow(), 99_999_999, rig.now)
    with pytest.raises(service.PayoutNotFound):
        rig.approve(99_999_999)


def test_the_sweep_starts_unstarted_payouts_and_passes_on_a_lost_withdrawal_result(rig: Rig) -> None:
    login = 7008
    cid, _ = _funded_with_profit(rig, login)
    without_step_functions = service.PayoutPorts()  # the API without Step Functions (local, no ARN)
    payout = service.request_payout(rig.uow(), cid, "t@example.com", rig.now, without_step_functions)
    assert payout.status == service.REQUESTED and payout.execution_arn is None
    assert service.start_pending(rig.uow(), rig.now, rig.ports) == 1
    started = rig.get(payout.id)
    assert started.execution_arn is not None
    assert service.start_pending(rig.uow(), rig.now, rig.ports) == 0  # nothing left to start

    rig.approve(payout.id)
    rig.run_until(lambda: _outbox_status(rig, payout.id) == "sent")
    [command] = rig.take_commands()
    rig.command_result(command.command_id, login, ok=True, deal=880002, workflow_reachable=False)  # not passed on
    assert rig.get(payout.id).status == service.WITHDRAWING
    assert service.start_pending(rig.uow(), rig.now, rig.ports) == 1
    rig.run_until(rig.status_is(payout.id, service.PAID))
    assert rig.get(payout.id).withdrawal_deal == 880002


def test_auto_requester_and_auto_approver_for_demos(rig: Rig) -> None:
    from propfirm.payouts.local import AUTO_APPROVER, AUTO_REQUESTER, auto_approver, auto_requester

    cid, _ = _funded_with_profit(rig, 7009)
    evaluation = rig.challenge(7010, phase=0)
    rig.trade(evaluation, 7010, 9301, 2, "900.00")  # in profit, but not funded: never asked for
    # (other tests' challenges share the database: only this test's are asserted)
    requested = auto_requester(rig.uow(), rig.ports, now=rig.now)
    mine = [p for p in service.list_payouts(rig.uow(), challenge_id=cid) if p.id in requested]
    assert [p.requested_by for p in mine] == [AUTO_REQUESTER]
    assert service.list_payouts(rig.uow(), challenge_id=evaluation) == []
    payout = mine[0]
    rig.run_until(rig.status_is(payout.id, service.AWAITING_APPROVAL))
    assert payout.id not in auto_approver(rig.uow(), rig.ports, after_seconds=60, now=rig.now)
    later = rig.now + timedelta(seconds=61)
    assert payout.id in auto_approver(rig.uow(), rig.ports, after_seconds=60, now=later)
    approved = rig.get(payout.id)
    assert approved.decided_by == AUTO_APPROVER and approved.approved_at == later
    rig.run_until(rig.status_is(payout.id, service.WITHDRAWING))


def test_the_state_machine_that_runs_is_the_one_the_cdk_app_synthesized(rig: Rig, synthesized_workflow) -> None:
    running = rig.aws.sfn.describe_state_machine(stateMachineArn=rig.aws.flow.state_machine_arn)["definition"]
    assert running == synthesized_workflow.resolve(rig.aws.flow.queue_url)
    assert set(synthesized_workflow.substitutions) == {"PayoutTasksQueueUrl"}
    assert json.loads(running)["States"]["AwaitApproval"]["Parameters"]["QueueUrl"] == rig.aws.flow.queue_url
