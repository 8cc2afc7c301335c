"""Approve and reject through the API answer the payout workflow's task token: moto runs the state machine
the CDK app synthesizes (the payouts tests' rig), PostgreSQL and Redis are real, and the API's handler
takes the operator's decision on a payout waiting in AwaitApproval."""

from __future__ import annotations

from decimal import Decimal

import pytest
from propfirm.api.runtime import Runtime, set_runtime
from propfirm.live.keys import LiveKeys
from propfirm.payouts import service
from propfirm.payouts.ports import WorkflowTimeouts
from propfirm.store.registration import register_account_challenge

from tests.integration.api.conftest import WEBHOOK_SECRET, Api, claims
from tests.integration.api.test_handler import assert_problem
from tests.integration.payouts.conftest import Rig, aws, rig, synthesized_workflow  # noqa: F401 - fixtures
from tests.integration.payouts.test_workflow import _funded_with_profit, _outbox_status

ADMIN = claims("admin", "ops@example.com")


@pytest.fixture
def api_on_rig(rig: Rig, api_pool) -> Api:  # noqa: F811 - the imported fixture
    runtime = Runtime(
        pool=api_pool,
        redis=rig.redis,
        keys=LiveKeys(rig.namespace),
        webhook_secret=WEBHOOK_SECRET,
        server=rig.server,
        clock=lambda: rig.now,
        wall_clock=lambda: rig.now,
        payouts=rig.ports,  # the API starts and answers the rig's workflow in moto
    )
    set_runtime(runtime)
    yield Api(runtime, rig.url)
    set_runtime(None)


def _waiting(rig: Rig, login: int) -> service.PayoutRecord:  # noqa: F811
    cid, _ = _funded_with_profit(rig, login)
    payout = rig.request(cid)
    rig.run_until(rig.status_is(payout.id, service.AWAITING_APPROVAL))
    return payout


def test_approval_answers_the_task_token_and_the_withdrawal_follows(rig: Rig, api_on_rig: Api) -> None:  # noqa: F811
    payout = _waiting(rig, 7101)
    status, _, waiting = api_on_rig.call("GET", "/admin/payouts?status=awaiting_approval", claims=ADMIN)
    assert status == 200 and payout.id in [p["id"] for p in waiting["items"]]
    assert all("approval_token" not in p for p in waiting["items"])  # task tokens are never shown
    status, _, approved = api_on_rig.call(
        "POST", f"/admin/payouts/{payout.id}/approve", claims=ADMIN, body={"note": "checked"}
    )
    assert status == 200 and approved["status"] == service.APPROVED, approved
    answered = api_on_rig.rows("SELECT approval_answered_at FROM payouts WHERE id = %s", (payout.id,))
    assert answered[0][0] is not None
    # the workflow went on: Withdraw put the withdrawal in the outbox and sent it
    rig.run_until(lambda: _outbox_status(rig, payout.id) == "sent")


def test_rejection_answers_the_task_token_and_the_execution_ends(rig: Rig, api_on_rig: Api) -> None:  # noqa: F811
    payout = _waiting(rig, 7102)
    status, _, rejected = api_on_rig.call(
        "POST", f"/admin/payouts/{payout.id}/reject", claims=ADMIN,
        body={"code": "prohibited_strategy", "reason": "copy trading: deals 11-14 mirror account 7001"},
    )
    assert status == 200 and rejected["status"] == service.REJECTED, rejected
    assert rejected["reason"] == "prohibited_strategy: copy trading: deals 11-14 mirror account 7001"
    assert rejected["rejected_at"] is not None and rejected["requested_at"] <= rejected["rejected_at"]
    rig.run_until(rig.execution_ended(payout))
    assert rig.execution_status(payout) == "SUCCEEDED" and rig.take_commands() == []
    # and an approval after the rejection is a conflict, not a second decision
    assert_problem(*api_on_rig.call("POST", f"/admin/payouts/{payout.id}/approve", claims=ADMIN, body={}), 409)


def test_a_flagged_payout_needs_a_note_and_one_in_manual_review_is_settled_by_an_admin(
    rig: Rig,  # noqa: F811
    api_on_rig: Api,
) -> None:
    api_on_rig.runtime.payouts = rig.configure(timeouts=WorkflowTimeouts(withdrawal_seconds=1))
    login = 7103
    cid, _ = _funded_with_profit(rig, login)
    rig.snapshot(login, "102000.00")  # the deals do not explain this balance
    payout = rig.request(cid)
    rig.run_until(lambda: bool(rig.get(payout.id).flags) and rig.get(payout.id).status == service.AWAITING_APPROVAL)

    status, _, shown = api_on_rig.call("GET", "/admin/payouts?status=awaiting_approval", claims=ADMIN)
    [mine] = [p for p in shown["items"] if p["id"] == payout.id]
    assert mine["flags"][0]["code"] == "balance_mismatch"
    answer = api_on_rig.call("POST", f"/admin/payouts/{payout.id}/approve", claims=ADMIN, body={})
    assert_problem(*answer, 409)
    assert answer[2]["code"] == service.NOTE_REQUIRED
    status, _, approved = api_on_rig.call(
        "POST", f"/admin/payouts/{payout.id}/approve", claims=ADMIN, body={"note": "commission deal, checked"}
    )
    assert status == 200 and approved["status"] == service.APPROVED

    # the poller never answers the withdrawal: manual review, settled through the API
    rig.run_until(lambda: _outbox_status(rig, payout.id) == "sent")
    rig.take_commands()
    rig.run_until(rig.status_is(payout.id, service.MANUAL_REVIEW))
    status, _, listed = api_on_rig.call("GET", "/admin/payouts?status=manual_review", claims=ADMIN)
    assert status == 200 and payout.id in [p["id"] for p in listed["items"]]
    support = claims("support", "desk@example.com")
    body = {"outcome": "paid", "note": "deal 880301 on MT5", "deal": 880301}
    assert_problem(*api_on_rig.call("POST", f"/admin/payouts/{payout.id}/resolve", claims=support, body=body), 403)
    assert_problem(
        *api_on_rig.call("POST", f"/admin/payouts/{payout.id}/resolve", claims=ADMIN, body={"outcome": "lost"}), 422
    )
    status, _, paid = api_on_rig.call("POST", f"/admin/payouts/{payout.id}/resolve", claims=ADMIN, body=body)
    assert status == 200 and paid["status"] == service.PAID and paid["withdrawal_deal"] == 880301
    again = api_on_rig.call("POST", f"/admin/payouts/{payout.id}/resolve", claims=ADMIN, body=body)
    assert again[0] == 200  # idempotent
    answer = api_on_rig.call(
        "POST", f"/admin/payouts/{payout.id}/resolve", claims=ADMIN, body={"outcome": "failed", "note": "not paid"}
    )
    assert_problem(*answer, 409)
    assert answer[2]["code"] == service.ALREADY_DECIDED


