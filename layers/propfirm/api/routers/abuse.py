"""Abuse findings under /admin/abuse: support and admin read them with their evidence; admin dismisses or
confirms, and a confirmation may fail the accounts' challenges through the audited override. Nothing here
fails a challenge by itself."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from propfirm.api.auth import require_admin, require_reader
from propfirm.api.context import MAX_ID, operator_name, page, principal
from propfirm.api.findings import fail_active_challenge
from propfirm.api.models import FindingConfirmation, FindingDecision, FindingOut, FindingPage, documented
from propfirm.api.problems import Conflict
from propfirm.api.runtime import runtime
from propfirm.domain.abuse.findings import Detector, FindingStatus
from propfirm.store.abuse import FindingStore, StoredFinding
from propfirm.store.audit import AuditEntry

router = Router()

FindingId = Annotated[int, Path(gt=0, le=MAX_ID)]


@router.get(
    "/admin/abuse/findings",
    summary="Abuse findings, newest first (keyset pagination); the evidence is on each finding's own route",
    tags=["admin"],
    responses=documented(FindingPage),
)
def list_findings(
    status: Annotated[FindingStatus | None, Query()] = None,
    detector: Annotated[Detector | None, Query()] = None,
    server: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    cursor: Annotated[int | None, Query(gt=0, le=MAX_ID, description="last id of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> FindingPage:
    require_reader(principal(router))
    with runtime().uow() as uow:
        found = FindingStore(uow).findings(server, status, detector, cursor, limit)
    return FindingPage.model_validate(page([f.to_public(with_evidence=False) for f in found], limit))


@router.get(
    "/admin/abuse/findings/<finding_id>",
    summary="One finding with its evidence and the deals that prove it",
    tags=["admin"],
    responses=documented(FindingOut),
)
def get_finding(finding_id: FindingId) -> FindingOut:
    require_reader(principal(router))
    with runtime().uow() as uow:
        return FindingOut.model_validate(FindingStore(uow).get(finding_id).to_public())


def _decide(finding_id: int, status: str, note: str) -> StoredFinding:
    rt = runtime()
    with rt.uow() as uow:
        try:
            decided = FindingStore(uow).decide(finding_id, status, operator_name(router), note, rt.clock())
        except ValueError as exc:
            raise Conflict(str(exc)) from None
        uow.audit.append(
            [
                AuditEntry(
                    kind=f"abuse.finding_{status}",
                    payload={
                        "id": finding_id,
                        "detector": decided.detector,
                        "logins": list(decided.logins),
                        "score": str(decided.score),
                        "note": note,
                        "operator": operator_name(router),
                    },
                    created_at=rt.clock(),
                )
            ]
        )
        uow.commit()
    return decided


@router.post(
    "/admin/abuse/findings/<finding_id>/dismiss",
    summary="Dismiss a finding (with what was checked)",
    tags=["admin"],
    responses=documented(FindingOut),
)
def dismiss_finding(finding_id: FindingId, body: Annotated[FindingDecision, Body()]) -> FindingOut:
    require_admin(principal(router))
    return FindingOut.model_validate(_decide(finding_id, "dismissed", body.note).to_public())


@router.post(
    "/admin/abuse/findings/<finding_id>/confirm",
    summary="Confirm a finding; with fail, each account's active challenge fails (reason manual, the finding named)",
    tags=["admin"],
    responses=documented(FindingOut),
)
def confirm_finding(finding_id: FindingId, body: Annotated[FindingConfirmation, Body()]) -> FindingOut:
    require_admin(principal(router))
    decided = _decide(finding_id, "confirmed", body.note)
    failed: list[int] = []
    if body.fail:
        rt = runtime()
        reason = f"{decided.detector} (abuse finding {decided.id}): {body.note}"
        for login in decided.logins:
            challenge_id = fail_active_challenge(rt, decided.server, login, reason, operator_name(router), rt.clock())
            if challenge_id is not None:
                failed.append(challenge_id)
        rt.relay_commands()
    return FindingOut.model_validate({**decided.to_public(), "failed_challenges": failed})
