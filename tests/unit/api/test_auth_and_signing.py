"""Pure parts of the API: group claims in every form, the token check, webhook signatures, name splitting."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import jwt
import pytest
from propfirm.api.auth import parse_groups, principal_from_claims
from propfirm.api.problems import Unauthorized
from propfirm.api.purchases import signature_of, verify_signature
from propfirm.api.tokens import AUDIENCE, ISSUER, TokenError, bearer_token, claims_for_event, mint, verify
from propfirm.evaluation.provisioning import challenge_of_command
from propfirm.operations.purchases import split_name

KEY = "unit-test-key-0123456789-0123456789-0123456789-0123456789-abcdef"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (["admin", "trader"], {"admin", "trader"}),
        ("[admin trader]", {"admin", "trader"}),
        ("admin,trader", {"admin", "trader"}),
        ("admin, trader", {"admin", "trader"}),
        ('["admin","trader"]', {"admin", "trader"}),
        ("support", {"support"}),
        ("", set()),
        (None, set()),
        ("[]", set()),
    ],
)
def test_groups_in_every_form(raw, expected) -> None:
    assert parse_groups(raw) == expected


def test_principal_needs_a_subject() -> None:
    with pytest.raises(Unauthorized):
        principal_from_claims({"email": "a@b.c"})
    with pytest.raises(Unauthorized):
        principal_from_claims(None)
    who = principal_from_claims({"sub": "s", "email": " a@b.c ", "cognito:groups": "[trader]"})
    assert who.email == "a@b.c" and who.has("trader") and not who.has("admin")


def test_token_round_trip_and_refusals() -> None:
    now = int(time.time())
    claims = verify(mint("admin", email="ops@example.com", sub="s-1", key=KEY), KEY)
    assert claims["cognito:groups"] == ["admin"] and claims["token_use"] == "id" and claims["sub"] == "s-1"
    with pytest.raises(TokenError, match="expired"):
        verify(mint("admin", key=KEY, ttl=10, now=now - 12), KEY)  # expired 2 s ago
    verify(mint("admin", key=KEY, ttl=10, now=now - 10), KEY)  # expiring now: within the 1 s leeway
    with pytest.raises(TokenError):
        verify(mint("admin", key="another-key-0123456789-0123456789-0123456789-0123456789-ab"), KEY)
    with pytest.raises(TokenError, match="HS256"):
        verify(jwt.encode({"sub": "x", "exp": now + 60}, KEY, algorithm="HS384"), KEY)
    with pytest.raises(TokenError, match="malformed"):
        verify("garbage", KEY)
    with pytest.raises(TokenError):
        verify(jwt.encode({"sub": "x"}, KEY, algorithm="HS256"), KEY)  # no exp
    issued = {"sub": "x", "exp": now + 60, "iss": ISSUER, "aud": AUDIENCE}
    access = jwt.encode({**issued, "token_use": "access"}, KEY, algorithm="HS256")
    with pytest.raises(TokenError, match="ID token"):
        verify(access, KEY)
    # issuer and audience are checked, as API Gateway's Cognito authorizer checks a user pool's tokens
    verify(jwt.encode(issued, KEY, algorithm="HS256"), KEY)
    for wrong in ({"iss": "https://elsewhere.example"}, {"aud": "another-app"}, {"iss": None}, {"aud": None}):
        claims = {k: v for k, v in {**issued, **wrong}.items() if v is not None}
        with pytest.raises(TokenError, match="(?i)iss|aud"):
            verify(jwt.encode(claims, KEY, algorithm="HS256"), KEY)


def test_bearer_header_parsing() -> None:
    assert bearer_token({"authorization": "Bearer abc"}) == "abc"
    assert bearer_token({"Authorization": "bearer  abc "}) == "abc"
    for headers in ({}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer"}):
        with pytest.raises(TokenError):
            bearer_token(headers)


def test_claims_as_the_authorizer_passes_them() -> None:
    out = claims_for_event({"sub": "s", "cognito:groups": ["admin", "trader"], "exp": 5})
    assert out == {"sub": "s", "cognito:groups": "[admin trader]", "exp": "5"}


def test_webhook_signature() -> None:
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    ts = str(int(now.timestamp()))
    body = b'{"order_id":"1"}'
    good = {"X-Timestamp": ts, "X-Signature": signature_of("s3cret", ts, body)}
    verify_signature("s3cret", good, body, now)
    verify_signature("s3cret", {k.lower(): v for k, v in good.items()}, body, now)
    for headers, sent in (
        ({**good, "X-Signature": signature_of("other", ts, body)}, body),
        (good, body + b" "),
        ({"X-Timestamp": ts}, body),
        ({**good, "X-Timestamp": "12ab"}, body),
    ):
        with pytest.raises(Unauthorized):
            verify_signature("s3cret", headers, sent, now)
    stale = str(int(now.timestamp()) - 301)
    with pytest.raises(Unauthorized, match="five minutes"):
        verify_signature(
            "s3cret", {"X-Timestamp": stale, "X-Signature": signature_of("s3cret", stale, body)}, body, now
        )
    # the documented shell recipe: printf '%s.%s' "$TS" "$BODY" | openssl dgst -sha256 -hmac "$SECRET"
    assert (
        signature_of("key", "1", b"x")
        == "sha256=" + __import__("hmac").new(b"key", b"1.x", "sha256").hexdigest()
    )


def test_names_and_command_ids() -> None:
    assert split_name("Ann Marie Lee") == ("Ann Marie", "Lee")
    assert split_name("Cher") == ("Cher", "Cher")
    assert challenge_of_command("17:0:create_account") == 17
    assert challenge_of_command("17:1:disable") is None
    assert challenge_of_command("x:0:create_account") is None


def test_kept_secrets_are_private_and_stable(tmp_path) -> None:
    import os
    import stat

    from propfirm.api.tokens import jwt_secret, webhook_secret
    from propfirm.kept import propfirm_home

    first = jwt_secret()
    assert first == jwt_secret() and len(first) >= 48
    assert webhook_secret() != first
    home = propfirm_home()
    assert home == tmp_path / "propfirm-home"
    for name in ("jwt.key", "webhook.secret"):
        assert stat.S_IMODE(os.stat(home / name).st_mode) == 0o600
