"""The news calendar's routes: admins list and withdraw releases (audited, idempotent per time and title);
every signed-in user reads them; bad times are problems that name the field."""

from __future__ import annotations

import uuid
from urllib.parse import quote

from tests.integration.api.conftest import Api, claims
from tests.integration.api.test_handler import assert_problem, email

ADMIN = claims("admin", "risk@example.com")
SUPPORT = claims("support", "desk@example.com")


def _title() -> str:
    return f"US non-farm payrolls {uuid.uuid4().hex[:6]}"


def test_an_admin_lists_releases_once_and_everybody_reads_them(api: Api) -> None:
    title = _title()
    body = {"releases": [{"at": "2031-03-07T13:30:00Z", "title": title, "currencies": ["USD"]},
                         {"at": "2031-03-07T15:00:00+01:00", "title": title + " revised", "impact": "medium"}]}
    status, _, listed = api.call("POST", "/admin/news", claims=ADMIN, body=body)
    assert status == 200, listed
    assert listed["added"] == 2 and [r["at"] for r in listed["items"]] == [
        "2031-03-07T13:30:00+00:00", "2031-03-07T14:00:00+00:00"]
    again = api.call("POST", "/admin/news", claims=ADMIN, body=body)[2]
    assert again["added"] == 0 and [r["id"] for r in again["items"]] == [r["id"] for r in listed["items"]]
    audited = api.rows("SELECT payload FROM audit_log WHERE kind = 'news.added' AND payload::text LIKE %s",
                       (f"%{title}%",))
    assert len(audited) == 1 and audited[0][0]["operator"] == "risk@example.com"
    later = {"at": "2031-03-08T13:30:00Z", "title": title + " later"}
    mixed = api.call("POST", "/admin/news", claims=ADMIN,
                     body={"releases": [body["releases"][0], later, later]})[2]  # listed, new, new again
    assert mixed["added"] == 1 and mixed["items"][0]["id"] == listed["items"][0]["id"]
    assert mixed["items"][1]["id"] == mixed["items"][2]["id"] != mixed["items"][0]["id"]

    window = f"/news?from={quote('2031-03-07T00:00:00Z')}&to={quote('2031-03-08T00:00:00Z')}"
    status, _, seen = api.call("GET", window, claims=claims("trader", email()))
    assert status == 200, seen
    mine = [r for r in seen["items"] if r["title"].startswith(title)]
    assert [(r["title"], r["currencies"], r["impact"], r["added_by"]) for r in mine] == [
        (title, ["USD"], "high", None), (title + " revised", [], "medium", None)]  # a trader: not who listed it
    staff = api.call("GET", window, claims=SUPPORT)[2]
    assert {r["added_by"] for r in staff["items"] if r["title"].startswith(title)} == {"risk@example.com"}


def test_a_withdrawn_release_is_gone_and_audited(api: Api) -> None:
    title = _title()
    listed = api.call("POST", "/admin/news", claims=ADMIN,
                      body={"releases": [{"at": "2031-04-03T12:30:00Z", "title": title}]})[2]
    rid = listed["items"][0]["id"]
    assert_problem(*api.call("DELETE", f"/admin/news/{rid}", claims=SUPPORT), 403)
    status, _, removed = api.call("DELETE", f"/admin/news/{rid}", claims=ADMIN)
    assert status == 200 and removed["title"] == title
    assert_problem(*api.call("DELETE", f"/admin/news/{rid}", claims=ADMIN), 404)
    assert api.rows("SELECT count(*) FROM news_events WHERE id = %s", (rid,)) == [(0,)]
    assert api.rows("SELECT count(*) FROM audit_log WHERE kind = 'news.removed' AND payload->>'id' = %s",
                    (str(rid),)) == [(1,)]


def test_bad_releases_and_windows_are_problems(api: Api) -> None:
    for release in ({"at": "2031-03-07T13:30:00", "title": "no offset"},
                    {"at": "2031-03-07T13:30:00Z", "title": ""},
                    {"at": "2031-03-07T13:30:00Z", "title": "x", "currencies": ["usd"]},
                    {"at": "2031-03-07T13:30:00Z", "title": "x", "impact": "huge"}):
        assert_problem(*api.call("POST", "/admin/news", claims=ADMIN, body={"releases": [release]}), 422)
    assert_problem(*api.call("POST", "/admin/news", claims=SUPPORT,
                             body={"releases": [{"at": "2031-03-07T13:30:00Z", "title": "x"}]}), 403)
    for query in ("from=2031-03-07T00:00:00", "from=yesterday",
                  f"from={quote('2031-03-08T00:00:00Z')}&to={quote('2031-03-07T00:00:00Z')}"):
        status, headers, problem = api.call("GET", f"/news?{query}", claims=ADMIN)
        assert_problem(status, headers, problem, 422)
        assert problem["detail"].startswith(("from", "to")), problem
