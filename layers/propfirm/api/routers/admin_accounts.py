"""The operators' accounts under /admin/: filters, the risk sort, the accounts near a limit, and the account
actions (close all, disable, enable, move group), each an audited command. Admin acts, support reads."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from propfirm.api import queries
from propfirm.api.auth import require_admin, require_reader
from propfirm.api.context import MAX_ID, operator_name, page, principal
from propfirm.api.models import (
    AccountAction,
    AccountPage,
    ActionOut,
    MoveGroupAction,
    documented,
)
from propfirm.api.problems import Unprocessable
from propfirm.api.runtime import runtime
from propfirm.operations.actions import account_action

router = Router()

ChallengeId = Annotated[int, Path(gt=0, le=MAX_ID)]
Limit = Annotated[int, Query(ge=1, le=500)]
Name = Annotated[str | None, Query(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]


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
) -> AccountPage:
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
            return AccountPage.model_validate(_risk_page(items, limit))
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
    return AccountPage.model_validate(out)


@router.get(
    "/admin/accounts/near-limit",
    summary="Active accounts within a given share of a loss limit, the closest first",
    tags=["admin"],
    responses=documented(AccountPage),
)
def near_limit(
    within: Within = Decimal("0.25"), program: Name = None, limit: Limit = 100, cursor: RiskCursor = None
) -> AccountPage:
    require_reader(principal(router))
    with runtime().uow() as uow:
        items = queries.accounts_by_risk(
            uow, program=program, within=within, limit=limit, after=_risk_cursor(cursor)
        )
    return AccountPage.model_validate(_risk_page(items, limit))


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
            operator=operator_name(router),
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
def close_all(challenge_id: ChallengeId, body: Annotated[AccountAction, Body()]) -> ActionOut:
    return ActionOut.model_validate(_action(challenge_id, "close_all", body))


@router.post(
    "/admin/challenges/<challenge_id>/disable",
    summary="Disable trading on the account (an audited command)",
    tags=["admin"],
    responses=documented(ActionOut),
)
def disable(challenge_id: ChallengeId, body: Annotated[AccountAction, Body()]) -> ActionOut:
    return ActionOut.model_validate(_action(challenge_id, "disable", body))


@router.post(
    "/admin/challenges/<challenge_id>/enable",
    summary="Enable trading on the account (an audited command)",
    tags=["admin"],
    responses=documented(ActionOut),
)
def enable(challenge_id: ChallengeId, body: Annotated[AccountAction, Body()]) -> ActionOut:
    return ActionOut.model_validate(_action(challenge_id, "enable", body))


@router.post(
    "/admin/challenges/<challenge_id>/move-group",
    summary="Move the account to another MT5 group (an audited command)",
    tags=["admin"],
    responses=documented(ActionOut),
)
def move_group(challenge_id: ChallengeId, body: Annotated[MoveGroupAction, Body()]) -> ActionOut:
    return ActionOut.model_validate(_action(challenge_id, "move_group", body, group=body.group))
