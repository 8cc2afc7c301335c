"""POST /webhooks/purchase: the shop's signed purchase notification (no bearer token; HMAC instead)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from propfirm.api.context import raw_body
from propfirm.api.models import PurchaseAccepted
from propfirm.api.problems import Unavailable
from propfirm.api.purchases import parse_order, verify_signature
from propfirm.api.runtime import runtime
from propfirm.operations.logins import Identity, TraderLogins
from propfirm.operations.purchases import record_purchase

router = Router()


@router.post(
    "/webhooks/purchase",
    summary="A purchase from the shop (HMAC-signed): the trader, the challenge, the account command",
    description='Headers: X-Timestamp (Unix seconds), X-Signature: sha256=<hex HMAC-SHA256 of "{timestamp}.'
    '{raw body}">. 202 with the challenge id; the same answer again for the same order_id.',
    tags=["webhooks"],
    responses={
        401: {"description": "bad signature or timestamp"},
        422: {"description": "invalid body"},
        503: {"description": "the identity provider did not answer; nothing was recorded: send it again"},
    },
)
def purchase() -> Response[PurchaseAccepted]:
    rt = runtime()
    raw = raw_body(router)
    verify_signature(rt.webhook_secret, dict(router.current_event.headers or {}), raw, rt.wall_clock())
    order = parse_order(raw)
    identity = _identity(rt.trader_logins, order.email, order.name)
    with rt.uow() as uow:
        result = record_purchase(uow, order, rt.server, rt.clock(), rt.credentials_cipher(), identity)
    if result.created:
        rt.relay_commands()  # the create_account command goes out now, not with the evaluator's next run
    return Response(
        status_code=202,
        content_type="application/json",
        body=PurchaseAccepted(challenge_id=result.challenge_id),
    )


def _identity(logins: TraderLogins | None, email: str, name: str) -> Identity | None:
    """The login the order's trader is bound to, before anything is recorded (every delivery: idempotent).
    A failure is a 503 with nothing written; the shop's retry of the same order records it then."""
    if logins is None:
        return None
    try:
        return logins.ensure(email, name)
    except Exception as exc:  # noqa: BLE001 - any identity-provider failure is worth a retry
        raise Unavailable(f"the trader's login could not be checked or created ({exc}): send the order again") from None
