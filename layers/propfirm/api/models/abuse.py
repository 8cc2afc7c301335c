"""Abuse findings and the reviewer's decision on one."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from propfirm.api.models.base import RequestBody, ResponseModel
from propfirm.domain.abuse.findings import Detector, FindingStatus


# -- abuse findings ----------------------------------------------------------------------------------------
class FindingDecision(RequestBody):
    note: str = Field(min_length=3, max_length=1000, description="what the risk officer checked")


class FindingConfirmation(FindingDecision):
    fail: bool = Field(False, description="also fail each account's active challenge (the audited override)")


class FindingOut(ResponseModel):
    id: int
    detector: Detector
    server: str
    logins: list[int]
    score: str = Field(description="0 to 1, three decimals")
    status: FindingStatus
    first_seen_at: str
    updated_at: str
    decided_by: str | None
    decided_at: str | None
    note: str | None
    evidence: dict[str, Any] | None = Field(None, description="the detector's evidence (the single finding's route)")
    deals: list[list[int]] | None = Field(None, description="[login, deal ticket] of every deal that proves it")
    failed_challenges: list[int] | None = Field(None, description="confirm with fail: the challenges failed")


class FindingPage(ResponseModel):
    items: list[FindingOut]
    next_cursor: int | None
