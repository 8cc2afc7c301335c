"""The explanation routes: the trader reads their own decisions' explanations, support and admin any;
the same record `propfirm explain` prints (the evaluator's own decisions are recomputed in
tests/integration/evaluator/test_explanations.py)."""

from __future__ import annotations

from tests.integration.api.conftest import Api, claims, new_login
from tests.integration.api.test_handler import assert_problem, email

ADMIN = claims("admin", "ops@example.com")
SUPPORT = claims("support", "desk@example.com")


def test_the_trader_and_support_read_the_same_explanation_and_no_one_elses(api: Api) -> None:
    mine = email()
    who = claims("trader", mine)
    login = new_login()
    cid = api.account_challenge(mine, login)
    api.snapshot(login, balance="96000.00", equity="95800.00")
    assert api.call("POST", f"/admin/challenges/{cid}/fail", claims=ADMIN, body={"reason": "copy trading"})[0] == 200
    status, _, listed = api.call("GET", f"/challenges/{cid}/transitions", claims=who)
    assert status == 200
    [transition] = listed["items"]
    tid = transition["id"]

    status, _, record = api.call("GET", f"/challenges/{cid}/transitions/{tid}/explanation", claims=who)
    assert status == 200, record
    assert (record["transition_id"], record["challenge_id"], record["decision"], record["reason"]) == (
        tid, cid, "failed", "manual")
    assert record["manual"] is True and record["same"] is True and record["replayed"] is False
    assert "An operator (ops@example.com) recorded 'failed'" in record["text"]
    assert "copy trading" in record["text"]

    status, _, staff = api.call("GET", f"/admin/transitions/{tid}/explanation", claims=SUPPORT)
    assert status == 200 and staff == record

    # another trader, another challenge's path, an unknown id: 404 alike; a trader on the admin route: 403
    other = claims("trader", email())
    assert_problem(*api.call("GET", f"/challenges/{cid}/transitions/{tid}/explanation", claims=other), 404)
    own_other = api.account_challenge(mine, new_login())
    assert_problem(*api.call("GET", f"/challenges/{own_other}/transitions/{tid}/explanation", claims=who), 404)
    assert_problem(*api.call("GET", "/admin/transitions/987654321/explanation", claims=SUPPORT), 404)
    assert_problem(*api.call("GET", f"/admin/transitions/{tid}/explanation", claims=who), 403)
    assert_problem(*api.call("GET", f"/challenges/{cid}/transitions/0/explanation", claims=who), 422)
