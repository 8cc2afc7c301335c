"""No token needed: health (the openapi document is served by `app`, which owns the schema)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from propfirm.api.models import Health
from propfirm.api.runtime import runtime
from propfirm.live.records import iso_utc

router = Router()


@router.get("/health", summary="Liveness and dependencies", tags=["public"])
def health() -> Response[Health]:
    rt = runtime()
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
    ok = database == "ok" and redis_state == "ok"
    body = Health(
        status="ok" if ok else "degraded", database=database, redis=redis_state, time=iso_utc(rt.clock())
    )
    return Response(status_code=200 if ok else 503, content_type="application/json", body=body)
