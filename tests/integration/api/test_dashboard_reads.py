"""What the web dashboards read beyond the first slice: conditional GETs (ETag, 304), performance
metrics from the closed deals, the trade history filtered by symbol and role."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from propfirm.store.deals import DealRow
from propfirm.store.uow import UnitOfWork

from tests.integration.api.conftest import Api, claims, new_login
from tests.integration.api.test_handler import assert_problem, email

SUPPORT = claims("support", "desk@example.com")
ADMIN = claims("admin", "ops@example.com")


def _deals(api: Api, cid: int, login: int) -> None:
    start = api.runtime.clock() - timedelta(minutes=90)  # after the phase began (two hours ago)

    def row(ticket: int, minutes: int, entry: str, symbol: str, profit: str, position: int, role: str = "trade",
            action: str = "buy") -> DealRow:
        return DealRow(api.runtime.server, ticket, login, cid, start + timedelta(minutes=minutes), action, entry,
                       symbol, Decimal(1), Decimal("1.1"), Decimal(profit), Decimal("-3.50"), Decimal(0), position,
                       ticket, "", role)

    with UnitOfWork(api.url) as uow:
        uow.deals.upsert([
            row(1, 0, "in", "EURUSD", "0", 1), row(2, 5, "out", "EURUSD", "507.00", 1, action="sell"),
            row(3, 10, "in", "XAUUSD", "0", 3), row(4, 15, "out", "XAUUSD", "-293.00", 3, action="sell"),
            row(5, 20, "in", "EURUSD", "0", 5),  # still open
            row(6, 25, "in", "", "0", 0, role="balance_operation", action="balance"),
        ])
        uow.commit()


def test_performance_and_the_filtered_trade_history(api: Api) -> None:
    mine = email()
    who = claims("trader", mine)
    login = new_login()
    cid = api.account_challenge(mine, login)
    _deals(api, cid, login)
    status, _, perf = api.call("GET", f"/challenges/{cid}/performance", claims=who)
    assert status == 200, perf
    assert (perf["closed_positions"], perf["open_positions"], perf["wins"], perf["losses"]) == (2, 1, 1, 1)
    assert (perf["net"], perf["win_rate"], perf["profit_factor"]) == ("200.00", "0.5000", "1.6667")
    assert perf["currency"] == "USD" and perf["scope"] == "phase" and perf["since"] is not None
    status, _, whole = api.call("GET", f"/challenges/{cid}/performance?scope=challenge", claims=who)
    assert status == 200 and whole["since"] is None and whole["net"] == "200.00"
    assert_problem(*api.call("GET", f"/challenges/{cid}/performance?scope=week", claims=who), 422)
    assert_problem(*api.call("GET", f"/challenges/{cid}/performance", claims=claims("trader", email())), 404)

    status, _, gold = api.call("GET", f"/challenges/{cid}/deals?symbol=XAUUSD", claims=who)
    assert status == 200 and [d["ticket"] for d in gold["items"]] == [4, 3]
    status, _, ops = api.call("GET", f"/challenges/{cid}/deals?role=balance_operation", claims=who)
    assert [d["ticket"] for d in ops["items"]] == [6]
    status, _, page = api.call("GET", f"/challenges/{cid}/deals?symbol=EURUSD&limit=2", claims=who)
    assert [d["ticket"] for d in page["items"]] == [5, 2] and page["next_cursor"] == 2
    status, _, rest = api.call("GET", f"/challenges/{cid}/deals?symbol=EURUSD&cursor=2", claims=who)
    assert [d["ticket"] for d in rest["items"]] == [1]
    assert_problem(*api.call("GET", f"/challenges/{cid}/deals?symbol=EUR%20USD", claims=who), 422)


def test_an_unchanged_answer_is_304_without_a_body(api: Api) -> None:
    status, headers, first = api.call("GET", "/admin/accounts?limit=5", claims=SUPPORT)
    assert status == 200 and headers["Cache-Control"] == "private, no-cache"
    tag = headers["ETag"]
    assert tag.startswith('"') and len(tag) == 34
    status, again, body = api.call("GET", "/admin/accounts?limit=5", claims=SUPPORT, headers={"If-None-Match": tag})
    assert status == 304 and body is None and again["ETag"] == tag
    status, _, _ = api.call("GET", "/admin/accounts?limit=5", claims=SUPPORT,
                            headers={"If-None-Match": f'W/"nope", W/{tag}'})
    assert status == 304  # a list, compared weakly
    # something changed: a listed account failed (and left the list of active ones); the old tag no longer
    # matches (whatever else the shared database holds, this changes the page)
    if first["items"]:
        listed = first["items"][0]["id"]
        assert api.call("POST", f"/admin/challenges/{listed}/fail", claims=ADMIN, body={"reason": "etag"})[0] == 200
    else:
        api.account_challenge(email(), new_login())  # the empty page gains one
    status, changed, body = api.call("GET", "/admin/accounts?limit=5", claims=SUPPORT, headers={"If-None-Match": tag})
    assert status == 200 and changed["ETag"] != tag and body["items"] != first["items"]
    # writes and problems carry no tag
    status, headers, _ = api.call("GET", "/admin/challenges/987654321", claims=SUPPORT)
    assert status == 404 and "ETag" not in headers
