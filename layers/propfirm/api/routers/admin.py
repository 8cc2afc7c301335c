"""The operators' dashboard under /admin/: admin does everything, support reads (GET) only."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from propfirm.api import payouts_port, queries
from propfirm.api.auth import require_admin, require_reader
from propfirm.api.context import MAX_ID, any_challenge, page, principal
from propfirm.api.live_view import challenge_view
from propfirm.api.models import (
    ApproveRequest,
    AuditPage,
    ChallengePage,
    ChallengeView,
    OverrideOut,
    OverrideRequest,
    RejectRequest,
    documented,
)
from propfirm.api.overrides import override
from propfirm.api.runtime import runtime

router = Router()

ChallengeId = Annotated[int, Path(gt=0, le=MAX_ID)]
PayoutId = Annotated[int, Path(gt=0, le=MAX_ID)]
Limit = Annotated[int, Query(ge=1, le=500)]
Cursor = Annotated[int | None, Query(gt=0, le=MAX_ID, description="last id of the previous page")]
Name = Annotated[str | None, Query(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]
PayoutStatus = Literal[
    "requested", "awaiting_approval", "approved", "withdrawing", "paid", "rejected", "failed"
]


def _operator() -> str:
    who = principal(router)
    return who.email or who.sub


@router.get(
    "/admin/challenges",
    summary="Challenges, newest first (keyset pagination)",
    tags=["admin"],
    responses=documented(ChallengePage),
)
def list_challenges(
    status: Name = None, program: Name = None, limit: Limit = 50, cursor: Cursor = None
) -> dict[str, Any]:
    require_reader(principal(router))
    with runtime().uow() as uow:
        items = queries.challenges_page(uow, status=status, program=program, limit=limit, cursor=cursor)
    return page(items, limit)


@router.get(
    "/admin/challenges/<challenge_id>",
    summary="One challenge with live view, transitions, outbox",
    tags=["admin"],
    responses=documented(ChallengeView),
)
def get_challenge(challenge_id: ChallengeId) -> dict[str, Any]:
    require_reader(principal(router))
    rt = runtime()
    with rt.uow() as uow:
        row = any_challenge(uow, challenge_id)
        program = uow.programs.get(row["program_id"], row["program_version"])
        view = challenge_view(uow, rt.redis, rt.keys, row, program, rt.clock())
        view["transitions_list"] = queries.transitions(uow, challenge_id)
        view["commands"] = queries.outbox_of(uow, challenge_id)
    return view


def _override(challenge_id: int, action: str, body: OverrideRequest) -> dict[str, Any]:
    require_admin(principal(router))
    rt = runtime()
    with rt.uow() as uow:
        result = override(
            uow,
            rt.redis,
            rt.keys,
            challenge_id=challenge_id,
            action=action,
            reason=body.reason,
            operator=_operator(),
            now=rt.clock(),
        )
    return {
        "challenge_id": result.challenge_id,
        "transition_no": result.transition_no,
        "decision": result.decision,
        "status": result.status,
        "phase": result.phase,
        "commands": result.commands,
    }


@router.post(
    "/admin/challenges/<challenge_id>/fail",
    summary="Fail a challenge by hand (with a reason)",
    tags=["admin"],
    responses=documented(OverrideOut),
)
def fail_challenge(challenge_id: ChallengeId, body: Annotated[OverrideRequest, Body()]) -> dict[str, Any]:
    return _override(challenge_id, "fail", body)


@router.post(
    "/admin/challenges/<challenge_id>/pass",
    summary="Pass the current phase by hand (with a reason)",
    tags=["admin"],
    responses=documented(OverrideOut),
)
def pass_challenge(challenge_id: ChallengeId, body: Annotated[OverrideRequest, Body()]) -> dict[str, Any]:
    return _override(challenge_id, "pass", body)


@router.get("/admin/payouts", summary="Payouts, newest first", tags=["admin", "payouts"])
def list_payouts(
    status: Annotated[PayoutStatus | None, Query()] = None, limit: Limit = 100
) -> dict[str, Any]:
    require_reader(principal(router))
    rt = runtime()
    records = payouts_port.call("list_payouts", rt.uow(), status=status, limit=limit)
    return {"items": [payouts_port.payout_json(r) for r in records]}


@router.post(
    "/admin/payouts/<payout_id>/approve", summary="Approve a payout (idempotent)", tags=["admin", "payouts"]
)
def approve_payout(payout_id: PayoutId, body: Annotated[ApproveRequest, Body()]) -> dict[str, Any]:
    require_admin(principal(router))
    rt = runtime()
    record = payouts_port.call("approve", rt.uow(), payout_id, _operator(), body.note, rt.clock())
    return payouts_port.payout_json(record)


@router.post(
    "/admin/payouts/<payout_id>/reject",
    summary="Reject a payout with a reason (idempotent)",
    tags=["admin", "payouts"],
)
def reject_payout(payout_id: PayoutId, body: Annotated[RejectRequest, Body()]) -> dict[str, Any]:
    require_admin(principal(router))
    rt = runtime()
    record = payouts_port.call("reject", rt.uow(), payout_id, _operator(), body.reason, rt.clock())
    return payouts_port.payout_json(record)


@router.get(
    "/admin/audit",
    summary="Audit log rows, newest first (keyset on the id)",
    tags=["admin"],
    responses=documented(AuditPage),
)
def audit(
    challenge_id: Annotated[int | None, Query(gt=0, le=MAX_ID)] = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> dict[str, Any]:
    require_reader(principal(router))
    with runtime().uow() as uow:
        return page(queries.audit(uow, challenge_id, limit, cursor), limit)
