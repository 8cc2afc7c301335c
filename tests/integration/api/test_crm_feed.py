"""The CRM sync feed: a CRM reading from its last cursor gets each challenge whose status, phase, account or
payouts changed, once per change, and not the routine state saves; cursors page through and survive."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from propfirm.api import crm_feed
from propfirm.store.uow import UnitOfWork

from tests.integration.api.conftest import Api, claims, new_login
from tests.integration.api.test_handler import assert_problem, email

ADMIN = claims("admin", "ops@example.com")
SUPPORT = claims("support", "desk@example.com")


@pytest.fixture(autouse=True)
def no_settling(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(crm_feed, "SETTLE", timedelta(0))  # the tests' changes are committed before they read


def write(api: Api, query: str, params: tuple) -> Any:
    with UnitOfWork(api.url) as uow:
        row = uow.fetchone(query, params) if "RETURNING" in query else uow.execute(query, params)
        uow.commit()
    return row[0] if isinstance(row, tuple) else None


def drain(api: Api, cursor: str | None, limit: int = 1000) -> tuple[list[dict[str, Any]], str | None]:
    """Every page from `cursor` to the end: the items and the cursor to read from next."""
    items: list[dict[str, Any]] = []
    while True:
        path = f"/admin/crm/challenges?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        status, _, page = api.call("GET", path, claims=SUPPORT)
        assert status == 200, page
        items += page["items"]
        if page["next_cursor"] == cursor or not page["items"]:
            return items, page["next_cursor"]
        cursor = page["next_cursor"]


def test_a_crm_reads_each_change_once_from_its_cursor(api: Api) -> None:
    _, cursor = drain(api, None)  # everything so far: the CRM's initial sync
    trader = email()
    first, second = api.account_challenge(trader, new_login()), api.account_challenge(trader, new_login())
    items, cursor = drain(api, cursor)
    mine = {i["challenge_id"]: i for i in items if i["challenge_id"] in (first, second)}
    assert set(mine) == {first, second}
    record = mine[first]
    assert record["trader"] == {"email": trader} and record["status"] == "active"
    assert record["program"]["id"] == "two-step-100k" and record["phase"]["index"] == 0
    assert record["account"]["login"] > 0 and record["payouts"] == {"count": 0, "paid": 0, "paid_to_trader": "0",
                                                                    "history": []}
    assert record["progress"]["target_balance"] == "110000" and record["progress"]["trading_days"] == 0
    # nothing changed: the same cursor comes back with nothing
    assert drain(api, cursor) == ([], cursor)
    # a routine state save is not a CRM change; a failure is, and so is a payout's every status
    write(api, "UPDATE challenges SET state = state, version = version + 1 WHERE id = %s", (second,))
    assert drain(api, cursor)[0] == []
    status, _, _ = api.call("POST", f"/admin/challenges/{first}/fail", claims=ADMIN, body={"reason": "crm test"})
    assert status == 200
    items, cursor = drain(api, cursor)
    assert [(i["challenge_id"], i["status"]) for i in items] == [(first, "failed")]
    # a payout as the service records one (every column the payout routes show), requested, then paid
    payout = write(api, "INSERT INTO payouts (challenge_id, server, login, amount, trader_share, status, profit,"
                   " split_pct, requested_by, period_start, period_end)"
                   " SELECT id, server, login, 1000, 800, 'requested', 1000, 80, 'crm test', now() - interval '1 day',"
                   " now() FROM challenges WHERE id = %s RETURNING id", (second,))
    write(api, "UPDATE payouts SET status = 'paid', paid_at = now() WHERE id = %s", (payout,))
    items, cursor = drain(api, cursor)
    [paid] = items
    assert paid["challenge_id"] == second and paid["payouts"]["paid"] == 1
    assert paid["payouts"]["paid_to_trader"] == "800" and paid["payouts"]["history"][0]["status"] == "paid"


def test_pages_follow_the_cursor_in_order_and_a_bad_cursor_is_refused(api: Api) -> None:
    _, cursor = drain(api, None)
    made = [api.account_challenge(email(), new_login()) for _ in range(5)]
    items, _ = drain(api, cursor, limit=2)  # three pages
    ours = [i["challenge_id"] for i in items if i["challenge_id"] in made]
    assert ours == made  # oldest change first, each once
    changed = [i["changed_at"] for i in items]
    assert changed == sorted(changed)
    status, headers, problem = api.call("GET", "/admin/crm/challenges?cursor=bm90LWEtY3Vyc29y", claims=SUPPORT)
    assert_problem(status, headers, problem, 422)
    status, _, _ = api.call("GET", "/admin/crm/challenges", claims=claims("trader", "t@example.com"))
    assert status == 403
