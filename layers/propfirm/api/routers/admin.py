"""The operators' dashboard under /admin/ (challenges, overrides, the audit log, transitions): admin does
everything, support reads (GET) only. Accounts and their actions are in `admin_accounts`, programs in
`admin_programs`, payouts in `admin_payouts`, the system in `admin_system`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from propfirm.api import queries
from propfirm.api.auth import require_admin, require_reader
from propfirm.api.context import MAX_ID, any_challenge, operator_name, page, principal
from propfirm.api.live_view import challenge_view
from propfirm.api.models import (
    AuditPage,
    ChallengePage,
    ChallengeView,
    Explanation,
    OverrideOut,
    OverrideRequest,
    PendingWork,
    TransitionPage,
    documented,
)
from propfirm.api.problems import NotFound, Unprocessable
from propfirm.api.runtime import runtime
from propfirm.explain.service import explain_transition
from propfirm.operations.overrides import override
from propfirm.store.gaps import GapStore

router = Router()

ChallengeId = Annotated[int, Path(gt=0, le=MAX_ID)]
Limit = Annotated[int, Query(ge=1, le=500)]
Cursor = Annotated[int | None, Query(gt=0, le=MAX_ID, description="last id of the previous page")]
Name = Annotated[str | None, Query(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]


@router.get(
    "/admin/challenges",
    summary="Challenges, newest first (keyset pagination)",
    tags=["admin"],
    responses=documented(ChallengePage),
)
def list_challenges(
    status: Name = None, program: Name = None, limit: Limit = 50, cursor: Cursor = None
) -> ChallengePage:
    require_reader(principal(router))
    with runtime().uow() as uow:
        items = queries.challenges_page(uow, status=status, program=program, limit=limit, cursor=cursor)
    return ChallengePage.model_validate(page(items, limit))


@router.get(
    "/admin/challenges/<challenge_id>",
    summary="One challenge with live view, transitions, outbox",
    tags=["admin"],
    responses=documented(ChallengeView),
)
def get_challenge(challenge_id: ChallengeId) -> ChallengeView:
    require_reader(principal(router))
    rt = runtime()
    with rt.uow() as uow:
        row = any_challenge(uow, challenge_id)
        program = uow.programs.get(row["program_id"], row["program_version"])
        view = challenge_view(uow, rt.redis, rt.keys, row, program, rt.clock())
        view["transitions_list"] = queries.transitions(uow, challenge_id)
        view["commands"] = queries.outbox_of(uow, challenge_id)
        # what the poller's blind intervals may have hidden on this account (propfirm.store.gaps), newest first
        view["gap_findings"] = (
            [f.to_public() for f in GapStore(uow).findings(row["server"], login=row["login"], limit=20)]
            if row.get("login") else []
        )
    return ChallengeView.model_validate(view)


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
            operator=operator_name(router),
            now=rt.clock(),
        )
    rt.relay_commands()
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
def fail_challenge(challenge_id: ChallengeId, body: Annotated[OverrideRequest, Body()]) -> OverrideOut:
    return OverrideOut.model_validate(_override(challenge_id, "fail", body))


@router.post(
    "/admin/challenges/<challenge_id>/pass",
    summary="Pass the current phase by hand (with a reason)",
    tags=["admin"],
    responses=documented(OverrideOut),
)
def pass_challenge(challenge_id: ChallengeId, body: Annotated[OverrideRequest, Body()]) -> OverrideOut:
    return OverrideOut.model_validate(_override(challenge_id, "pass", body))


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
) -> AuditPage:
    require_reader(principal(router))
    with runtime().uow() as uow:
        return AuditPage.model_validate(page(queries.audit(uow, challenge_id, limit, cursor), limit))


@router.post(
    "/admin/challenges/<challenge_id>/reset",
    summary="Restart the current phase: balance back to the account size, floors and clock afresh",
    tags=["admin"],
    responses=documented(OverrideOut),
)
def reset(challenge_id: ChallengeId, body: Annotated[OverrideRequest, Body()]) -> OverrideOut:
    return OverrideOut.model_validate(_override(challenge_id, "reset", body))


# -- transitions -------------------------------------------------------------------------------------------
@router.get(
    "/admin/transitions",
    summary="Phase transitions of every account, newest first (keyset on the id)",
    tags=["admin"],
    responses=documented(TransitionPage),
)
def recent_transitions(
    since: Annotated[datetime | None, Query(description="only those decided at or after this time")] = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> TransitionPage:
    require_reader(principal(router))
    if since is not None and since.tzinfo is None:
        raise Unprocessable("since: give a time zone (e.g. 2026-11-25T12:00:00Z)")
    with runtime().uow() as uow:
        rows = queries.recent_transitions(uow, since=since, limit=limit, cursor=cursor)
    return TransitionPage.model_validate(page(rows, limit))


@router.get(
    "/admin/transitions/<transition_id>/explanation",
    summary="Any decision recomputed from its stored inputs and explained (support and admin)",
    tags=["admin"],
    responses=documented(Explanation),
)
def explanation(transition_id: Annotated[int, Path(gt=0, le=MAX_ID)]) -> Explanation:
    require_reader(principal(router))
    with runtime().uow() as uow:
        record = explain_transition(uow, transition_id)
    if record is None:
        raise NotFound(f"no transition {transition_id}")
    return Explanation.model_validate(record)


@router.get(
    "/admin/transitions/pending",
    summary="Decided but not carried out: kill reports, balance resets, commands not done",
    tags=["admin"],
    responses=documented(PendingWork),
)
def pending(
    limit: Limit = 100, challenge_id: Annotated[int | None, Query(gt=0, le=MAX_ID)] = None
) -> PendingWork:
    require_reader(principal(router))
    with runtime().uow() as uow:
        return PendingWork.model_validate(queries.pending_transitions(uow, limit, challenge_id))
