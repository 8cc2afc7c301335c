"""Blind intervals checked and their gap findings under /admin/gaps: support and admin read them with their
evidence; admin dismisses or confirms a finding, and a confirmation may fail the account's challenge through
the audited override. Nothing here fails a challenge by itself (`propfirm.poller.gap_review`)."""

from __future__ import annotations

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from propfirm.api.auth import require_admin, require_reader
from propfirm.api.context import MAX_ID, operator_name, page, principal
from propfirm.api.findings import fail_active_challenge
from propfirm.api.models import (
    FindingConfirmation,
    FindingDecision,
    GapFindingOut,
    GapFindingPage,
    GapReviewPage,
    documented,
)
from propfirm.api.problems import Conflict
from propfirm.api.runtime import runtime
from propfirm.store.audit import AuditEntry
from propfirm.store.gaps import GapStore, StoredGapFinding

router = Router()

GapFindingId = Annotated[int, Path(gt=0, le=MAX_ID)]
Server = Annotated[str | None, Query(min_length=1, max_length=64)]
Cursor = Annotated[int | None, Query(gt=0, le=MAX_ID, description="last id of the previous page")]


@router.get(
    "/admin/gaps/reviews",
    summary="Blind intervals checked against MT5's record of them, newest first, with their findings' counts",
    tags=["admin"],
    responses=documented(GapReviewPage),
)
def list_reviews(server: Server = None, cursor: Cursor = None,
                 limit: Annotated[int, Query(ge=1, le=500)] = 50) -> GapReviewPage:
    require_reader(principal(router))
    with runtime().uow() as uow:
        found = GapStore(uow).reviews(server, cursor, limit)
    return GapReviewPage.model_validate(page([r.to_public() for r in found], limit))


@router.get(
    "/admin/gaps/findings",
    summary="Accounts a blind interval may have hurt, newest first (keyset pagination), with their evidence",
    tags=["admin"],
    responses=documented(GapFindingPage),
)
def list_findings(
    status: Annotated[Literal["open", "dismissed", "confirmed"] | None, Query()] = None,
    server: Server = None,
    login: Annotated[int | None, Query(gt=0, le=MAX_ID)] = None,
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> GapFindingPage:
    require_reader(principal(router))
    with runtime().uow() as uow:
        found = GapStore(uow).findings(server, status, login, cursor, limit)
    return GapFindingPage.model_validate(page([f.to_public() for f in found], limit))


@router.get(
    "/admin/gaps/findings/<gap_finding_id>",
    summary="One gap finding with its evidence and its interval",
    tags=["admin"],
    responses=documented(GapFindingOut),
)
def get_finding(gap_finding_id: GapFindingId) -> GapFindingOut:
    require_reader(principal(router))
    with runtime().uow() as uow:
        return GapFindingOut.model_validate(GapStore(uow).get(gap_finding_id).to_public())


def _decide(finding_id: int, status: str, note: str) -> StoredGapFinding:
    rt = runtime()
    with rt.uow() as uow:
        try:
            decided = GapStore(uow).decide(finding_id, status, operator_name(router), note, rt.clock())
        except ValueError as exc:
            raise Conflict(str(exc)) from None
        uow.audit.append([
            AuditEntry(
                kind=f"gap.finding_{status}",
                payload={"id": finding_id, "review_id": decided.review_id, "outcome": decided.outcome,
                         "note": note, "operator": operator_name(router)},
                challenge_id=decided.challenge_id,
                server=decided.server,
                login=decided.login,
                created_at=rt.clock(),
            )
        ])
        uow.commit()
    return decided


@router.post(
    "/admin/gaps/findings/<gap_finding_id>/dismiss",
    summary="Dismiss a gap finding (with what was checked)",
    tags=["admin"],
    responses=documented(GapFindingOut),
)
def dismiss_finding(gap_finding_id: GapFindingId, body: Annotated[FindingDecision, Body()]) -> GapFindingOut:
    require_admin(principal(router))
    return GapFindingOut.model_validate(_decide(gap_finding_id, "dismissed", body.note).to_public())


@router.post(
    "/admin/gaps/findings/<gap_finding_id>/confirm",
    summary="Confirm a gap finding; with fail, the account's active challenge fails (reason manual, the finding "
            "named)",
    tags=["admin"],
    responses=documented(GapFindingOut),
)
def confirm_finding(gap_finding_id: GapFindingId, body: Annotated[FindingConfirmation, Body()]) -> GapFindingOut:
    require_admin(principal(router))
    decided = _decide(gap_finding_id, "confirmed", body.note)
    failed: list[int] = []
    if body.fail:
        rt = runtime()
        reason = (f"{decided.outcome} in a blind interval from {decided.blind_from.isoformat()}"
                  f" (gap finding {decided.id}): {body.note}")
        challenge_id = fail_active_challenge(rt, decided.server, decided.login, reason, operator_name(router),
                                             rt.clock())
        if challenge_id is not None:
            failed.append(challenge_id)
            rt.relay_commands()
    return GapFindingOut.model_validate({**decided.to_public(), "failed_challenges": failed})
