"""Local tokens and secrets: what Cognito and the shop's webhook signing do in AWS.

`propfirm token` mints an HS256 JWT with the claims of a Cognito ID token; the local server verifies it
before anything else. The key is `PROPFIRM_JWT_SECRET`, or a random key kept in `$PROPFIRM_HOME/jwt.key`
(default `~/.propfirm/`), created with mode 0600 on first use and shared by `propfirm token` and
`propfirm api`. The webhook secret is `PROPFIRM_WEBHOOK_SECRET`, or `$PROPFIRM_HOME/webhook.secret`.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Mapping
from typing import Any

import jwt

from propfirm.kept import kept_secret

ALGORITHM = "HS256"
ISSUER = "propfirm-local"
AUDIENCE = "propfirm-local-app"  # Cognito's ID tokens carry the app client's id as `aud`; local ones this
LEEWAY_SECONDS = 1  # the design allows at most 1 s
JWT_KEY_FILE = "jwt.key"
WEBHOOK_SECRET_FILE = "webhook.secret"


class TokenError(Exception):
    """Why a bearer token is refused (the message goes into the 401's detail)."""


def jwt_secret() -> str:
    return os.environ.get("PROPFIRM_JWT_SECRET") or kept_secret(JWT_KEY_FILE)


def webhook_secret() -> str:
    return os.environ.get("PROPFIRM_WEBHOOK_SECRET") or kept_secret(WEBHOOK_SECRET_FILE)


def mint(
    role: str,
    *,
    email: str | None = None,
    sub: str | None = None,
    ttl: int = 3600,
    key: str | None = None,
    now: int | None = None,
    groups: list[str] | None = None,
) -> str:
    issued = int(time.time()) if now is None else now
    claims = {
        "sub": sub or str(uuid.uuid4()),
        "email": email or f"{role}@example.com",
        "cognito:groups": groups if groups is not None else [role],
        "iat": issued,
        "exp": issued + ttl,
        "token_use": "id",
        "iss": ISSUER,
        "aud": AUDIENCE,
    }
    return jwt.encode(claims, key or jwt_secret(), algorithm=ALGORITHM)


def recorded_sub(database_url: str, email: str) -> str | None:
    """The sub the local record binds to the trader of `email` (None: no purchase has used it)."""
    import psycopg

    with psycopg.connect(database_url, connect_timeout=5) as conn:
        row = conn.execute("SELECT sub FROM traders WHERE lower(email) = lower(%s)", (email,)).fetchone()
    return None if row is None else str(row[0])


def verify(token: str, key: str) -> dict[str, Any]:
    """The claims of a valid token, or TokenError: signature, HS256 only, exp (1 s leeway), the issuer and
    the audience (as API Gateway's Cognito authorizer checks a user pool token's), claims."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise TokenError(f"malformed token: {exc}") from None
    if header.get("alg") != ALGORITHM:
        raise TokenError(f"token algorithm {header.get('alg')!r} is not accepted (HS256 only)")
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            leeway=LEEWAY_SECONDS,
            issuer=ISSUER,
            audience=AUDIENCE,
            options={"require": ["exp", "sub", "iss", "aud"]},
        )
    except jwt.ExpiredSignatureError:
        raise TokenError("token expired") from None
    except jwt.PyJWTError as exc:
        raise TokenError(f"invalid token: {exc}") from None
    if claims.get("token_use", "id") != "id":
        raise TokenError("an ID token is required")
    return claims


def bearer_token(headers: Mapping[str, str]) -> str:
    """The token of `Authorization: Bearer <token>` (header names case-insensitive), or TokenError."""
    value = next((v for k, v in headers.items() if k.lower() == "authorization"), None)
    if not value:
        raise TokenError("missing Authorization: Bearer <token>")
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise TokenError("the Authorization header must be 'Bearer <token>'")
    return token.strip()


def claims_for_event(claims: Mapping[str, Any]) -> dict[str, Any]:
    """Claims as the Cognito authorizer hands them to a REST API proxy event: every value a string
    (groups as "[a b]", numbers as decimal strings), so the handler parses what AWS gives it."""
    out: dict[str, Any] = {}
    for name, value in claims.items():
        if isinstance(value, list):
            out[name] = "[" + " ".join(str(v) for v in value) + "]"
        else:
            out[name] = str(value)
    return out
