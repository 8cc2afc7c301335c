"""Approve and reject through the API answer the payout workflow's task token: moto runs the state machine
the CDK app synthesizes (the payouts tests' rig), PostgreSQL and Redis are real, and the API's handler
takes the operator's decision on a payout waiting in AwaitApproval."""

from __future__ import annotations

import pytest
from propfirm.api.runtime import Runtime, set_runtime
from propfirm.live.keys import LiveKeys
from propfirm.payouts import service

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
        "POST", f"/admin/payouts/{payout.id}/reject", claims=ADMIN, body={"reason": "copy trading"}
    )
    assert status == 200 and rejected["status"] == service.REJECTED, rejected
    rig.run_until(rig.execution_ended(payout))
    assert rig.execution_status(payout) == "SUCCEEDED" and rig.take_commands() == []
    # and an approval after the rejection is a conflict, not a second decision
    assert_problem(*api_on_rig.call("POST", f"/admin/payouts/{payout.id}/approve", claims=ADMIN, body={}), 409)


def test_a_flagged_payout_needs_a_note_and_one_in_manual_review_is_settled_by_an_admin(
    rig: Rig,  # noqa: F811
    api_on_rig: Api,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PAYOUTS_WITHDRAWAL_TIMEOUT_SECONDS", "1")
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
