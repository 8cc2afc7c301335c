"""The news calendar: every signed-in user reads the releases (a trader's program may forbid trading around
them, `news_blackout_minutes`); admins list and withdraw them, each change audited. The evaluator judges
blackouts against this calendar and the abuse scan judges news straddles around it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from propfirm.api.auth import ADMIN, SUPPORT, require_admin
from propfirm.api.context import MAX_ID, operator_name, principal
from propfirm.api.models import NewsCalendarIn, NewsCalendarOut, NewsReleaseOut, documented
from propfirm.api.problems import Unprocessable
from propfirm.api.runtime import runtime
from propfirm.store.audit import AuditEntry
from propfirm.store.news import NewRelease, NewsRow, NewsStore

router = Router()

ReleaseId = Annotated[int, Path(gt=0, le=MAX_ID, description="the release's id")]
DEFAULT_AHEAD = timedelta(days=14)
DEFAULT_BEHIND = timedelta(days=1)
MAX_SPAN = timedelta(days=366)


def _public(row: NewsRow, staff: bool) -> dict[str, Any]:
    data = row.to_public()
    if not staff:
        data["added_by"] = data["added_at"] = None
    return data


def _instant(name: str, text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise Unprocessable(f"{name}: a time with its offset, e.g. 2026-01-09T13:30:00Z (got {text!r})")
    return value


@router.get(
    "/news",
    summary="News releases in [from, to) (default: from a day ago to two weeks ahead), in time order",
    tags=["trader"],
    responses=documented(NewsCalendarOut),
)
def list_news(
    start: Annotated[str | None, Query(alias="from", max_length=40, description="ISO time with offset")] = None,
    end: Annotated[str | None, Query(alias="to", max_length=40, description="ISO time with offset")] = None,
) -> NewsCalendarOut:
    who = principal(router)
    rt = runtime()
    since = _instant("from", start) or rt.clock() - DEFAULT_BEHIND
    until = _instant("to", end) or since + DEFAULT_BEHIND + DEFAULT_AHEAD
    if until <= since or until - since > MAX_SPAN:
        raise Unprocessable("to: after from, and at most 366 days after it")
    with rt.uow() as uow:
        rows = NewsStore(uow).between(since, until)
    staff = who.has(ADMIN, SUPPORT)
    return NewsCalendarOut.model_validate({"items": [_public(r, staff) for r in rows]})


@router.post(
    "/admin/news",
    summary="List releases (the same time and title listed again is kept as it was)",
    tags=["admin"],
    responses=documented(NewsCalendarOut),
)
def add_news(body: Annotated[NewsCalendarIn, Body()]) -> NewsCalendarOut:
    require_admin(principal(router))
    rt = runtime()
    releases = [NewRelease(r.at, r.title, tuple(r.currencies), r.impact) for r in body.releases]
    with rt.uow() as uow:
        listed = NewsStore(uow).add(releases, operator_name(router), rt.clock())
        new = [row for row, created in listed if created]
        if new:
            uow.audit.append([AuditEntry(
                kind="news.added",
                payload={"operator": operator_name(router), "releases": [
                    {"id": r.id, "at": r.at.isoformat(), "title": r.title} for r in new]},
                created_at=rt.clock(),
            )])
        uow.commit()
    return NewsCalendarOut.model_validate({"items": [_public(row, True) for row, _ in listed], "added": len(new)})


@router.delete(
    "/admin/news/<release_id>",
    summary="Withdraw a release listed by mistake (decisions already taken keep their evidence)",
    tags=["admin"],
    responses=documented(NewsReleaseOut),
)
def remove_news(release_id: ReleaseId) -> NewsReleaseOut:
    require_admin(principal(router))
    rt = runtime()
    with rt.uow() as uow:
        row = NewsStore(uow).remove(release_id)
        uow.audit.append([AuditEntry(
            kind="news.removed",
            payload={"operator": operator_name(router), "id": row.id, "at": row.at.isoformat(), "title": row.title},
            created_at=rt.clock(),
        )])
        uow.commit()
    return NewsReleaseOut.model_validate(_public(row, True))
