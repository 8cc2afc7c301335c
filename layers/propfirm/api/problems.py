"""Errors as RFC 9457 problem details (`application/problem+json`), mapped in one place.

Route code raises an `ApiProblem` subclass; `app` turns it (and validation errors, unknown paths and
anything unexpected) into a problem response with `type`, `title`, `status` and `detail`.
"""

from __future__ import annotations

from typing import Any

import orjson

PROBLEM_JSON = "application/problem+json"


class ApiProblem(Exception):
    status = 400
    title = "Bad request"
    slug = "bad-request"

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra


class Unauthorized(ApiProblem):
    status, title, slug = 401, "Unauthorized", "unauthorized"


class Forbidden(ApiProblem):
    status, title, slug = 403, "Forbidden", "forbidden"


class FourEyes(Forbidden):
    """A payout approved or settled by its requester or its own trader (propfirm.payouts.approvals)."""

    title, slug = "Four eyes required", "four-eyes"


class NotFound(ApiProblem):
    status, title, slug = 404, "Not found", "not-found"


class Conflict(ApiProblem):
    status, title, slug = 409, "Conflict", "conflict"


class Unprocessable(ApiProblem):
    status, title, slug = 422, "Unprocessable request", "validation-error"


class Unavailable(ApiProblem):
    status, title, slug = 503, "Service unavailable", "unavailable"


def problem_body(status: int, title: str, detail: str, slug: str, **extra: Any) -> dict[str, Any]:
    body = {
        "type": f"https://propfirm.dev/problems/{slug}",
        "title": title,
        "status": status,
        "detail": detail,
    }
    body.update(extra)
    return body


def problem_of(exc: ApiProblem) -> dict[str, Any]:
    return problem_body(exc.status, exc.title, exc.detail, exc.slug, **exc.extra)


def problem_response(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> dict:
    """A complete API Gateway proxy response (used before the resolver runs: authentication)."""
    return {
        "statusCode": status,
        "headers": {"Content-Type": PROBLEM_JSON, **(headers or {})},
        "multiValueHeaders": {},
        "body": orjson.dumps(body).decode(),
        "isBase64Encoded": False,
    }


def unauthorized_response(detail: str) -> dict:
    return problem_response(
        401,
        problem_body(401, Unauthorized.title, detail, Unauthorized.slug),
        {"WWW-Authenticate": 'Bearer realm="propfirm"'},
    )
