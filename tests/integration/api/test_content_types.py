"""Every write route, sent a body in every shape a client (or an attacker) might send: content types it
does not take (multipart without or with a boundary, form data, XML, plain text, none), broken JSON,
odd charsets and encodings, oversized and empty bodies. Each gets a 4xx problem, never a 5xx."""

from __future__ import annotations

import pytest

from tests.integration.api.conftest import Api, claims
from tests.integration.api.test_handler import assert_problem

ADMIN = claims("admin", "ops@example.com")
TRADER = claims("trader", "tia@example.com")

WRITES = [
    ("POST", "/admin/challenges/1/fail", ADMIN),
    ("POST", "/admin/challenges/1/pass", ADMIN),
    ("POST", "/admin/payouts/1/approve", ADMIN),
    ("POST", "/admin/payouts/1/reject", ADMIN),
    ("POST", "/admin/payouts/1/resolve", ADMIN),
    ("POST", "/admin/programs", ADMIN),
    ("POST", "/challenges/1/payouts", TRADER),
    ("POST", "/challenges/1/credentials", TRADER),
    ("POST", "/webhooks/purchase", None),
]

SHAPES = [
    ("multipart/form-data", b'{"reason": "checked"}'),  # no boundary
    (
        "multipart/form-data; boundary=XyZ",
        b'--XyZ\r\nContent-Disposition: form-data; name="reason"\r\n\r\nx\r\n--XyZ--',
    ),
    ("multipart/mixed; boundary=", b""),
    ("application/x-www-form-urlencoded", b"reason=checked&note=%zz"),
    ("application/xml", b"<reason>checked</reason>"),
    ("text/plain", b'{"reason": "checked"}'),
    ("application/json; charset=utf-16", '{"reason": "checked"}'.encode("utf-16")),
    ("application/json; charset=nonsense", b'{"reason": "checked"}'),
    ("application/json", b'{"reason": "checked"'),
    ("application/json", b"\xff\xfe\x00garbage"),
    ("application/json", b"[]"),
    ("application/json", b"null"),
    ("application/json", b'{"reason": "' + b"x" * 300_000 + b'"}'),
    ("application/*", b"{}"),
    ("", b"{}"),
    (";;;", b"{}"),
]


@pytest.mark.parametrize("content_type, body", SHAPES, ids=[s[0] or "none" for s in SHAPES])
def test_no_body_shape_gives_a_5xx(api: Api, content_type: str, body: bytes) -> None:
    for method, path, who in WRITES:
        headers = {"Content-Type": content_type} if content_type else {}
        status, response_headers, problem = api.call(method, path, claims=who, body=body, headers=headers)
        assert status < 500, (method, path, content_type, status, problem)
        if status >= 400:
            assert_problem(status, response_headers, problem, status)


@pytest.mark.parametrize("content_type", ["multipart/form-data", "multipart/form-data; boundary=XyZ", "text/plain"])
def test_a_write_without_a_body_in_another_media_type_is_refused_not_crashed(api: Api, content_type: str) -> None:
    """Found by the property test: Powertools parses a multipart request without a body too (and raises)."""
    for method, path, who in WRITES:
        headers = {"Content-Type": content_type}
        status, response_headers, problem = api.call(method, path, claims=who, body=None, headers=headers)
        assert_problem(status, response_headers, problem, 400)


def test_two_content_types_of_which_one_is_not_json_are_refused(api: Api) -> None:
    """Found by the property test: `content-type: application/json` beside `Content-Type: multipart/form-data`."""
    headers = {"content-type": "application/json", "Content-Type": "multipart/form-data"}
    for method, path, who in WRITES:
        status, response_headers, problem = api.call(method, path, claims=who, body=None, headers=headers)
        assert_problem(status, response_headers, problem, 400)
