"""The leaderboard: a trader's opt-in, the entries, the membership."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from propfirm.api.models.base import RequestBody, ResponseModel


# -- leaderboard --------------------------------------------------------------------------------------------
class LeaderboardOptIn(RequestBody):
    display_name: str | None = Field(
        description="the name to be listed under (3-24 letters, digits, spaces, . _ -); null: not listed",
        min_length=3,
        max_length=24,
        pattern=r"^[\w .-]+$",
    )


class LeaderboardEntry(ResponseModel):
    rank: int
    name: str
    program: str
    return_pct: str
    winning_days_pct: str
    drawdown_pct: str
    days_traded: int


class Leaderboard(ResponseModel):
    board: Literal["funded", "challenge"]
    days: int
    sort: Literal["return", "consistency", "drawdown"]
    through: str = Field(description="the last trading day counted")
    items: list[LeaderboardEntry]


class LeaderboardMembership(ResponseModel):
    display_name: str | None