# -- four eyes ---------------------------------------------------------------------------------------------
def _owned_payout(rig: Rig, login: int, email: str, sub: str, requested_by: str) -> service.PayoutRecord:  # noqa: F811
    """A funded challenge of the trader `email`/`sub` with profit, and a payout `requested_by` asked for."""
    with rig.uow() as uow:
        register_account_challenge(
            uow, rig.server, login, "two-step-100k", 2, email, time=rig.funded_at, trader_sub=sub
        )
        uow.commit()
    cid, _ = _funded_with_profit(rig, login)  # the account's challenge is the one registered above
    payout = service.request_payout(rig.uow(), cid, requested_by, rig.now, rig.ports)
    rig.run_until(rig.status_is(payout.id, service.AWAITING_APPROVAL))
    return payout


def test_staff_who_trade_never_approve_their_own_payout(rig: Rig, api_on_rig: Api) -> None:  # noqa: F811
    """Sam is staff (an admin login) and trades (a trader login, another sub, the same email)."""
    staff_email = "sam.staff@example.com"
    payout = _owned_payout(rig, 7111, staff_email, "sam-trader-login", requested_by="sam-trader-login")
    sams_admin_login = claims("admin", staff_email)  # another sub than the trader login's
    answer = api_on_rig.call("POST", f"/admin/payouts/{payout.id}/approve", claims=sams_admin_login, body={})
    assert_problem(*answer, 403)
    assert answer[2]["type"].endswith("/four-eyes") and answer[2]["code"] == "four_eyes"
    assert rig.get(payout.id).status == service.AWAITING_APPROVAL  # nothing was decided
    status, _, approved = api_on_rig.call("POST", f"/admin/payouts/{payout.id}/approve", claims=ADMIN, body={})
    assert status == 200 and approved["status"] == service.APPROVED


def test_the_requester_never_approves_the_payout_even_as_admin(rig: Rig, api_on_rig: Api) -> None:  # noqa: F811
    both = claims("admin", "pat.both@example.com", groups="[admin trader]", sub="pat-one-login")
    payout = _owned_payout(rig, 7112, "pat.trader@example.com", "pat-trader-login", requested_by="pat-one-login")
    answer = api_on_rig.call("POST", f"/admin/payouts/{payout.id}/approve", claims=both, body={"note": "mine"})
    assert_problem(*answer, 403)
    assert "requested" in answer[2]["detail"]
    decided = api_on_rig.rows(
        "SELECT count(*) FROM audit_log WHERE kind IN ('payout.approved', 'payout.first_approval')"
        " AND payload->>'payout_id' = %s",
        (str(payout.id),),
    )
    assert decided == [(0,)]


def test_above_the_amount_two_different_approvers_are_needed(
    rig: Rig,  # noqa: F811
    api_on_rig: Api,
) -> None:
    api_on_rig.runtime.payouts = rig.configure(second_approval_above=Decimal("1000"))  # it withdraws 1,997.57
    payout = _owned_payout(rig, 7113, "ann.trader@example.com", "ann-trader-login", requested_by="ann-trader-login")
    status, _, first = api_on_rig.call("POST", f"/admin/payouts/{payout.id}/approve", claims=ADMIN, body={})
    assert status == 200 and first["status"] == service.AWAITING_APPROVAL and len(first["approvals"]) == 1
    assert first["approvals"][0]["email"] == "ops@example.com"
    again = api_on_rig.call("POST", f"/admin/payouts/{payout.id}/approve", claims=ADMIN, body={})
    assert_problem(*again, 403)  # the same person twice is one approval
    second_admin = claims("admin", "lee.ops@example.com")
    status, _, approved = api_on_rig.call(
        "POST", f"/admin/payouts/{payout.id}/approve", claims=second_admin, body={"note": "second pair of eyes"}
    )
    assert status == 200 and approved["status"] == service.APPROVED
    assert [a["email"] for a in approved["approvals"]] == ["ops@example.com", "lee.ops@example.com"]
    rig.run_until(lambda: _outbox_status(rig, payout.id) == "sent")  # the workflow went on to the withdrawal
    rows = api_on_rig.rows("SELECT kind FROM audit_log WHERE payload->>'payout_id' = %s ORDER BY id", (str(payout.id),))
    kinds = [k for (k,) in rows]
    assert "payout.first_approval" in kinds and kinds.index("payout.first_approval") < kinds.index("payout.approved")
