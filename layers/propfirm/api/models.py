"""Request bodies and the main response shapes (pydantic; money as strings, times ISO 8601 UTC)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from propfirm.domain.abuse.findings import Detector, FindingStatus


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class OverrideRequest(_Body):
    reason: str = Field(min_length=3, max_length=1000, description="why the operator overrides the rules")


class ApproveRequest(_Body):
    note: str | None = Field(None, max_length=1000)


class RejectRequest(_Body):
    code: Literal[
        "rule_violation", "prohibited_strategy", "kyc_incomplete", "balance_mismatch", "duplicate_request", "other"
    ] = Field("other", description="the reason code (propfirm.domain.payouts.REJECTION_CODES); kept as `code: reason`")
    reason: str = Field(min_length=3, max_length=1000, description="the reason the trader is shown, with its numbers")


class ResolveReviewRequest(_Body):
    outcome: Literal["paid", "failed"] = Field(
        description="paid: the withdrawal is on the MT5 account; failed: no money left it (its deals are freed)"
    )
    note: str = Field(min_length=3, max_length=1000, description="what was checked on MT5")
    deal: int | None = Field(None, gt=0, le=2**63 - 1, description="the withdrawal's MT5 deal ticket, if known")


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


class ChallengeSummary(BaseModel):
    id: int
    trader_id: int
    trader_email: str
    program_id: str
    program_version: int
    server: str
    login: int | None
    status: str = Field(description="provisioning | active | failed | passed")
    phase: int
    version: int
    transitions: int
    order_id: str | None
    created_at: str
    updated_at: str


class ChallengeList(BaseModel):
    items: list[ChallengeSummary]
    next_cursor: int | None = Field(None, description="pass as `cursor` for the next page; null: no more")


class ProgramInfo(BaseModel):
    id: str
    version: int
    currency: str
    account_size: str
    day_reset: dict[str, str]


class LiveInfo(BaseModel):
    time: str | None = Field(description="the poller's snapshot time; null: the evaluator's state")
    balance: str
    equity: str
    floating: str
    margin: str | None
    positions: list[dict[str, str]] | None


class FloorsInfo(BaseModel):
    daily: str | None
    daily_paused: bool
    max_loss: str | None
    effective: dict[str, str] | None = Field(description="the floor the poller's kill switch acts on")


class DayInfo(BaseModel):
    next_reset_at: str
    seconds_to_reset: int
    zone: str
    trading_day: str | None = None
    started_at: str | None = None


class TomorrowInfo(BaseModel):
    at: str
    assumes: str
    daily_floor: str | None
    max_loss_floor: str | None
    headroom: str | None = Field(description="equity now minus the higher floor after the reset")
    breached_at_reset: bool | None


class ProgressInfo(BaseModel):
    target_balance: str | None
    profit: str = Field(description="balance now minus the phase's starting balance (operations counted)")
    to_target: str | None = Field(description="balance still needed for the target")
    progress_pct: str | None = Field(description="share of the target's profit made, in percent")
    trading_days: int
    min_trading_days: int
    phase_started_at: str
    deadline: str | None
    days_left: int | None = Field(description="whole days to the deadline; null: no time limit")
    best_day_profit: str
    profitable_days: int = Field(description="closed days whose profit reached the phase's threshold")
    min_profitable_days: int
    uncounted_profit: str = Field(
        description="profit above the daily cap (daily_profit_cap_pct), not counted toward the target; "
        "the target balance includes it"
    )


class LimitLeft(BaseModel):
    floor: str
    limit: str = Field(description="the loss limit in money")
    left: str = Field(description="equity minus the floor: the loss still allowed now")
    left_pct: str = Field(description="`left` in percent of the account size")
    left_share: str | None = Field(description="`left` as a share of the limit (1: untouched, 0: at the floor)")
    paused: bool | None = None


class TradeLossLeft(BaseModel):
    limit: str = Field(description="the most one position may lose (max_trade_loss_pct or _amount)")
    action: str = Field(description="fail or restrict")
    worst: str | None = Field(description="the open position with the lowest result now: profit and swap")
    ticket: int | None
    left: str | None = Field(description="what that position may still lose before the limit")


class LimitsInfo(BaseModel):
    equity: str
    daily_loss: LimitLeft | None
    max_loss: LimitLeft | None
    trade_loss: TradeLossLeft | None = None


class CoverageInfo(BaseModel):
    read_at: str | None = Field(description="when the poller last read the account on MT5 (its latest snapshot)")
    judged_at: str | None = Field(
        description="the latest snapshot the rule engine has judged: the account's decisions stand on data "
        "as fresh as this"
    )
    behind_seconds: int | None = Field(
        description="read_at minus judged_at: how far the evaluator is behind the poller for this account"
    )


class ChallengeView(ChallengeSummary):
    phase_name: str | None
    program: ProgramInfo
    live: LiveInfo | None
    coverage: CoverageInfo | None = Field(
        None, description="how fresh the data the account was last judged on is (null: no account on MT5 yet)"
    )
    floors: FloorsInfo | None
    day: DayInfo
    tomorrow: TomorrowInfo | None
    progress: ProgressInfo | None
    limits: LimitsInfo | None = Field(description="daily and maximum loss left now")
    rules: dict[str, Any] | None = Field(description="the current phase's rules (the program version sold)")
    rules_text: list[str] = Field(default_factory=list, description="the same rules in plain words, one a sentence")


class Transition(BaseModel):
    id: int = Field(description="the transition's id (its explanation: .../transitions/{id}/explanation)")
    transition_no: int
    from_phase: int
    to_phase: int | None
    decision: str = Field(description="phase_passed | funded | failed | restricted | rebased")
    reason: str
    equity: str
    limit: str | None
    decided_at: str
    recorded_at: str
    state_version: int
    evidence: dict[str, Any] = Field(description="server time, balance, equity, positions, floors, rule, ...")


class Explanation(BaseModel):
    """A decision recomputed from its stored inputs and told in words (the design's ▶ Explanations)."""

    transition_id: int
    challenge_id: int
    transition_no: int
    decision: str
    reason: str
    phase: str | None
    equity: str
    limit: str | None
    decided_at: str = Field(description="UTC")
    local_time: str = Field(description="the same instant in the program's zone (where its day resets)")
    zone: str
    manual: bool = Field(description="an operator's override: not recomputed")
    replayed: bool = Field(description="recomputed from the stored inputs with the rule engine")
    same: bool = Field(description="the recomputed decision, reason, equity, limit and inputs' hash agree")
    differences: list[str] = Field(description="each field that differs, as 'field: stored X, recomputed Y'")
    inputs_sha256: str | None
    attribution: dict[str, str] | None = Field(
        description="what moved equity since the previous judged snapshot: closed_profit, commission, swap,"
        " balance_operations, other_balance, open_positions, and their sum, total (amounts as strings)"
    )
    floors: dict[str, Any] | None = Field(description="every floor in force, how each was computed, the binding one")
    positions: list[dict[str, Any]] | None = Field(description="the open positions the snapshot listed")
    text: str = Field(description="the plain-language account")


class DayResult(BaseModel):
    day: str
    result: str


class PerformanceOut(BaseModel):
    """Metrics from the closed positions (each: Σ profit + swap + commission of its deals)."""

    challenge_id: int
    scope: str = Field(description="phase: since the current phase began; challenge: all of it")
    since: str | None
    currency: str
    closed_positions: int
    open_positions: int
    wins: int
    losses: int
    net: str
    gross_profit: str
    gross_loss: str
    commission: str
    swap: str
    win_rate: str | None = Field(description="wins / closed positions (0..1)")
    profit_factor: str | None = Field(description="gross profit / gross loss; null without a loss")
    average_win: str | None
    average_loss: str | None
    largest_win: str | None
    largest_loss: str | None
    best_day: DayResult | None
    worst_day: DayResult | None
    trading_days: int = Field(description="days with a position closed")
    consistency_share: str | None = Field(description="the best day's share of the net result (0..1)")


class PayoutOut(BaseModel):
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


class PayoutList(BaseModel):
    items: list[PayoutOut]


class DenialOut(BaseModel):
    code: str
    value: str | None
    limit: str | None
    message: str


class ConditionOut(BaseModel):
    code: str
    met: bool
    value: str | None
    limit: str | None
    met_from: str | None = Field(description="for an unmet condition time alone meets: the instant it is met")
    message: str


class EligibilityOut(BaseModel):
    challenge_id: int
    eligible: bool
    denials: list[DenialOut]
    conditions: list[ConditionOut] = Field(description="every condition, met or not")
    quote: dict[str, Any] | None = Field(description="the payout a request now would make; null before funding")
    checked_at: str


class TransitionList(BaseModel):
    items: list[Transition]
    next_cursor: int | None = Field(None, description="the last transition_no: pass as `cursor`; null: no more")


class DealOut(BaseModel):
    server: str
    ticket: int
    login: int
    time: str
    action: str
    entry: str
    symbol: str
    volume: str
    price: str
    profit: str
    commission: str
    swap: str
    position: int
    order_ticket: int
    comment: str
    role: str = Field(description="trade | balance_operation | system | other")


class DealPage(BaseModel):
    items: list[DealOut]
    next_cursor: int | None


class DayOut(BaseModel):
    trading_day: str
    start_balance: str
    start_equity: str | None
    daily_floor: str | None
    close_balance: str | None
    close_equity: str | None
    profit: str | None


class DayList(BaseModel):
    items: list[DayOut]
    next_cursor: str | None = Field(None, description="the last trading_day: pass as `cursor`; null: no more")


class AuditRow(BaseModel):
    id: int
    created_at: str
    kind: str
    challenge_id: int | None
    server: str | None
    login: int | None
    payload: dict[str, Any]
    hash: str


class AuditPage(BaseModel):
    items: list[AuditRow]
    next_cursor: int | None


class ChallengePage(BaseModel):
    items: list[ChallengeSummary]
    next_cursor: int | None


class Me(BaseModel):
    sub: str
    email: str | None
    roles: list[str]
    trader: dict[str, Any] | None
    challenges: int


class EquityPoint(BaseModel):
    time: str
    balance: str
    equity: str


class EquityCurve(BaseModel):
    challenge_id: int
    start: str
    end: str
    points: list[EquityPoint]
    truncated: bool = Field(description="more points lie in the range: ask again from the last point's time")


class Credentials(BaseModel):
    challenge_id: int
    server: str
    login: int
    password_main: str
    password_investor: str
    shown_at: str


class AccountRow(BaseModel):
    id: int
    trader_id: int
    trader_email: str
    program_id: str
    program_version: int
    server: str
    login: int | None
    status: str
    phase: int
    version: int
    risk: str | None = Field(description="loss left before the closest floor, as a share of its limit")
    equity: str | None
    balance: str | None
    daily_floor: str | None
    max_floor: str | None
    updated_at: str


class AccountPage(BaseModel):
    items: list[AccountRow]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null: no more")


class RecentTransition(BaseModel):
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


class TransitionPage(BaseModel):
    items: list[RecentTransition]
    next_cursor: int | None


class PendingWork(BaseModel):
    challenges: list[dict[str, Any]] = Field(description="kill reports and balance resets not finished")
    commands: list[dict[str, Any]] = Field(description="commands pending in the outbox or sent, unanswered")


class AccountAction(_Body):
    reason: str = Field(min_length=3, max_length=1000, description="why (kept in the audit log)")


class MoveGroupAction(AccountAction):
    group: str = Field(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f]+$", description="the MT5 group")


class ActionOut(BaseModel):
    challenge_id: int
    action: str
    commands: list[str] = Field(description="outbox command ids, sent by the relay")
    audit_id: int


class ProgramVersion(BaseModel):
    id: str
    version: int
    content_hash: str
    source: str | None
    loaded_at: str
    definition: dict[str, Any]


class ProgramList(BaseModel):
    items: list[ProgramVersion]


class ProgramAdded(BaseModel):
    id: str
    version: int
    added: bool


class QueueDepth(BaseModel):
    visible: int | None
    in_flight: int | None
    error: str | None = None


class BlindInterval(BaseModel):
    """A gap between two good poller cycles: nothing watched the accounts meanwhile."""

    from_: str = Field(alias="from", description="the end of the last good cycle before it (ISO, UTC)")
    to: str = Field(description="the end of the first good cycle after it")
    seconds: float
    failed_cycles: int
    cause: str = Field(description="the first error, `poller restarted`, or `slow cycle`")

    model_config = {"populate_by_name": True}


class GapAccount(BaseModel):
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


class GapReview(BaseModel):
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


class PollerHealth(BaseModel):
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


class EvaluationLag(BaseModel):
    lag_seconds: float | None = Field(description="the last batch's oldest message, from the poller's send")
    messages: int | None
    age_seconds: float = Field(description="how long ago that batch ended")


class SystemHealth(BaseModel):
    time: str
    pollers: list[PollerHealth]
    evaluation: EvaluationLag | None = Field(None, description="null: no batch evaluated in the last hour")
    queues: dict[str, QueueDepth]
    outbox: dict[str, int] = Field(description="commands not yet sent (pending) or not yet answered (sent)")


class OverrideOut(BaseModel):
    challenge_id: int
    transition_no: int
    decision: str
    status: str
    phase: int
    commands: list[str] = Field(description="outbox command ids, sent by the relay")


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


# -- outbound webhooks -----------------------------------------------------------------------------------
from propfirm.webhooks.messages import EventType as WebhookEventType  # noqa: E402 - beside its models


class WebhookEndpointRequest(_Body):
    url: str = Field(min_length=8, max_length=2000, description="https:// (http:// only to this machine)")
    event_types: list[WebhookEventType] = Field(default_factory=list, description="empty: every event type")
    description: str = Field("", max_length=200)
    server: str | None = Field(None, min_length=1, max_length=64, description="only this MT5 server's events")


class WebhookEndpointChange(_Body):
    url: str | None = Field(None, min_length=8, max_length=2000)
    event_types: list[WebhookEventType] | None = None
    description: str | None = Field(None, max_length=200)
    enabled: bool | None = None


class RotateSecretRequest(_Body):
    overlap_hours: int = Field(24, ge=0, le=168, description="how long the previous secret still signs too")


class WebhookEndpointOut(BaseModel):
    id: int
    url: str
    description: str
    event_types: list[str]
    server: str | None
    enabled: bool
    rotating_until: str | None = Field(description="the previous secret signs too until then")
    created_at: str
    updated_at: str
    secret: str | None = Field(None, description="shown once: when the endpoint is created or its secret rotated")


class WebhookEndpointList(BaseModel):
    items: list[WebhookEndpointOut]


class WebhookDeliveryOut(BaseModel):
    id: int
    endpoint_id: int
    webhook_id: str = Field(description="the webhook-id header: the same on every attempt and replay")
    type: str
    challenge_id: int | None
    status: Literal["pending", "delivered", "failed"] = Field(description="failed: on the dead-letter list")
    attempts: int
    replays: int
    next_attempt_at: str | None
    last_status: int | None
    last_error: str | None
    created_at: str
    delivered_at: str | None


class WebhookDeliveryPage(BaseModel):
    items: list[WebhookDeliveryOut]
    next_cursor: int | None
    counts: dict[str, int] = Field(description="the endpoint's deliveries by status")


# -- abuse findings ----------------------------------------------------------------------------------------
class FindingDecision(_Body):
    note: str = Field(min_length=3, max_length=1000, description="what the risk officer checked")


class FindingConfirmation(FindingDecision):
    fail: bool = Field(False, description="also fail each account's active challenge (the audited override)")


class FindingOut(BaseModel):
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


class FindingPage(BaseModel):
    items: list[FindingOut]
    next_cursor: int | None


# -- leaderboard --------------------------------------------------------------------------------------------
class LeaderboardOptIn(_Body):
    display_name: str | None = Field(
        description="the name to be listed under (3-24 letters, digits, spaces, . _ -); null: not listed",
        min_length=3,
        max_length=24,
        pattern=r"^[\w .-]+$",
    )


class LeaderboardEntry(BaseModel):
    rank: int
    name: str
    program: str
    return_pct: str
    winning_days_pct: str
    drawdown_pct: str
    days_traded: int


class Leaderboard(BaseModel):
    board: Literal["funded", "challenge"]
    days: int
    sort: Literal["return", "consistency", "drawdown"]
    through: str = Field(description="the last trading day counted")
    items: list[LeaderboardEntry]


class LeaderboardMembership(BaseModel):
    display_name: str | None


class CrmChallenge(BaseModel):
    """One challenge as a CRM keeps it (upsert by `challenge_id`)."""

    challenge_id: int
    changed_at: str = Field(description="when a CRM-facing fact last changed (ISO, UTC)")
    trader: dict[str, Any] = Field(description="`email`")
    program: dict[str, Any] = Field(description="`id`, `version`, `name`, `account_size`, `currency`")
    account: dict[str, Any] | None = Field(description="`server` and `login`; null before the account exists")
    status: str = Field(description="active, passed, failed, ...")
    phase: dict[str, Any] = Field(description="`index`, `name`, `funded`")
    created_at: str
    progress: dict[str, Any] | None = Field(description="the phase's progress as last saved (as the trader's view)")
    payouts: dict[str, Any] = Field(description="`count`, `paid`, `paid_to_trader`, `history` (each payout's id, "
                                                "status, amount, trader_share, requested_at, paid_at)")


class CrmPage(BaseModel):
    items: list[CrmChallenge]
    next_cursor: str | None = Field(description="pass as `cursor` next time (the same when nothing changed)")


# -- the news calendar ----------------------------------------------------------------------------------------
class NewsReleaseIn(_Body):
    at: AwareDatetime = Field(description="when the release is published (with its offset)")
    title: str = Field(min_length=1, max_length=200, description="e.g. US non-farm payrolls")
    currencies: list[Annotated[str, Field(pattern=r"^[A-Z]{3}$")]] = Field(
        default_factory=list, max_length=20, description="ISO 4217 codes the release moves (shown; the blackout "
                                                         "applies to every symbol)")
    impact: Literal["low", "medium", "high"] = "high"


class NewsCalendarIn(_Body):
    releases: list[NewsReleaseIn] = Field(min_length=1, max_length=1000)


class NewsReleaseOut(BaseModel):
    id: int
    at: str
    title: str
    currencies: list[str]
    impact: Literal["low", "medium", "high"]
    added_by: str | None = Field(description="who listed it (staff only; null for traders)")
    added_at: str | None = Field(description="when it was listed (staff only)")


class NewsCalendarOut(BaseModel):
    items: list[NewsReleaseOut]
    added: int | None = Field(None, description="a POST: how many were new (the rest were listed already)")
