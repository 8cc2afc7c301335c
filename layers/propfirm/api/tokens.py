"""Local tokens and secrets: what Cognito and the shop's webhook signing do in AWS.

`propfirm token` mints an HS256 JWT with the claims of a Cognito ID token; the local server verifies it
before anything else. The key is `PROPFIRM_JWT_SECRET`, or a random key kept in `$PROPFIRM_HOME/jwt.key`
(default `~/.propfirm/`), created with mode 0600 on first use and shared by `propfirm token` and
`propfirm api`. The webhook secret is `PROPFIRM_WEBHOOK_SECRET`, or `$PROPFIRM_HOME/webhook.secret`.
"""

from __future__ import annotations

import os
import secrets
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import jwt

ALGORITHM = "HS256"
ISSUER = "propfirm-local"
LEEWAY_SECONDS = 1  # the design allows at most 1 s
JWT_KEY_FILE = "jwt.key"
WEBHOOK_SECRET_FILE = "webhook.secret"


class TokenError(Exception):
    """Why a bearer token is refused (the message goes into the 401's detail)."""


def propfirm_home() -> Path:
    return Path(os.environ.get("PROPFIRM_HOME") or Path.home() / ".propfirm").expanduser()


def kept_secret(name: str, make: Callable[[], str] = lambda: secrets.token_urlsafe(48)) -> str:
    """A random secret (`make()`) kept in $PROPFIRM_HOME/<name> (0600), created on first use; racing
    creators agree (the file is created exclusively, and a reader waits for its writer)."""
    home = propfirm_home()
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = home / name
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as f:
            f.write(make())
    for _ in range(50):  # another process may be between create and write
        value = path.read_text().strip()
        if value:
            return value
        time.sleep(0.01)
    raise RuntimeError(f"{path} is empty: delete it and try again")


def secret_path(name: str) -> Path:
    return propfirm_home() / name


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
    }
    return jwt.encode(claims, key or jwt_secret(), algorithm=ALGORITHM)


def verify(token: str, key: str) -> dict[str, Any]:
    """The claims of a valid token, or TokenError: signature, HS256 only, exp (1 s leeway), claims."""
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
            options={"require": ["exp", "sub"], "verify_aud": False},
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
