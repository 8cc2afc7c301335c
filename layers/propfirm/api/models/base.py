"""What every route shares: the request body's base (unknown fields refused), the problem shape, the health and
purchase answers, and `documented` (a route's `responses=`).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, SerializerFunctionWrapHandler, model_serializer


class RequestBody(BaseModel):
    """A request body: unknown fields refused, strings stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _documented_keys_only(schema: dict[str, Any]) -> None:
    schema.pop("additionalProperties", None)


class ResponseModel(BaseModel):
    """A response's shape: what a route returns, checked against it as it leaves. It is written out as it
    was given: keys the shape does not name are kept, and a key the route left out is not added with its
    default (the document lists the keys clients rely on; none is dropped or invented on the way)."""

    model_config = ConfigDict(extra="allow", json_schema_extra=_documented_keys_only)

    @model_serializer(mode="wrap")
    def _as_given(self, write: SerializerFunctionWrapHandler):
        # (no return annotation: the document's schema stays the model's fields, not a plain object)
        written: dict[str, Any] = write(self)
        given = self.model_fields_set
        return {k: v for k, v in written.items() if k in given or k not in type(self).model_fields}


class Health(BaseModel):
    status: str
    database: str
    redis: str
    time: str


class PurchaseAccepted(ResponseModel):
    challenge_id: int


class Problem(ResponseModel):
    """RFC 9457 problem details (application/problem+json)."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[dict[str, Any]] | None = None
    code: str | None = None
    denials: list[dict[str, Any]] | None = None


def documented(model: type[BaseModel], description: str = "OK", status: int = 200) -> dict[int, Any]:
    """`responses=` for a route: its shape in the OpenAPI document (the model the route returns, checked as
    the response leaves), and the problem shape of its errors."""
    problem = {"application/problem+json": {"model": Problem}}
    return {
        status: {"description": description, "content": {"application/json": {"model": model}}},
        401: {"description": "no valid token", "content": problem},
        403: {"description": "role not allowed", "content": problem},
        404: {"description": "not found (or another trader's)", "content": problem},
        422: {"description": "invalid request", "content": problem},
    }
