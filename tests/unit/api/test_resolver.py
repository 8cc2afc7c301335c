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
