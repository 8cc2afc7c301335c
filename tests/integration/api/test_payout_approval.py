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
