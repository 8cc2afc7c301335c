"""Payouts: the approver's and the reviewer's bodies, a payout, eligibility with its denials and conditions."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from propfirm.api.models.base import RequestBody, ResponseModel


class ApproveRequest(RequestBody):
    note: str | None = Field(None, max_length=1000)


class RejectRequest(RequestBody):
    code: Literal[
        "rule_violation", "prohibited_strategy", "kyc_incomplete", "balance_mismatch", "duplicate_request", "other"
    ] = Field("other", description="the reason code (propfirm.domain.payouts.REJECTION_CODES); kept as `code: reason`")
    reason: str = Field(min_length=3, max_length=1000, description="the reason the trader is shown, with its numbers")


class ResolveReviewRequest(RequestBody):
    outcome: Literal["paid", "failed"] = Field(
        description="paid: the withdrawal is on the MT5 account; failed: no money left it (its deals are freed)"
    )
    note: str = Field(min_length=3, max_length=1000, description="what was checked on MT5")
    deal: int | None = Field(None, gt=0, le=2**63 - 1, description="the withdrawal's MT5 deal ticket, if known")


class PayoutOut(ResponseModel):
    """One payout: its amounts, the deals it covers, and the time of every stage it reached."""

    id: int
    challenge_id: int
    trader_id: int
    server: str
    login: int | None
    status: str = Field(
        description="requested | awaiting_approval | approved | withdrawing | manual_review | paid | rejected | failed"
    )
    currency: str
    payout_number: int
    profit: str
    amount: str = Field(description="withdrawn from the MT5 account")
    split_pct: str
    trader_share: str
    fee_refund: str
    period_start: str
    period_end: str
    deals: list[int] = Field(description="the deal tickets this payout covers")
    requested_by: str
    requested_at: str
    awaiting_approval_at: str | None
    decided_by: str | None
    decision_note: str | None
    approved_at: str | None
    rejected_at: str | None
    withdrawing_at: str | None
    paid_at: str | None
    failed_at: str | None
    reason: str | None = Field(description="a rejection's or failure's `code: note`")
    execution_arn: str | None
    withdrawal_command_id: str | None
    withdrawal_deal: int | None
    escalated_at: str | None
    review_at: str | None
    review_from: str | None
    flags: list[dict[str, Any]] = Field(description="review flags, e.g. balance_mismatch with its numbers")
    approvals: list[dict[str, Any]] = Field(description="who approved so far (four eyes)")
    details: dict[str, Any] = Field(description="the quote's breakdown: positions, balance check, tiers")


class PayoutList(ResponseModel):
    items: list[PayoutOut]


class DenialOut(ResponseModel):
    code: str
    value: str | None
    limit: str | None
    message: str


class ConditionOut(ResponseModel):
    code: str
    met: bool
    value: str | None
    limit: str | None
    met_from: str | None = Field(description="for an unmet condition time alone meets: the instant it is met")
    message: str


class EligibilityOut(ResponseModel):
    challenge_id: int
    eligible: bool
    denials: list[DenialOut]
    conditions: list[ConditionOut] = Field(description="every condition, met or not")
    quote: dict[str, Any] | None = Field(description="the payout a request now would make; null before funding")
    checked_at: str
