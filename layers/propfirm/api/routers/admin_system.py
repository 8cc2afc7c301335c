"""The operators' system page under /admin/system: each poller's heartbeat, its blind intervals and their
checks against MT5, the evaluator's lag, the queues' depths and the outbox (support reads)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from aws_lambda_powertools.event_handler.api_gateway import Router

from propfirm.api import queries
from propfirm.api.auth import require_reader
from propfirm.api.context import principal
from propfirm.api.models import SystemHealth, documented
from propfirm.api.runtime import runtime
from propfirm.live.records import iso_utc

router = Router()


def _queue_depth(client: Any, url: str) -> dict[str, Any]:
    try:
        attrs = client.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
    except Exception as exc:  # noqa: BLE001 - health reports a queue it cannot read, it does not fail
        return {"visible": None, "in_flight": None, "error": type(exc).__name__}
    return {
        "visible": int(attrs.get("ApproximateNumberOfMessages", 0)),
        "in_flight": int(attrs.get("ApproximateNumberOfMessagesNotVisible", 0)),
    }


@router.get(
    "/admin/system",
    summary="System health: poller heartbeat age, last cycle and blind intervals, queue depths, the outbox",
    tags=["admin"],
    responses=documented(SystemHealth),
)
def system() -> SystemHealth:
    require_reader(principal(router))
    rt = runtime()
    now = rt.wall_clock()
    pollers = []
    keys = [rt.keys.heartbeat(server, name) for server, name in rt.pollers]
    try:
        beats = rt.redis.mget(keys) if keys else []
    except Exception:  # noqa: BLE001 - Redis down: no heartbeat known
        beats = [None] * len(keys)
    for (server, _name), raw in zip(rt.pollers, beats, strict=True):
        beat: dict[str, Any] = {}
        if raw:
            try:
                beat = orjson.loads(raw)
            except orjson.JSONDecodeError:
                beat = {}
        epoch = beat.get("epoch")
        pollers.append(
            {
                "server": server,
                "last_cycle_at": beat.get("time"),
                "heartbeat_age_seconds": None if epoch is None else round(now.timestamp() - float(epoch), 3),
                "cycle": beat.get("cycle"),
                "accounts": beat.get("accounts"),
                "cycle_seconds": beat.get("duration_seconds"),
                "blind_intervals": _blind_intervals(rt, server, _name),
                "gap_reviews": _gap_reviews(rt, server, _name),
            }
        )
    queues: dict[str, Any] = {}
    if rt.queues:
        queues = {name: _queue_depth(rt.sqs_client(), url) for name, url in rt.queues.items()}
    with rt.uow() as uow:
        outbox = queries.outbox_counts(uow)
    return SystemHealth.model_validate({
        "time": iso_utc(now),
        "pollers": pollers,
        "evaluation": _evaluation_lag(rt, now),
        "queues": queues,
        "outbox": outbox,
    })


def _blind_intervals(rt: Any, server: str, name: str) -> list[dict[str, Any]]:
    """The poller's newest blind intervals (`propfirm.live.blind`); none known when Redis is away."""
    from propfirm.live.blind import recent

    try:
        return recent(rt.redis, rt.keys.blind(server, name), count=10)
    except Exception:  # noqa: BLE001 - Redis down or a bad value: not known
        return []


def _gap_reviews(rt: Any, server: str, name: str) -> list[dict[str, Any]]:
    """Each blind interval checked against MT5's record of it (`propfirm.poller.gap_review`), newest first;
    none known when Redis is away."""
    from propfirm.poller.gap_review import recent

    try:
        return recent(rt.redis, rt.keys.gap_reviews(server, name), count=10)
    except Exception:  # noqa: BLE001 - Redis down or a bad value: not known
        return []


def _evaluation_lag(rt: Any, now: datetime) -> dict[str, Any] | None:
    """The evaluator's last batch (`propfirm.evaluation.function`): its oldest message's wait, and how long ago."""
    try:
        raw = rt.redis.get(rt.keys.evaluation_lag())
        data = orjson.loads(raw) if raw else None
    except Exception:  # noqa: BLE001 - Redis down or a bad value: not known
        return None
    if not isinstance(data, dict) or "epoch" not in data:
        return None
    return {
        "lag_seconds": data.get("lag_seconds"),
        "messages": data.get("messages"),
        "age_seconds": round(now.timestamp() - float(data["epoch"]), 3),
    }
