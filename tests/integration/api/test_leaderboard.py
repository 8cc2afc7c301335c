"""The leaderboard: a trader opts in under a display name; the public route lists opted-in challenges
without a token and without personal data, ranked as asked."""

from __future__ import annotations

from datetime import timedelta

from propfirm.api import leaderboard_view
from propfirm.store.uow import UnitOfWork

from tests.integration.api.conftest import Api, claims, new_login
from tests.integration.api.test_handler import assert_problem, email


def days(api: Api, challenge_id: int, profits: list[str]) -> None:
    today = api.runtime.clock().date()
    balance = 100000
    with UnitOfWork(api.url) as uow:
        for i, profit in enumerate(profits):
            close = balance + int(profit)
            uow.execute(
                "INSERT INTO daily_statistics (challenge_id, trading_day, start_balance, close_equity, profit)"
                " VALUES (%s, %s, %s, %s, %s)",
                (challenge_id, today - timedelta(days=len(profits) - i), balance, close, profit),
            )
            balance = close
        uow.commit()


def test_opted_in_traders_are_listed_by_name_only(api: Api) -> None:
    leaderboard_view._cache.clear()
    listed, hidden = email(), email()
    mine = api.account_challenge(listed, new_login())
    other = api.account_challenge(hidden, new_login())
    days(api, mine, ["1500", "-500", "2000"])
    days(api, other, ["9000"])
    who = api.trader_claims(listed)
    status, _, joined = api.call("PUT", "/me/leaderboard", claims=who, body={"display_name": "Steady Eddie"})
    assert status == 200 and joined == {"display_name": "Steady Eddie"}

    status, headers, board = api.call("GET", "/leaderboard?board=challenge&days=30&sort=return")  # no token
    assert status == 200 and headers["Cache-Control"] == "public, max-age=60"
    [entry] = [e for e in board["items"] if e["name"] == "Steady Eddie"]
    assert entry == {
        "rank": entry["rank"],
        "name": "Steady Eddie",
        "program": "two-step-100k",
        "return_pct": "3.00",
        "winning_days_pct": "66.67",
        "drawdown_pct": "0.49",
        "days_traded": 3,
    }
    assert listed not in str(board) and hidden not in str(board)  # no emails; the other did not opt in
    funded = api.call("GET", "/leaderboard?board=funded")[2]["items"]
    assert all(e["name"] != "Steady Eddie" for e in funded)  # a first-phase challenge is not on the funded board


def test_names_are_unique_checked_and_leaving_is_allowed(api: Api) -> None:
    first, second = email(), email()
    api.account_challenge(first, new_login())
    api.account_challenge(second, new_login())
    a, b = api.trader_claims(first), api.trader_claims(second)
    assert api.call("PUT", "/me/leaderboard", claims=a, body={"display_name": "Quick Silver"})[0] == 200
    assert_problem(*api.call("PUT", "/me/leaderboard", claims=b, body={"display_name": "quick silver"}), 409)
    assert_problem(*api.call("PUT", "/me/leaderboard", claims=b, body={"display_name": "<script>"}), 422)
    assert_problem(
        *api.call("PUT", "/me/leaderboard", claims=claims("support", email()), body={"display_name": "Desk"}), 403
    )
    assert api.call("PUT", "/me/leaderboard", claims=a, body={"display_name": None})[2] == {"display_name": None}
    assert api.call("PUT", "/me/leaderboard", claims=b, body={"display_name": "quick silver"})[0] == 200
    assert_problem(*api.call("GET", "/leaderboard?days=0"), 422)
