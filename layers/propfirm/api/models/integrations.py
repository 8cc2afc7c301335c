"""The firm's other systems: outbound webhook endpoints and deliveries, the CRM feed."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from propfirm.api.models.base import RequestBody, ResponseModel
from propfirm.webhooks.messages import EventType as WebhookEventType


class WebhookEndpointRequest(RequestBody):
    url: str = Field(min_length=8, max_length=2000, description="https:// (http:// only to this machine)")
    event_types: list[WebhookEventType] = Field(default_factory=list, description="empty: every event type")
    description: str = Field("", max_length=200)
    server: str | None = Field(None, min_length=1, max_length=64, description="only this MT5 server's events")


class WebhookEndpointChange(RequestBody):
    url: str | None = Field(None, min_length=8, max_length=2000)
    event_types: list[WebhookEventType] | None = None
    description: str | None = Field(None, max_length=200)
    enabled: bool | None = None


class RotateSecretRequest(RequestBody):
    overlap_hours: int = Field(24, ge=0, le=168, description="how long the previous secret still signs too")


class WebhookEndpointOut(ResponseModel):
    id: int
    url: str
    description: str
    event_types: list[str]
    server: str | None
    enabled: bool
    rotating_until: str | None = Field(description="the previous secret signs too until then")
    created_at: str
    updated_at: str
    secret: str | None = Field(None, description="shown once: when the endpoint is created or its secret rotated")


class WebhookEndpointList(ResponseModel):
    items: list[WebhookEndpointOut]


class WebhookDeliveryOut(ResponseModel):
    id: int
    endpoint_id: int
    webhook_id: str = Field(description="the webhook-id header: the same on every attempt and replay")
    type: str
    challenge_id: int | None
    status: Literal["pending", "delivered", "failed"] = Field(description="failed: on the dead-letter list")
    attempts: int
    replays: int
    next_attempt_at: str | None
    last_status: int | None
    last_error: str | None
    created_at: str
    delivered_at: str | None


class WebhookDeliveryPage(ResponseModel):
    items: list[WebhookDeliveryOut]
    next_cursor: int | None
    counts: dict[str, int] = Field(description="the endpoint's deliveries by status")


class CrmChallenge(ResponseModel):
    """One challenge as a CRM keeps it (upsert by `challenge_id`)."""

    challenge_id: int
    changed_at: str = Field(description="when a CRM-facing fact last changed (ISO, UTC)")
    trader: dict[str, Any] = Field(description="`email`")
    program: dict[str, Any] = Field(description="`id`, `version`, `name`, `account_size`, `currency`")
    account: dict[str, Any] | None = Field(description="`server` and `login`; null before the account exists")
    status: str = Field(description="active, passed, failed, ...")
    phase: dict[str, Any] = Field(description="`index`, `name`, `funded`")
    created_at: str
    progress: dict[str, Any] | None = Field(description="the phase's progress as last saved (as the trader's view)")
    payouts: dict[str, Any] = Field(description="`count`, `paid`, `paid_to_trader`, `history` (each payout's id, "
                                                "status, amount, trader_share, requested_at, paid_at)")


class CrmPage(ResponseModel):
    items: list[CrmChallenge]
    next_cursor: str | None = Field(description="pass as `cursor` next time (the same when nothing changed)")
