"""The operators' payout routes under /admin/payouts: list (support reads), approve, resolve a manual review
and reject (admin only); the service's refusals become problems (`payouts_port`)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from propfirm.api.auth import require_admin, require_reader
from propfirm.api.context import MAX_ID, operator_name, principal
from propfirm.api.models import ApproveRequest, PayoutList, PayoutOut, RejectRequest, ResolveReviewRequest, documented
from propfirm.api.payouts_port import payout_json, payout_problems
from propfirm.api.runtime import runtime
from propfirm.domain.payouts import PayoutStatus
from propfirm.payouts import service as payouts
from propfirm.payouts.approvals import Actor

router = Router()

PayoutId = Annotated[int, Path(gt=0, le=MAX_ID)]
Limit = Annotated[int, Query(ge=1, le=500)]


def _actor() -> Actor:
    """The admin acting on a payout: login and email (four eyes compares both)."""
    who = principal(router)
    return Actor(who.sub, who.email)


@router.get(
    "/admin/payouts", summary="Payouts, newest first", tags=["admin", "payouts"], responses=documented(PayoutList)
)
def list_payouts(
    status: Annotated[PayoutStatus | None, Query()] = None, limit: Limit = 100
) -> PayoutList:
    require_reader(principal(router))
    rt = runtime()
    with payout_problems():
        records = payouts.list_payouts(rt.uow(), status=status, limit=limit)
    return PayoutList.model_validate({"items": [payout_json(r) for r in records]})


@router.post(
    "/admin/payouts/<payout_id>/approve",
    summary="Approve a payout (idempotent)",
    tags=["admin", "payouts"],
    responses=documented(PayoutOut),
)
def approve_payout(payout_id: PayoutId, body: Annotated[ApproveRequest, Body()]) -> PayoutOut:
    require_admin(principal(router))
    rt = runtime()
    with payout_problems():
        record = payouts.approve(rt.uow(), payout_id, _actor(), body.note, rt.clock(), rt.payouts)
    return PayoutOut.model_validate(payout_json(record))


@router.post(
    "/admin/payouts/<payout_id>/resolve",
    summary="Settle a payout in manual review, after checking MT5 (idempotent)",
    tags=["admin", "payouts"],
    responses=documented(PayoutOut),
)
def resolve_payout(payout_id: PayoutId, body: Annotated[ResolveReviewRequest, Body()]) -> PayoutOut:
    require_admin(principal(router))
    rt = runtime()
    with payout_problems():
        record = payouts.resolve_review(
            rt.uow(), payout_id, body.outcome, _actor(), body.note, rt.clock(), rt.payouts, deal=body.deal
        )
    return PayoutOut.model_validate(payout_json(record))


@router.post(
    "/admin/payouts/<payout_id>/reject",
    summary="Reject a payout with a reason code and a note (idempotent)",
    tags=["admin", "payouts"],
    responses=documented(PayoutOut),
)
def reject_payout(payout_id: PayoutId, body: Annotated[RejectRequest, Body()]) -> PayoutOut:
    require_admin(principal(router))
    rt = runtime()
    reason = f"{body.code}: {body.reason}"
    with payout_problems():
        record = payouts.reject(rt.uow(), payout_id, operator_name(router), reason, rt.clock(), rt.payouts)
    return PayoutOut.model_validate(payout_json(record))
