"""The CRM sync feed under /admin/crm (support and admin read it; a CRM's integration user is one of those):
the challenges whose CRM-facing facts changed since a cursor (`propfirm.api.crm_feed`)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from propfirm.api.auth import require_reader
from propfirm.api.context import principal
from propfirm.api.crm_feed import crm_page
from propfirm.api.models import CrmPage, documented
from propfirm.api.runtime import runtime

router = Router()


@router.get(
    "/admin/crm/challenges",
    summary="Challenges changed since the cursor (status, phase, account, payouts), oldest change first",
    tags=["admin", "integrations"],
    responses=documented(CrmPage),
)
def crm_challenges(
    cursor: Annotated[str | None, Query(max_length=200, pattern=r"^[A-Za-z0-9_-]+$",
                                        description="`next_cursor` of the previous page; none: from the start")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> CrmPage:
    require_reader(principal(router))
    rt = runtime()
    with rt.uow() as uow:
        return CrmPage.model_validate(crm_page(uow, cursor, limit, rt.clock()))
