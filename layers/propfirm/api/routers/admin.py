"""The operators' dashboard under /admin/: admin does everything, support reads (GET) only."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from propfirm.api import queries
from propfirm.api.auth import require_admin, require_reader
from propfirm.api.context import MAX_ID, any_challenge, page, principal
from propfirm.api.live_view import challenge_view
from propfirm.api.models import (
    AccountAction,
    AccountPage,
    ActionOut,
    AuditPage,
    ChallengePage,
    ChallengeView,
    Explanation,
    MoveGroupAction,
    OverrideOut,
    OverrideRequest,
    PendingWork,
    ProgramAdded,
    ProgramList,
    TransitionPage,
    documented,
)
from propfirm.api.problems import Conflict, NotFound, Unprocessable
from propfirm.api.runtime import runtime
from propfirm.domain.programs import ProgramError, parse_program
from propfirm.explain.service import explain_transition
from propfirm.operations.actions import account_action
from propfirm.operations.overrides import override
from propfirm.store.audit import AuditEntry
from propfirm.store.errors import NotFound as StoreNotFound
from propfirm.store.errors import ProgramConflict

router = Router()

ChallengeId = Annotated[int, Path(gt=0, le=MAX_ID)]
Limit = Annotated[int, Query(ge=1, le=500)]
Cursor = Annotated[int | None, Query(gt=0, le=MAX_ID, description="last id of the previous page")]
Name = Annotated[str | None, Query(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]


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


# -- accounts: filters, the risk sort, the accounts near a limit ------------------------------------------
RiskCursor = Annotated[
    str | None,
    Query(
        max_length=80,
        pattern=r"^-?[0-9]{1,12}(\.[0-9]{1,12})?_[0-9]{1,19}$",
        description="`next_cursor` of the previous page (risk_id)",
    ),
]
Phase = Annotated[int | None, Query(ge=0, le=20, description="the phase index (0: the first)")]
Email = Annotated[
    str | None, Query(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$", description="the trader's email")
]
Within = Annotated[
    Decimal,
    Query(ge=-1000, le=1000, description="share of a limit still left: 0.25 lists accounts with 25% or less left"),
]


def _risk_cursor(cursor: str | None) -> tuple[Decimal, int] | None:
    if cursor is None:
        return None
    risk, _, ident = cursor.rpartition("_")
    try:
        value = (Decimal(risk), int(ident))
    except (InvalidOperation, ValueError):
        raise Unprocessable("cursor: not a cursor this API gave") from None
    if value[1] > MAX_ID:
        raise Unprocessable("cursor: not a cursor this API gave")
    return value


def _risk_page(items: list[dict[str, Any]], limit: int) -> dict[str, Any]:
    last = items[-1] if len(items) == limit else None
    return {"items": items, "next_cursor": None if last is None else f"{last['risk']}_{last['id']}"}


@router.get(
    "/admin/accounts",
    summary="Accounts with filters; sort=risk: the closest to a floor first (loss left as a share of the limit)",
    tags=["admin"],
    responses=documented(AccountPage),
)
def list_accounts(
    sort: Annotated[Literal["risk", "id"], Query()] = "risk",
    status: Name = None,
    program: Name = None,
    phase: Phase = None,
    email: Email = None,
    limit: Limit = 50,
    cursor: RiskCursor = None,
) -> dict[str, Any]:
    require_reader(principal(router))
    with runtime().uow() as uow:
        if sort == "risk":
            if status not in (None, "active"):
                raise Unprocessable("sort=risk lists active accounts: leave status out or use sort=id")
            items = queries.accounts_by_risk(
                uow,
                program=program,
                within=None,
                limit=limit,
                after=_risk_cursor(cursor),
                phase=phase,
                email=email,
            )
            return _risk_page(items, limit)
        if cursor is not None and (not cursor.isdigit() or int(cursor) > MAX_ID or int(cursor) == 0):
            raise Unprocessable("cursor: with sort=id, the last id of the previous page")
        items = queries.accounts_by_id(
            uow,
            status=status,
            program=program,
            limit=limit,
            cursor=int(cursor) if cursor else None,
            phase=phase,
            email=email,
        )
    out = page(items, limit)
    out["next_cursor"] = None if out["next_cursor"] is None else str(out["next_cursor"])
    return out


@router.get(
    "/admin/accounts/near-limit",
    summary="Active accounts within a given share of a loss limit, the closest first",
    tags=["admin"],
    responses=documented(AccountPage),
)
def near_limit(
    within: Within = Decimal("0.25"), program: Name = None, limit: Limit = 100, cursor: RiskCursor = None
) -> dict[str, Any]:
    require_reader(principal(router))
    with runtime().uow() as uow:
        items = queries.accounts_by_risk(
            uow, program=program, within=within, limit=limit, after=_risk_cursor(cursor)
        )
    return _risk_page(items, limit)


# -- account actions: each an audited command ---------------------------------------------------------------
def _action(challenge_id: int, action: str, body: AccountAction, group: str | None = None) -> dict[str, Any]:
    require_admin(principal(router))
    rt = runtime()
    with rt.uow() as uow:
        result = account_action(
            uow,
            challenge_id=challenge_id,
            action=action,
            reason=body.reason,
            operator=_operator(),
            now=rt.clock(),
            group=group,
        )
    rt.relay_commands()
    return {
        "challenge_id": result.challenge_id,
        "action": result.action,
        "commands": result.commands,
        "audit_id": result.audit_id,
    }


@router.post(
    "/admin/challenges/<challenge_id>/close-all",
    summary="Close all the account's positions (an audited command)",
    tags=["admin"],
    responses=documented(ActionOut),
)
def close_all(challenge_id: ChallengeId, body: Annotated[AccountAction, Body()]) -> dict[str, Any]:
    return _action(challenge_id, "close_all", body)


@router.post(
    "/admin/challenges/<challenge_id>/disable",
    summary="Disable trading on the account (an audited command)",
    tags=["admin"],
    responses=documented(ActionOut),
)
def disable(challenge_id: ChallengeId, body: Annotated[AccountAction, Body()]) -> dict[str, Any]:
    return _action(challenge_id, "disable", body)


@router.post(
    "/admin/challenges/<challenge_id>/enable",
    summary="Enable trading on the account (an audited command)",
    tags=["admin"],
    responses=documented(ActionOut),
)
def enable(challenge_id: ChallengeId, body: Annotated[AccountAction, Body()]) -> dict[str, Any]:
    return _action(challenge_id, "enable", body)


@router.post(
    "/admin/challenges/<challenge_id>/move-group",
    summary="Move the account to another MT5 group (an audited command)",
    tags=["admin"],
    responses=documented(ActionOut),
)
def move_group(challenge_id: ChallengeId, body: Annotated[MoveGroupAction, Body()]) -> dict[str, Any]:
    return _action(challenge_id, "move_group", body, group=body.group)


@router.post(
    "/admin/challenges/<challenge_id>/reset",
    summary="Restart the current phase: balance back to the account size, floors and clock afresh",
    tags=["admin"],
    responses=documented(OverrideOut),
)
def reset(challenge_id: ChallengeId, body: Annotated[OverrideRequest, Body()]) -> dict[str, Any]:
    return _override(challenge_id, "reset", body)


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
) -> dict[str, Any]:
    require_reader(principal(router))
    if since is not None and since.tzinfo is None:
        raise Unprocessable("since: give a time zone (e.g. 2026-11-25T12:00:00Z)")
    with runtime().uow() as uow:
        return page(queries.recent_transitions(uow, since=since, limit=limit, cursor=cursor), limit)


@router.get(
    "/admin/transitions/<transition_id>/explanation",
    summary="Any decision recomputed from its stored inputs and explained (support and admin)",
    tags=["admin"],
    responses=documented(Explanation),
)
def explanation(transition_id: Annotated[int, Path(gt=0, le=MAX_ID)]) -> dict[str, Any]:
    require_reader(principal(router))
    with runtime().uow() as uow:
        record = explain_transition(uow, transition_id)
    if record is None:
        raise NotFound(f"no transition {transition_id}")
    return record


@router.get(
    "/admin/transitions/pending",
    summary="Decided but not carried out: kill reports, balance resets, commands not done",
    tags=["admin"],
    responses=documented(PendingWork),
)
def pending(
    limit: Limit = 100, challenge_id: Annotated[int | None, Query(gt=0, le=MAX_ID)] = None
) -> dict[str, Any]:
    require_reader(principal(router))
    with runtime().uow() as uow:
        return queries.pending_transitions(uow, limit, challenge_id)


# -- programs ----------------------------------------------------------------------------------------------
ProgramId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]
ProgramBody = Annotated[dict[str, Any], Body(description="a program definition, as in a program file")]


@router.get("/admin/programs", summary="Every program version", tags=["admin"], responses=documented(ProgramList))
def list_programs() -> dict[str, Any]:
    require_reader(principal(router))
    with runtime().uow() as uow:
        return {"items": queries.programs(uow)}


def _add_program(definition: dict[str, Any], *, new_id: bool) -> Response[dict[str, Any]]:
    require_admin(principal(router))
    definition = {k: v for k, v in definition.items() if k != "version"}  # versions are the store's to give
    try:
        program = parse_program(definition, source="request")
    except ProgramError as exc:
        # the field as a location the dashboard's form can put the message beside: phases[0].x -> phases, 0, x
        loc = [int(p) if p.isdigit() else p for p in re.findall(r"[^.\[\]]+", exc.field or "")]
        raise Unprocessable(
            f"invalid program: {exc.field or 'body'}: {exc.reason}",
            errors=[{"loc": ["body", *loc], "message": exc.reason, "type": "program"}],
        ) from None
    rt = runtime()
    with rt.uow() as uow:
        try:
            exists = uow.programs.latest_version(program.id) > 0
        except StoreNotFound:
            exists = False
        if new_id and exists:
            raise Conflict(f"program {program.id} exists: POST /admin/programs/{program.id}/versions adds one")
        if not new_id and not exists:
            raise NotFound(f"no program {program.id}")
        try:
            result = uow.programs.add(program, source=f"api:{_operator()}")
        except ProgramConflict as exc:
            raise Conflict(str(exc)) from None
        if result.added:
            uow.audit.append(
                [
                    AuditEntry(
                        kind="program.created" if new_id else "program.versioned",
                        payload={"id": result.program_id, "version": result.version, "operator": _operator()},
                        created_at=rt.clock(),
                    )
                ]
            )
        uow.commit()
    body = {"id": result.program_id, "version": result.version, "added": result.added}
    return Response(status_code=201 if result.added else 200, content_type="application/json", body=body)


@router.post(
    "/admin/programs",
    summary="Create a program (version 1); 409 when the id exists",
    tags=["admin"],
    responses=documented(ProgramAdded, "created", 201),
)
def create_program(body: ProgramBody) -> Response[dict[str, Any]]:
    return _add_program(body, new_id=True)


@router.post(
    "/admin/programs/<program_id>/versions",
    summary="A new version of a program (challenges keep the version they were sold with)",
    tags=["admin"],
    responses=documented(ProgramAdded, "created", 201),
)
def new_program_version(program_id: ProgramId, body: ProgramBody) -> Response[dict[str, Any]]:
    if body.get("id", program_id) != program_id:
        raise Unprocessable(f"id: the body's id {body.get('id')!r} is not the path's {program_id!r}")
    return _add_program({**body, "id": program_id}, new_id=False)


# -- system health ------------------------------------------------------------------------------------------
