"""What every route shares: the request body's base (unknown fields refused), the problem shape, the health and
purchase answers, and `documented` (a route's `responses=`).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class RequestBody(BaseModel):
    """A request body: unknown fields refused, strings stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Health(BaseModel):
    status: str
    database: str
    redis: str
    time: str


class PurchaseAccepted(BaseModel):
    challenge_id: int


# -- response shapes, for the OpenAPI document (routes build these dicts in `queries` and `live_view`) --
class Problem(BaseModel):
    """RFC 9457 problem details (application/problem+json)."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[dict[str, Any]] | None = None
    code: str | None = None
    denials: list[dict[str, Any]] | None = None


def documented(model: type[BaseModel], description: str = "OK", status: int = 200) -> dict[int, Any]:
    """`responses=` for a route: the shape in the OpenAPI document (not validated at run time: the route
    builds it), and the problem shape of its errors."""
    problem = {"application/problem+json": {"model": Problem}}
    return {
        status: {"description": description, "content": {"application/json": {"model": model}}},
        401: {"description": "no valid token", "content": problem},
        403: {"description": "role not allowed", "content": problem},
        404: {"description": "not found (or another trader's)", "content": problem},
        422: {"description": "invalid request", "content": problem},
    }
