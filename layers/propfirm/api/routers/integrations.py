"""Outbound webhooks under /admin/webhooks: admin manages endpoints and replays the dead-letter list,
support reads. Secrets are shown once (on creation and rotation) and never listed; every change is audited.
Times here are the wall clock's, as the deliveries' are (receivers hold webhook-timestamp to theirs)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from propfirm.api.auth import require_admin, require_reader
from propfirm.api.context import MAX_ID, operator_name, page, principal
from propfirm.api.models import (
    RotateSecretRequest,
    WebhookDeliveryOut,
    WebhookDeliveryPage,
    WebhookEndpointChange,
    WebhookEndpointList,
    WebhookEndpointOut,
    WebhookEndpointRequest,
    documented,
)
from propfirm.api.problems import Conflict, Unprocessable
from propfirm.api.runtime import runtime
from propfirm.store.audit import AuditEntry
from propfirm.store.uow import UnitOfWork
from propfirm.store.webhooks import WebhookStore
from propfirm.webhooks import signing

router = Router()

EndpointId = Annotated[int, Path(gt=0, le=MAX_ID)]
DeliveryId = Annotated[int, Path(gt=0, le=MAX_ID)]
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def _now() -> datetime:
    return datetime.now(UTC)


def receiver_url(url: str) -> str:
    """https, or http to this machine only (a local receiver); nothing else leaves the firm signed."""
    parts = urlsplit(url)
    if not parts.hostname or parts.scheme not in ("https", "http"):
        raise Unprocessable(
            "url: an https:// URL with a host", errors=[{"loc": ["body", "url"], "message": "not a URL", "type": "url"}]
        )
    if parts.scheme == "http" and parts.hostname not in LOOPBACK:
        raise Unprocessable(
            "url: webhooks are sent over https (http only to 127.0.0.1 or localhost)",
            errors=[{"loc": ["body", "url"], "message": "https required", "type": "url"}],
        )
    return url


def _audit(uow: UnitOfWork, kind: str, payload: dict[str, Any]) -> None:
    uow.audit.append([AuditEntry(kind=kind, payload={**payload, "operator": operator_name(router)}, created_at=_now())])


@router.get(
    "/admin/webhooks", summary="Outbound webhook endpoints", tags=["admin"], responses=documented(WebhookEndpointList)
)
def list_endpoints() -> WebhookEndpointList:
    require_reader(principal(router))
    with runtime().uow() as uow:
        return WebhookEndpointList.model_validate({"items": [e.to_public() for e in WebhookStore(uow).endpoints()]})


@router.post(
    "/admin/webhooks",
    summary="Subscribe an endpoint; its signing secret is in the answer, once",
    tags=["admin"],
    responses=documented(WebhookEndpointOut, "created", 201),
)
def create_endpoint(body: WebhookEndpointRequest) -> Response[WebhookEndpointOut]:
    require_admin(principal(router))
    secret = signing.new_secret()
    with runtime().uow() as uow:
        endpoint = WebhookStore(uow).add_endpoint(
            receiver_url(body.url), secret, _now(), body.event_types, body.description, body.server
        )
        _audit(
            uow, "webhook.endpoint_created", {"id": endpoint.id, "url": endpoint.url, "event_types": body.event_types}
        )
        uow.commit()
    created = WebhookEndpointOut.model_validate({**endpoint.to_public(), "secret": secret})  # shown this once
    return Response(201, "application/json", created)


@router.patch(
    "/admin/webhooks/<endpoint_id>",
    summary="Change an endpoint: its URL, event types, description; disable or enable it",
    tags=["admin"],
    responses=documented(WebhookEndpointOut),
)
def change_endpoint(endpoint_id: EndpointId, body: WebhookEndpointChange) -> WebhookEndpointOut:
    require_admin(principal(router))
    changes = body.model_dump(exclude_none=True)
    if not changes:
        raise Unprocessable("nothing to change: give url, event_types, description or enabled")
    with runtime().uow() as uow:
        endpoint = WebhookStore(uow).update_endpoint(
            endpoint_id,
            _now(),
            url=None if body.url is None else receiver_url(body.url),
            event_types=body.event_types,
            description=body.description,
            enabled=body.enabled,
        )
        _audit(uow, "webhook.endpoint_changed", {"id": endpoint_id, **changes})
        uow.commit()
    return WebhookEndpointOut.model_validate(endpoint.to_public())


@router.post(
    "/admin/webhooks/<endpoint_id>/rotate-secret",
    summary="A new signing secret (shown once); the previous one still signs for the overlap",
    tags=["admin"],
    responses=documented(WebhookEndpointOut),
)
def rotate_secret(endpoint_id: EndpointId, body: RotateSecretRequest) -> WebhookEndpointOut:
    require_admin(principal(router))
    secret = signing.new_secret()
    with runtime().uow() as uow:
        endpoint = WebhookStore(uow).rotate_secret(endpoint_id, secret, _now(), timedelta(hours=body.overlap_hours))
        _audit(uow, "webhook.secret_rotated", {"id": endpoint_id, "overlap_hours": body.overlap_hours})
        uow.commit()
    return WebhookEndpointOut.model_validate({**endpoint.to_public(), "secret": secret})


@router.delete(
    "/admin/webhooks/<endpoint_id>",
    summary="Remove an endpoint and its deliveries; the answer is the endpoint as it was",
    tags=["admin"],
    responses=documented(WebhookEndpointOut),
)
def delete_endpoint(endpoint_id: EndpointId) -> WebhookEndpointOut:
    require_admin(principal(router))
    with runtime().uow() as uow:
        store = WebhookStore(uow)
        endpoint = store.endpoint(endpoint_id, for_update=True)
        store.delete_endpoint(endpoint_id)
        _audit(uow, "webhook.endpoint_deleted", {"id": endpoint_id, "url": endpoint.url})
        uow.commit()
    return WebhookEndpointOut.model_validate(endpoint.to_public())


@router.get(
    "/admin/webhooks/<endpoint_id>/deliveries",
    summary="An endpoint's deliveries, newest first; status=failed is its dead-letter list",
    tags=["admin"],
    responses=documented(WebhookDeliveryPage),
)
def list_deliveries(
    endpoint_id: EndpointId,
    status: Annotated[Literal["pending", "delivered", "failed"] | None, Query()] = None,
    cursor: Annotated[int | None, Query(gt=0, le=MAX_ID, description="last id of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> WebhookDeliveryPage:
    require_reader(principal(router))
    with runtime().uow() as uow:
        store = WebhookStore(uow)
        store.endpoint(endpoint_id)
        items = [d.to_public() for d in store.deliveries(endpoint_id, status, cursor, limit)]
        counts = store.counts([endpoint_id])
    return WebhookDeliveryPage.model_validate({**page(items, limit), "counts": counts})


@router.post(
    "/admin/webhook-deliveries/<delivery_id>/replay",
    summary="Send a delivery again (from the dead-letter list), with the same webhook-id",
    tags=["admin"],
    responses=documented(WebhookDeliveryOut),
)
def replay_delivery(delivery_id: DeliveryId) -> WebhookDeliveryOut:
    require_admin(principal(router))
    with runtime().uow() as uow:
        try:
            delivery = WebhookStore(uow).replay(delivery_id, _now())
        except ValueError as exc:
            raise Conflict(str(exc)) from None
        _audit(uow, "webhook.delivery_replayed", {"id": delivery_id, "webhook_id": delivery.message_id})
        uow.commit()
    return WebhookDeliveryOut.model_validate(delivery.to_public())
