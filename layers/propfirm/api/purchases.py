"""The purchase webhook's HTTP side: the shop's signature checked, its body read into a `PurchaseOrder`; the
sale itself is recorded by `propfirm.operations.purchases.record_purchase`."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime

from pydantic import ValidationError

from propfirm.api.problems import Unauthorized, Unprocessable
from propfirm.operations.purchases import PurchaseOrder

MAX_CLOCK_SKEW_SECONDS = 300


def signature_of(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_signature(secret: str, headers: Mapping[str, str], body: bytes, now: datetime) -> None:
    """401 unless X-Signature is the HMAC of "{X-Timestamp}.{raw body}" and the timestamp is within 5 min."""
    lower = {k.lower(): v for k, v in headers.items()}
    timestamp = (lower.get("x-timestamp") or "").strip()
    signature = (lower.get("x-signature") or "").strip()
    if not timestamp or not signature:
        raise Unauthorized("X-Timestamp and X-Signature headers are required")
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        raise Unauthorized("X-Timestamp must be Unix seconds")
    if abs(now.timestamp() - int(timestamp)) > MAX_CLOCK_SKEW_SECONDS:
        raise Unauthorized("X-Timestamp is more than five minutes off")
    expected = signature_of(secret, timestamp, body)
    if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
        raise Unauthorized("bad signature")


def parse_order(body: bytes) -> PurchaseOrder:
    try:
        return PurchaseOrder.model_validate_json(body)
    except ValidationError as exc:
        problems = [
            {"field": ".".join(str(p) for p in e["loc"]) or "body", "message": e["msg"]} for e in exc.errors()
        ]
        raise Unprocessable(
            "invalid purchase: " + "; ".join(f"{p['field']}: {p['message']}" for p in problems),
            errors=problems,
        ) from None
