"""The operators' views and bodies: accounts and recent transitions, account actions and overrides, programs, the
system's health (queues, pollers, blind intervals and their reviews, the evaluation lag).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from propfirm.api.models.base import RequestBody, ResponseModel
from propfirm.api.models.challenges import ChallengeRef


class OverrideRequest(RequestBody):
    reason: str = Field(min_length=3, max_length=1000, description="why the operator overrides the rules")


class AccountRow(ChallengeRef):
    risk: str | None = Field(description="loss left before the closest floor, as a share of its limit")
    equity: str | None
    balance: str | None
    daily_floor: str | None
    max_floor: str | None
    updated_at: str


class AccountPage(ResponseModel):
    items: list[AccountRow]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null: no more")


class RecentTransition(ResponseModel):
    id: int
    challenge_id: int
    server: str
    login: int | None
    transition_no: int
    from_phase: int
    to_phase: int | None
    decision: str
    reason: str
    equity: str
    limit: str | None
    decided_at: str
    recorded_at: str


class TransitionPage(ResponseModel):
    items: list[RecentTransition]
    next_cursor: int | None


class PendingWork(ResponseModel):
    challenges: list[dict[str, Any]] = Field(description="kill reports and balance resets not finished")
    commands: list[dict[str, Any]] = Field(description="commands pending in the outbox or sent, unanswered")


class AccountAction(RequestBody):
    reason: str = Field(min_length=3, max_length=1000, description="why (kept in the audit log)")


class MoveGroupAction(AccountAction):
    group: str = Field(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f]+$", description="the MT5 group")


class ActionOut(ResponseModel):
    challenge_id: int
    action: str
    commands: list[str] = Field(description="outbox command ids, sent by the relay")
    audit_id: int


class ProgramVersion(ResponseModel):
    id: str
    version: int
    content_hash: str
    source: str | None
    loaded_at: str
    definition: dict[str, Any]


class ProgramList(ResponseModel):
    items: list[ProgramVersion]


class ProgramAdded(ResponseModel):
    id: str
    version: int
    added: bool


class QueueDepth(ResponseModel):
    visible: int | None
    in_flight: int | None
    error: str | None = None


class BlindInterval(ResponseModel):
    """A gap between two good poller cycles: nothing watched the accounts meanwhile."""

    from_: str = Field(alias="from", description="the end of the last good cycle before it (ISO, UTC)")
    to: str = Field(description="the end of the first good cycle after it")
    seconds: float
    failed_cycles: int
    cause: str = Field(description="the first error, `poller restarted`, or `slow cycle`")

    model_config = {"populate_by_name": True}


class GapAccount(ResponseModel):
    """One account of a blind interval that was not clear: its evidence for a risk officer."""

    login: int
    outcome: str = Field(description="breached (an equity MT5 computed at the minute's extreme quote), possible "
                                     "(a lower bound through the floor) or unchecked (why in `reason`)")
    floor: str | None = Field(description="the floor in force at the gap's start")
    lowest: str | None = Field(description="the lowest equity (or its bound) found")
    at: str | None = Field(description="the minute it was found in (ISO, UTC)")
    held: list[dict[str, str | int]] = Field(description="the positions held then: ticket, symbol, side, volume, "
                                                         "price_open")
    checked_until: str | None
    reason: str


class GapReview(ResponseModel):
    """A blind interval checked against MT5's deals and minute bars (propfirm.poller.gap_review)."""

    from_: str | None = Field(alias="from", description="the read before the gap (server clock, ISO, UTC)")
    to: str | None = Field(description="the read after it")
    interval: dict[str, Any] = Field(description="the blind interval as recorded")
    checked: int
    clear: int
    breached: int
    possible: int
    unchecked: int
    accounts: list[GapAccount] = Field(description="every account checked that was not clear")
    reason: str = Field(description="why nothing could be checked, if so")

    model_config = {"populate_by_name": True}


class PollerHealth(ResponseModel):
    server: str
    last_cycle_at: str | None
    heartbeat_age_seconds: float | None
    cycle: int | None
    accounts: int | None
    cycle_seconds: float | None = Field(None, description="the last cycle's duration, when the poller reports it")
    blind_intervals: list[BlindInterval] = Field(
        default_factory=list, description="the newest gaps between good cycles (propfirm.live.blind), newest first"
    )
    gap_reviews: list[GapReview] = Field(
        default_factory=list, description="each blind interval checked against MT5's record of it, newest first"
    )


class EvaluationLag(ResponseModel):
    lag_seconds: float | None = Field(description="the last batch's oldest message, from the poller's send")
    messages: int | None
    age_seconds: float = Field(description="how long ago that batch ended")


class SystemHealth(ResponseModel):
    time: str
    pollers: list[PollerHealth]
    evaluation: EvaluationLag | None = Field(None, description="null: no batch evaluated in the last hour")
    queues: dict[str, QueueDepth]
    outbox: dict[str, int] = Field(description="commands not yet sent (pending) or not yet answered (sent)")


class OverrideOut(ResponseModel):
    challenge_id: int
    transition_no: int
    decision: str
    status: str
    phase: int
    commands: list[str] = Field(description="outbox command ids, sent by the relay")
