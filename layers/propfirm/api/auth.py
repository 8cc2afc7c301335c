"""Who is calling: the principal from the Cognito claims API Gateway passes in
`requestContext.authorizer.claims`, and the role checks the routes make.

Roles are Cognito groups: `trader` (own challenges and payouts), `support` (read anything, change
nothing), `admin` (everything under /admin/). The claim `cognito:groups` arrives as a list, or as a
string ("[admin trader]", "admin,trader", "admin"): all are accepted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from propfirm.api.problems import Forbidden, Unauthorized
from propfirm.domain.roles import Role

TRADER, SUPPORT, ADMIN = Role.TRADER, Role.SUPPORT, Role.ADMIN
ROLES = tuple(Role)
PUBLIC_PATHS = frozenset({"/health", "/openapi.json", "/docs", "/webhooks/purchase", "/leaderboard"})


@dataclass(frozen=True)
class Principal:
    sub: str
    email: str | None
    groups: frozenset[str]

    def has(self, *roles: str) -> bool:
        return any(role in self.groups for role in roles)


def parse_groups(value: Any) -> frozenset[str]:
    if value is None:
        return frozenset()
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [str(v) for v in value]
    else:
        items = re.split(r"[\s,]+", str(value).strip().strip("[]"))
    return frozenset(i.strip().strip("\"'") for i in items if i.strip().strip("\"'"))


def claims_of(event: Mapping[str, Any]) -> Mapping[str, Any] | None:
    context = event.get("requestContext")
    if not isinstance(context, Mapping):
        return None
    authorizer = context.get("authorizer")
    if not isinstance(authorizer, Mapping):
        return None
    claims = authorizer.get("claims")
    return claims if isinstance(claims, Mapping) and claims else None


def principal_from_claims(claims: Mapping[str, Any] | None) -> Principal:
    if not claims or not claims.get("sub"):
        raise Unauthorized("no verified identity: a bearer token is required")
    email = claims.get("email")
    email = str(email).strip() if email else None
    if email and any(ord(ch) < 32 for ch in email):
        raise Unauthorized("the token's email claim is not an email address")
    return Principal(str(claims["sub"]), email or None, parse_groups(claims.get("cognito:groups")))


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS


def is_preflight(method: str, headers: Mapping[str, Any] | None) -> bool:
    """A browser's CORS preflight: OPTIONS with Origin and Access-Control-Request-Method. Browsers never
    send a token with it, so it passes without one (as in API Gateway); any other OPTIONS needs a token."""
    if method.upper() != "OPTIONS" or not headers:
        return False
    names = {str(k).lower() for k in headers}
    return "origin" in names and "access-control-request-method" in names


def require_trader(principal: Principal) -> str:
    """The trader's identity: the token's `sub`, the identity provider's immutable subject (never the email,
    which a user may change). Only the trader role has trader resources."""
    if not principal.has(TRADER):
        raise Forbidden("this resource belongs to traders (role trader)")
    return principal.sub


def require_reader(principal: Principal) -> None:
    if not principal.has(ADMIN, SUPPORT):
        raise Forbidden("admin or support role required")


def require_admin(principal: Principal) -> None:
    if not principal.has(ADMIN):
        raise Forbidden(
            "admin role required" + (" (support may only read)" if principal.has(SUPPORT) else "")
        )
