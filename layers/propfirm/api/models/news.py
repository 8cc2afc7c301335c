"""The news calendar: releases in and out."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, Field

from propfirm.api.models.base import RequestBody, ResponseModel


# -- the news calendar ----------------------------------------------------------------------------------------
class NewsReleaseIn(RequestBody):
    at: AwareDatetime = Field(description="when the release is published (with its offset)")
    title: str = Field(min_length=1, max_length=200, description="e.g. US non-farm payrolls")
    currencies: list[Annotated[str, Field(pattern=r"^[A-Z]{3}$")]] = Field(
        default_factory=list, max_length=20, description="ISO 4217 codes the release moves (shown; the blackout "
                                                         "applies to every symbol)")
    impact: Literal["low", "medium", "high"] = "high"


class NewsCalendarIn(RequestBody):
    releases: list[NewsReleaseIn] = Field(min_length=1, max_length=1000)


class NewsReleaseOut(ResponseModel):
    id: int
    at: str
    title: str
    currencies: list[str]
    impact: Literal["low", "medium", "high"]
    added_by: str | None = Field(description="who listed it (staff only; null for traders)")
    added_at: str | None = Field(description="when it was listed (staff only)")


class NewsCalendarOut(ResponseModel):
    items: list[NewsReleaseOut]
    added: int | None = Field(None, description="a POST: how many were new (the rest were listed already)")
