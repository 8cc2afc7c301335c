"""Per-request helpers the routers share: the caller, the runtime's clock and units of work, the
ownership rule (another trader's resource is a 404, as if it did not exist)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import Router

from propfirm.api import queries
from propfirm.api.auth import Principal, claims_of, principal_from_claims
from propfirm.api.problems import NotFound
from propfirm.store.uow import UnitOfWork

MAX_ID = 2**63 - 1  # PostgreSQL bigint: a larger id cannot exist (and must not reach the driver)


def principal(router: Router) -> Principal:
    return principal_from_claims(claims_of(router.current_event.raw_event))


def operator_name(router: Router) -> str:
    """Who acts, as the audit log names them: their email, else their subject."""
    who = principal(router)
    return who.email or who.sub


def owned_challenge(uow: UnitOfWork, challenge_id: int, trader_sub: str) -> dict[str, Any]:
    row = queries.challenge(uow, challenge_id, trader_sub=trader_sub)
    if row is None:
        raise NotFound(f"no challenge {challenge_id}")
    return row


def any_challenge(uow: UnitOfWork, challenge_id: int) -> dict[str, Any]:
    row = queries.challenge(uow, challenge_id)
    if row is None:
        raise NotFound(f"no challenge {challenge_id}")
    return row


def page(items: list[dict[str, Any]], limit: int, key: str = "id") -> dict[str, Any]:
    return {"items": items, "next_cursor": items[-1][key] if len(items) == limit else None}


def raw_body(router: Router) -> bytes:
    """The request body's bytes as the client sent them (API Gateway base64-encodes binary bodies)."""
    import base64
    import binascii

    event = router.current_event
    body = event.body or ""
    if event.is_base64_encoded:
        try:
            return base64.b64decode(body, validate=False)
        except (binascii.Error, ValueError):
            return body.encode("utf-8", "surrogateescape")
    return body.encode("utf-8", "surrogateescape")
