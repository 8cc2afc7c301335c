"""Powertools' resolver keeps the current event at class level: two requests resolved at once in one
process see each other's event. `ConcurrentRestResolver` keeps it per request; the plain resolver is run
the same way to show the test can tell the two apart."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated

import orjson
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query
from propfirm.api.resolver import ConcurrentRestResolver


def build(cls: type[APIGatewayRestResolver]) -> APIGatewayRestResolver:
    app = cls(enable_validation=True)
    router = Router()

    @router.get("/me")
    def me(n: Annotated[int, Query()]) -> dict:
        first = router.current_event.raw_event["requestContext"]["authorizer"]["claims"]["sub"]
        time.sleep(0.0005)  # a database round trip
        again = router.current_event.raw_event["requestContext"]["authorizer"]["claims"]["sub"]
        return {"sub": first, "again": again, "n": n}

    app.include_router(router)
    return app


def event(sub: str, n: int) -> dict:
    return {
        "resource": "/me",
        "path": "/me",
        "httpMethod": "GET",
        "headers": {},
        "multiValueHeaders": {},
        "queryStringParameters": {"n": str(n)},
        "multiValueQueryStringParameters": {"n": [str(n)]},
        "pathParameters": None,
        "body": None,
        "isBase64Encoded": False,
        "requestContext": {"stage": "x", "path": "/me", "authorizer": {"claims": {"sub": sub}}},
    }


def mixed_up(app: APIGatewayRestResolver) -> int:
    def ask(index: int) -> int:
        wrong = 0
        for _ in range(50):
            try:
                answer = app.resolve(event(f"s{index}", index), None)
            except Exception:  # noqa: BLE001 - another request's state under this one's feet: mixed up too
                wrong += 1
                continue
            body = orjson.loads(answer["body"]) if answer["statusCode"] == 200 else None
            wrong += body != {"sub": f"s{index}", "again": f"s{index}", "n": index}
        return wrong

    with ThreadPoolExecutor(8) as pool:
        return sum(pool.map(ask, range(8)))


def test_each_request_sees_its_own_event_claims_and_query() -> None:
    assert mixed_up(build(ConcurrentRestResolver)) == 0


def test_the_plain_resolver_mixes_requests_up() -> None:
    assert mixed_up(build(APIGatewayRestResolver)) > 0


def first_calls_at_once(app: APIGatewayRestResolver, monkeypatch) -> tuple[int, int, int]:
    """Eight requests reach a route no request has reached before, at the same moment, while building its
    middleware stack is slowed down (as a loaded machine does): (builds, frames in the stack the route
    kept, requests that went wrong)."""
    import threading

    from aws_lambda_powertools.event_handler import api_gateway

    builds = []
    build_stack = api_gateway.Route._build_middleware_stack

    def slow_build(self, *args, **kwargs) -> None:
        builds.append(self)
        time.sleep(0.02)
        build_stack(self, *args, **kwargs)

    monkeypatch.setattr(api_gateway.Route, "_build_middleware_stack", slow_build)
    barrier = threading.Barrier(8)

    def ask(index: int) -> int:
        barrier.wait()
        try:
            answer = app.resolve(event(f"s{index}", index), None)
        except Exception:  # noqa: BLE001 - a half-built stack
            return 1
        body = orjson.loads(answer["body"]) if answer["statusCode"] == 200 else None
        return int(body != {"sub": f"s{index}", "again": f"s{index}", "n": index})

    with ThreadPoolExecutor(8) as pool:
        wrong = sum(pool.map(ask, range(8)))
    [route] = {id(r): r for r in builds}.values()
    frames, frame = 0, route._middleware_stack
    while isinstance(frame, api_gateway.MiddlewareFrame):
        frames, frame = frames + 1, frame.next_middleware
    return len(builds), frames, wrong


def test_a_routes_first_requests_at_once_build_its_middleware_stack_once(monkeypatch) -> None:
    builds, frames, wrong = first_calls_at_once(build(ConcurrentRestResolver), monkeypatch)
    # request validation, response validation, the route's adapter: built once, three frames, all right
    assert (builds, frames, wrong) == (1, 3, 0)


def test_without_the_lock_first_requests_at_once_build_it_many_times(monkeypatch) -> None:
    """The same with Powertools' own build (no lock): shows the test above can fail."""

    class Unlocked(ConcurrentRestResolver):
        def _call_route(self, route, route_arguments):
            return APIGatewayRestResolver._call_route(self, route, route_arguments)

    builds, frames, _ = first_calls_at_once(build(Unlocked), monkeypatch)
    assert builds > 1 and frames > 3  # every racer wrapped the stack again: a frame called twice
