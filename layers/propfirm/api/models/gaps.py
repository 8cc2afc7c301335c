"""Blind intervals checked against MT5's record of them, and the gap findings a risk officer decides."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from propfirm.api.models.base import ResponseModel

GapFindingStatus = Literal["open", "dismissed", "confirmed"]
GapOutcome = Literal["breached", "possible", "unchecked"]


class GapFindingOut(ResponseModel):
    id: int
    review_id: int
    server: str
    login: int
    challenge_id: int | None = Field(description="the account's challenge when the finding was recorded")
    outcome: GapOutcome = Field(description="breached: the equity's bound crossed the floor in some minute; "
                                            "possible: it may have (the minute's range straddles it); "
                                            "unchecked: MT5's record could not settle it (reason in evidence)")
    evidence: dict[str, Any] = Field(description="floor, lowest (the lowest bound of the equity found), at (the "
                                                 "minute), held (the positions then), checked_until, reason")
    status: GapFindingStatus
    blind_from: str = Field(description="the blind interval: the last good cycle's end")
    blind_to: str
    cause: str = Field(description="what made the poller blind")
    recorded_at: str
    decided_by: str | None
    decided_at: str | None
    note: str | None
    failed_challenges: list[int] | None = Field(None, description="confirm with fail: the challenge failed")


class GapFindingPage(ResponseModel):
    items: list[GapFindingOut]
    next_cursor: int | None


class GapReviewOut(ResponseModel):
    id: int
    server: str
    poller: str
    blind_from: str
    blind_to: str
    cause: str
    failed_cycles: int
    read_before: str | None = Field(description="the MT5 read the check starts from (server clock)")
    read_after: str | None = Field(description="the MT5 read it ends at")
    checked: int
    clear: int
    watched: int = Field(description="accounts the tick path held and judged at every poll all through a slow "
                                     "cycle: not blind, so not checked again")
    killed: int = Field(description="accounts the poller killed for the floor they would be judged against: "
                                    "their crossing was seen and acted on, so no finding")
    reason: str = Field(description="why nothing could be checked, if so")
    findings: int
    open_findings: int
    recorded_at: str


class GapReviewPage(ResponseModel):
    items: list[GapReviewOut]
    next_cursor: int | None
