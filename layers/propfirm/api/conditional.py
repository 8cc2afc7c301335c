"""Conditional GETs: every 200 answer to a GET carries an ETag (a hash of its body) and
`Cache-Control: private, no-cache` (unless the route set its own: the public leaderboard's is public); a
request whose `If-None-Match` names the current ETag gets 304 with no body. The dashboards poll every few
seconds: an unchanged page costs the query, not the transfer or the browser's re-render."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any


def _header(event: Mapping[str, Any], name: str) -> str | None:
    headers = event.get("headers")
    if not isinstance(headers, Mapping):
        return None
    return next((str(v) for k, v in headers.items() if str(k).lower() == name), None)


def _set(response: dict[str, Any], name: str, value: str) -> None:
    multi = response.get("multiValueHeaders")
    if isinstance(multi, dict):
        multi[name] = [value]
    else:
        response.setdefault("headers", {})
        response["headers"][name] = value


def _has_header(response: dict[str, Any], name: str) -> bool:
    for key in ("headers", "multiValueHeaders"):
        found = response.get(key)
        if isinstance(found, dict) and any(str(k).lower() == name for k in found):
            return True
    return False


def entity_tag(body: str | bytes) -> str:
    data = body.encode() if isinstance(body, str) else body
    return '"' + hashlib.sha256(data).hexdigest()[:32] + '"'


def matches(if_none_match: str, tag: str) -> bool:
    """RFC 9110: `*`, or a list of tags compared weakly (W/ ignored)."""
    candidates = [t.strip() for t in if_none_match.split(",")]
    return "*" in candidates or any(t.removeprefix("W/") == tag for t in candidates)


def make_conditional(event: Mapping[str, Any], response: dict[str, Any]) -> dict[str, Any]:
    if str(event.get("httpMethod") or "").upper() != "GET" or response.get("statusCode") != 200:
        return response
    body = response.get("body")
    if not isinstance(body, str) or response.get("isBase64Encoded"):
        return response
    tag = entity_tag(body)
    _set(response, "ETag", tag)
    if not _has_header(response, "cache-control"):  # a route that set its own (a public one) keeps it
        _set(response, "Cache-Control", "private, no-cache")
    wanted = _header(event, "if-none-match")
    if wanted is not None and matches(wanted, tag):
        response["statusCode"] = 304
        response["body"] = ""
    return response
