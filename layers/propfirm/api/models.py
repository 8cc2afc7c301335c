"""Request bodies and the main response shapes (pydantic; money as strings, times ISO 8601 UTC)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class OverrideRequest(_Body):
    reason: str = Field(min_length=3, max_length=1000, description="why the operator overrides the rules")


class ApproveRequest(_Body):
    note: str | None = Field(None, max_length=1000)


class RejectRequest(_Body):
    reason: str = Field(min_length=3, max_length=1000, description="the reason the trader is shown")


class Health(BaseModel):
    status: str
    database: str
    redis: str
    time: str


class PurchaseAccepted(BaseModel):
    challenge_id: int


class Page(BaseModel):
    items: list[dict[str, Any]]
    next_cursor: int | None = Field(None, description="pass as `cursor` for the next page; null: no more")
