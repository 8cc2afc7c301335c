"""No input gives a 5xx: arbitrary paths, methods, headers, query strings and bodies thrown at the Lambda
handler, with a valid admin's claims, a trader's, and none."""

from __future__ import annotations

import json
import string

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.integration.api.conftest import Api, claims

KNOWN = [
    "",
    "health",
    "openapi.json",
    "webhooks",
    "purchase",
    "me",
    "challenges",
    "admin",
    "payouts",
    "eligibility",
    "transitions",
    "deals",
    "days",
    "audit",
    "fail",
    "pass",
    "approve",
    "reject",
]
NUMBERS = [
    "0",
    "1",
    "-1",
    "2",
    "9223372036854775807",
    "9223372036854775808",
    "1e3",
    "0x10",
    " 1",
    "１",
    "1\x00",
]
segment = st.one_of(st.sampled_from(KNOWN), st.sampled_from(NUMBERS), st.text(max_size=12))
TEMPLATES = [
    "/health",
    "/openapi.json",
    "/webhooks/purchase",
    "/me",
    "/challenges",
    "/challenges/{}",
    "/challenges/{}/transitions",
    "/challenges/{}/deals",
    "/challenges/{}/days",
    "/challenges/{}/payouts",
    "/challenges/{}/payouts/eligibility",
    "/admin/challenges",
    "/admin/challenges/{}",
    "/admin/challenges/{}/fail",
    "/admin/challenges/{}/pass",
    "/admin/payouts",
    "/admin/payouts/{}/approve",
    "/admin/payouts/{}/reject",
    "/admin/audit",
    "/docs",
    "/challenges/{}/equity",
    "/challenges/{}/credentials",
    "/admin/accounts",
    "/admin/accounts/near-limit",
    "/admin/transitions",
    "/admin/transitions/pending",
    "/admin/programs",
    "/admin/programs/{}/versions",
    "/admin/system",
    "/admin/challenges/{}/reset",
    "/admin/challenges/{}/close-all",
    "/admin/challenges/{}/disable",
    "/admin/challenges/{}/enable",
    "/admin/challenges/{}/move-group",
]
routes = st.builds(
    lambda t, v: t.replace("{}", v),
    st.sampled_from(TEMPLATES),
    st.one_of(st.sampled_from(NUMBERS), st.text(max_size=8)),
)
paths = st.one_of(
    routes, routes, routes, st.lists(segment, min_size=0, max_size=5).map(lambda parts: "/" + "/".join(parts))
)
methods = st.sampled_from(["GET", "GET", "GET", "POST", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE"])
header_names = st.sampled_from(
    ["Content-Type", "X-Timestamp", "X-Signature", "Accept", "Authorization", "content-type", "X-Other"]
)
header_values = st.one_of(
    st.sampled_from(
        [
            "application/json",
            "text/plain",
            "multipart/form-data",
            "application/x-www-form-urlencoded",
            "1",
            "sha256=00",
            "",
        ]
    ),
    st.text(alphabet=string.printable, max_size=30),
)
headers = st.dictionaries(header_names, header_values, max_size=4)
query_keys = st.sampled_from(
    ["limit", "cursor", "status", "program", "challenge_id", "x", "sort", "within", "from", "to", "since", "email"]
)
query_values = st.one_of(
    st.sampled_from(NUMBERS + ["active", "failed", "", "requested", "risk", "0.5_3", "2026-11-25T12:00:00Z"]),
    st.text(max_size=10),
)
queries = st.dictionaries(query_keys, query_values, max_size=3)
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20)),
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)
bodies = st.one_of(
    st.none(), st.binary(max_size=64), st.text(max_size=64), json_values.map(lambda v: json.dumps(v).encode())
)
who = st.sampled_from(["admin", "admin", "trader", "trader", "support", None])
emails = st.sampled_from(["prop@example.com", "prop@example.com", "PROP@example.com", "a\x00b@example.com", ""])


def _query_string(params: dict[str, str]) -> str:
    from urllib.parse import urlencode

    return ("?" + urlencode(params)) if params else ""


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(method=methods, path=paths, headers=headers, params=queries, body=bodies, role=who, mail=emails)
def test_no_input_gives_a_5xx(api: Api, method, path, headers, params, body, role, mail) -> None:
    from urllib.parse import quote

    raw_path = quote(path, safe="/") + _query_string(params)
    caller = None if role is None else claims(role, mail)
    status, response_headers, payload = api.call(method, raw_path, claims=caller, body=body, headers=headers)
    event(f"status {status}")
    assert status < 500, (method, raw_path, headers, body, status, payload)
    if status >= 400 and method != "HEAD":
        assert response_headers["Content-Type"] == "application/problem+json", payload
        assert payload["status"] == status and payload["title"]
