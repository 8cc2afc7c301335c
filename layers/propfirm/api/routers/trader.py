"""The trader's dashboard: their own challenges and payouts (role trader, identified by the token's sub).

Another trader's challenge or payout is a 404, exactly as if it did not exist.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Literal

import psycopg
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from propfirm.api import queries
from propfirm.api.auth import TRADER, require_trader
from propfirm.api.context import MAX_ID, owned_challenge, page, principal
from propfirm.api.live_view import challenge_view
from propfirm.api.models import (
    ChallengeList,
    ChallengeView,
    Credentials,
    DayList,
    DealPage,
    EligibilityOut,
    EquityCurve,
    Explanation,
    LeaderboardMembership,
    LeaderboardOptIn,
    Me,
    PayoutList,
    PayoutOut,
    PerformanceOut,
    TransitionList,
    documented,
)
from propfirm.api.payouts_port import eligibility_json, payout_json, payout_problems
from propfirm.api.performance_view import performance_view
from propfirm.api.problems import Conflict, NotFound, Unprocessable
from propfirm.api.runtime import runtime
from propfirm.explain.service import explain_transition
from propfirm.live.records import iso_utc
from propfirm.operations import credentials
from propfirm.payouts import service as payouts
from propfirm.store.audit import AuditEntry

router = Router()

ChallengeId = Annotated[int, Path(gt=0, le=MAX_ID, description="the challenge's id")]
TransitionId = Annotated[int, Path(gt=0, le=MAX_ID, description="the transition's id")]
Limit = Annotated[int, Query(ge=1, le=500)]
Cursor = Annotated[int | None, Query(gt=0, le=MAX_ID, description="last id/ticket of the previous page")]


@router.get(
    "/me", summary="The caller: email, roles and trader record", tags=["trader"], responses=documented(Me)
)
def me() -> Me:
    who = principal(router)
    with runtime().uow() as uow:
        trader = queries.trader_by_sub(uow, who.sub) if who.has(TRADER) else None
        count = queries.count_challenges_of(uow, who.sub) if trader else 0
    return Me.model_validate({
        "sub": who.sub,
        "email": who.email,
        "roles": sorted(who.groups),
        "trader": trader,
        "challenges": count,
    })


@router.put(
    "/me/leaderboard",
    summary="Be listed on the public leaderboard under a display name (null: not listed)",
    tags=["trader"],
    responses=documented(LeaderboardMembership),
)
def join_leaderboard(body: Annotated[LeaderboardOptIn, Body()]) -> LeaderboardMembership:
    sub = require_trader(principal(router))
    rt = runtime()
    with rt.uow() as uow:
        try:
            row = uow.fetchone(
                "UPDATE traders SET leaderboard_name = %s WHERE sub = %s RETURNING id", (body.display_name, sub)
            )
        except psycopg.errors.UniqueViolation:
            raise Conflict(f"the display name {body.display_name!r} is taken: choose another") from None
        if row is None:
            raise NotFound("no trader record for this login yet (it comes with the first purchase)")
        uow.audit.append(
            [AuditEntry(kind="trader.leaderboard", payload={"trader_id": row[0], "display_name": body.display_name},
                        created_at=rt.clock())]
        )
        uow.commit()
    return LeaderboardMembership.model_validate({"display_name": body.display_name})


@router.get(
    "/challenges", summary="The trader's challenges", tags=["trader"], responses=documented(ChallengeList)
)
def my_challenges(limit: Limit = 100, cursor: Cursor = None) -> ChallengeList:
    sub = require_trader(principal(router))
    with runtime().uow() as uow:
        return ChallengeList.model_validate(page(queries.challenges_of(uow, sub, limit, cursor), limit))


@router.get(
    "/challenges/<challenge_id>",
    summary="One challenge: status, live balances, floors now, next reset with countdown, tomorrow's floor",
    tags=["trader"],
    responses=documented(ChallengeView),
)
def my_challenge(challenge_id: ChallengeId) -> ChallengeView:
    sub = require_trader(principal(router))
    rt = runtime()
    with rt.uow() as uow:
        row = owned_challenge(uow, challenge_id, sub)
        program = uow.programs.get(row["program_id"], row["program_version"])
        return ChallengeView.model_validate(challenge_view(uow, rt.redis, rt.keys, row, program, rt.clock()))


@router.get(
    "/challenges/<challenge_id>/transitions",
    summary="Phase transitions with breach evidence",
    tags=["trader"],
    responses=documented(TransitionList),
)
def my_transitions(
    challenge_id: ChallengeId,
    limit: Limit = 100,
    cursor: Annotated[int | None, Query(gt=0, le=2**31 - 1, description="the last transition_no seen")] = None,
) -> TransitionList:
    sub = require_trader(principal(router))
    with runtime().uow() as uow:
        owned_challenge(uow, challenge_id, sub)
        rows = queries.transitions(uow, challenge_id, limit, cursor)
    return TransitionList.model_validate(page(rows, limit, key="transition_no"))


@router.get(
    "/challenges/<challenge_id>/transitions/<transition_id>/explanation",
    summary="One decision recomputed from its stored inputs and explained: the same check and the words",
    tags=["trader"],
    responses=documented(Explanation),
)
def my_explanation(challenge_id: ChallengeId, transition_id: TransitionId) -> Explanation:
    sub = require_trader(principal(router))
    with runtime().uow() as uow:
        owned_challenge(uow, challenge_id, sub)
        record = explain_transition(uow, transition_id)
    if record is None or record["challenge_id"] != challenge_id:
        raise NotFound(f"no transition {transition_id} on challenge {challenge_id}")
    return Explanation.model_validate(record)


@router.get(
    "/challenges/<challenge_id>/deals",
    summary="Deals, newest first (keyset on the ticket)",
    tags=["trader"],
    responses=documented(DealPage),
)
def my_deals(
    challenge_id: ChallengeId,
    limit: Limit = 100,
    cursor: Cursor = None,
    symbol: Annotated[str | None, Query(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9._#+-]+$")] = None,
    role: Annotated[Literal["trade", "balance_operation", "system", "other"] | None, Query()] = None,
) -> DealPage:
    sub = require_trader(principal(router))
    with runtime().uow() as uow:
        owned_challenge(uow, challenge_id, sub)
        rows = queries.deals(uow, challenge_id, limit, cursor, symbol, role)
    return DealPage.model_validate(page(rows, limit, key="ticket"))


@router.get(
    "/challenges/<challenge_id>/days",
    summary="Daily statistics per trading day",
    tags=["trader"],
    responses=documented(DayList),
)
def my_days(
    challenge_id: ChallengeId,
    limit: Limit = 100,
    cursor: Annotated[date | None, Query(description="the last trading_day seen (YYYY-MM-DD)")] = None,
) -> DayList:
    sub = require_trader(principal(router))
    with runtime().uow() as uow:
        owned_challenge(uow, challenge_id, sub)
        return DayList.model_validate(page(queries.days(uow, challenge_id, limit, cursor), limit, key="trading_day"))


@router.get(
    "/challenges/<challenge_id>/performance",
    summary="Performance from the closed positions: win rate, profit factor, averages, best and worst day",
    tags=["trader"],
    responses=documented(PerformanceOut),
)
def my_performance(
    challenge_id: ChallengeId,
    scope: Annotated[Literal["phase", "challenge"], Query(description="the current phase, or the whole challenge")]
    = "phase",
) -> PerformanceOut:
    sub = require_trader(principal(router))
    with runtime().uow() as uow:
        owned_challenge(uow, challenge_id, sub)
        return PerformanceOut.model_validate(performance_view(uow, challenge_id, scope))


@router.get(
    "/challenges/<challenge_id>/payouts/eligibility",
    summary="Payout self-check: every condition met or not, every denial with its reason code, the would-be payout",
    tags=["trader", "payouts"],
    responses=documented(EligibilityOut),
)
def my_eligibility(challenge_id: ChallengeId) -> EligibilityOut:
    sub = require_trader(principal(router))
    rt = runtime()
    with rt.uow() as uow:
        owned_challenge(uow, challenge_id, sub)
    with payout_problems():
        result = payouts.check_eligibility(rt.uow(), challenge_id, rt.clock())
    return EligibilityOut.model_validate(eligibility_json(result))


@router.post(
    "/challenges/<challenge_id>/payouts",
    summary="Request a payout (refused with reason codes)",
    tags=["trader", "payouts"],
    responses=documented(PayoutOut, "Requested", 201),
)
def request_payout(challenge_id: ChallengeId) -> Response[PayoutOut]:
    sub = require_trader(principal(router))
    rt = runtime()
    with rt.uow() as uow:
        owned_challenge(uow, challenge_id, sub)
    with payout_problems():
        record = payouts.request_payout(rt.uow(), challenge_id, sub, rt.clock(), rt.payouts)
    requested = PayoutOut.model_validate(payout_json(record))
    return Response(status_code=201, content_type="application/json", body=requested)


@router.get(
    "/challenges/<challenge_id>/payouts",
    summary="The challenge's payouts",
    tags=["trader", "payouts"],
    responses=documented(PayoutList),
)
def my_payouts(challenge_id: ChallengeId) -> PayoutList:
    sub = require_trader(principal(router))
    rt = runtime()
    with rt.uow() as uow:
        owned_challenge(uow, challenge_id, sub)
    with payout_problems():
        records = payouts.list_payouts(rt.uow(), challenge_id=challenge_id)
    return PayoutList.model_validate({"items": [payout_json(r) for r in records]})


MAX_POINTS = 5000


@router.get(
    "/challenges/<challenge_id>/equity",
    summary="The equity curve between two times (default: the last 7 days), oldest point first",
    tags=["trader"],
    responses=documented(EquityCurve),
)
def my_equity(
    challenge_id: ChallengeId,
    start: Annotated[datetime | None, Query(alias="from", description="ISO 8601 with a time zone")] = None,
    end: Annotated[datetime | None, Query(alias="to", description="ISO 8601 with a time zone")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_POINTS)] = 1000,
) -> EquityCurve:
    sub = require_trader(principal(router))
    rt = runtime()
    if (start is not None and start.tzinfo is None) or (end is not None and end.tzinfo is None):
        raise Unprocessable("from/to: give a time zone (e.g. 2026-11-25T12:00:00Z)")
    end = end or rt.clock()
    start = start or end - timedelta(days=7)
    if start > end:
        raise Unprocessable("from: must not be after to")
    with rt.uow() as uow:
        owned_challenge(uow, challenge_id, sub)
        points = queries.equity_curve(uow, challenge_id, start, end, limit + 1)
    return EquityCurve.model_validate({
        "challenge_id": challenge_id,
        "start": iso_utc(start),
        "end": iso_utc(end),
        "points": points[:limit],
        "truncated": len(points) > limit,
    })


@router.post(
    "/challenges/<challenge_id>/credentials",
    summary="The MT5 login and passwords, shown once (409 before the account exists and after the first time)",
    tags=["trader"],
    responses={**documented(Credentials), 409: {"description": "account_pending, already_shown or no_credentials"}},
)
def my_credentials(challenge_id: ChallengeId) -> Credentials:
    sub = require_trader(principal(router))
    rt = runtime()
    with rt.uow() as uow:
        row = owned_challenge(uow, challenge_id, sub)
        revealed = credentials.reveal(uow, rt.credentials_cipher(), row, sub, rt.clock())
    return Credentials.model_validate(queries.jsonable(revealed))
