"""No token needed: health (the openapi document is served by `app`, which owns the schema). `/health`
answers from a short cache (`propfirm.api.health`): a public route cannot be used to load the database."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from propfirm.api.leaderboard_view import cached, leaderboard
from propfirm.api.models import Health, Leaderboard, documented
from propfirm.api.runtime import Runtime, runtime
from propfirm.live.records import iso_utc

router = Router()


def _check(rt: Runtime) -> tuple[str, str]:
    database = redis_state = "ok"
    try:
        with rt.uow() as uow:
            uow.fetchone("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - a health check reports, it does not fail
        database = f"unavailable: {type(exc).__name__}"
    try:
        rt.redis.ping()
    except Exception as exc:  # noqa: BLE001
        redis_state = f"unavailable: {type(exc).__name__}"
    return database, redis_state


@router.get("/health", summary="Liveness and dependencies (checked at most every few seconds)", tags=["public"])
def health() -> Response[Health]:
    rt = runtime()
    found = rt.health.get(rt.wall_clock().timestamp(), lambda: _check(rt))
    body = Health(
        status="ok" if found.ok else "degraded", database=found.database, redis=found.redis, time=iso_utc(rt.clock())
    )
    return Response(status_code=200 if found.ok else 503, content_type="application/json", body=body)


@router.get(
    "/leaderboard",
    summary="The public leaderboard: opted-in traders' active challenges over a period (no personal data)",
    tags=["public"],
    responses=documented(Leaderboard),
)
def public_leaderboard(
    board: Annotated[Literal["funded", "challenge"], Query()] = "funded",
    days: Annotated[int, Query(ge=1, le=365, description="the period: this many days up to today")] = 30,
    sort: Annotated[Literal["return", "consistency", "drawdown"], Query()] = "return",
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Response[Leaderboard]:
    rt = runtime()
    today = rt.clock().date()

    def build() -> dict[str, Any]:
        with rt.uow() as uow:
            return leaderboard(uow, board, days, sort, limit, today)

    body = cached((board, days, sort, limit, today), rt.wall_clock().timestamp(), build)
    board_out = Leaderboard.model_validate(body)
    return Response(200, "application/json", board_out, headers={"Cache-Control": "public, max-age=60"})
