"""Schemathesis against the OpenAPI document the API serves (/openapi.json), over HTTP through the local
server and the Lambda handler, with real PostgreSQL and Redis behind it.

Every operation gets cases that fit the document (positive) and cases that break it (negative), with an
admin's, a support user's or a trader's token as the path wants (and none on the public paths). Half the
cases aim at a real challenge and program, so the routes run their whole way, writes included. Each
answer must be a success with JSON, or 400/401/403/404/409/422 with a problem+json body whose status is
the answer's: never a 5xx. Bounded: `API_SCHEMATHESIS_EXAMPLES` cases per operation and mode (default 20),
derandomized, so a run is repeatable."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import orjson
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from propfirm.api.local_server import ApiServerHandle, serve_api
from propfirm.api.tokens import mint
from propfirm.store.registration import register_account_challenge
from propfirm.store.uow import UnitOfWork
from schemathesis import GenerationMode, checks

from tests.integration.api.conftest import JWT_KEY, WEBHOOK_SECRET, new_login

EXAMPLES = int(os.environ.get("API_SCHEMATHESIS_EXAMPLES", "20"))
BAD_INPUT = {400, 401, 403, 404, 409, 422}
PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def stack(migrated_url: str, redis_url: str) -> Iterator[tuple[ApiServerHandle, dict]]:
    os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
    handle = serve_api(
        "127.0.0.1",
        0,
        migrated_url,
        redis_url,
        f"tst{uuid.uuid4().hex[:8]}:",
        webhook_secret=WEBHOOK_SECRET,
        jwt_key=JWT_KEY,
        db_pool_max=4,
    )
    email = f"st{uuid.uuid4().hex[:8]}@example.com"
    with UnitOfWork(migrated_url) as uow:
        challenge = register_account_challenge(
            uow, handle.runtime.server, new_login(), "two-step-100k", trader_email=email, trader_sub=f"sub-{email}"
        )
        uow.commit()
    known = {
        "challenge_id": challenge,
        "payout_id": 1,
        "program_id": "two-step-100k",
        "trader": {"Authorization": "Bearer " + mint("trader", key=JWT_KEY, email=email, sub=f"sub-{email}")},
        "admin": {"Authorization": "Bearer " + mint("admin", key=JWT_KEY, email="ops@example.com")},
        "support": {"Authorization": "Bearer " + mint("support", key=JWT_KEY, email="desk@example.com")},
    }
    try:
        yield handle, known
    finally:
        handle.stop()


def _header(response, name: str) -> str:
    values = response.headers.get(name.lower()) or response.headers.get(name) or []
    return values[-1] if isinstance(values, list) and values else str(values or "")


def check(case, response) -> None:
    where = f"{case.method} {case.formatted_path} -> {response.status_code}: {response.content[:300]!r}"
    assert response.status_code < 500, where
    content_type = _header(response, "content-type")
    if response.status_code >= 400:
        assert response.status_code in BAD_INPUT, where
        assert content_type == PROBLEM, where
        problem = orjson.loads(response.content)
        assert problem["status"] == response.status_code and problem["title"] and "detail" in problem, where
    elif response.status_code != 204:
        assert content_type == "application/json", where
        orjson.loads(response.content)


def _role_for(path: str, method: str) -> list[str]:
    if path.startswith("/admin/"):
        return ["admin", "support"] if method != "GET" else ["support"]
    if path in ("/health", "/openapi.json", "/webhooks/purchase"):
        return []
    return ["trader"]


def test_no_input_reaches_a_server_error(stack) -> None:
    handle, known = stack
    doc = requests.get(f"{handle.url}/openapi.json", timeout=10).json()
    schema = schemathesis.openapi.from_dict(doc)
    session = requests.Session()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 30
    seen: dict[int, int] = {}
    for operation in operations:
        roles = _role_for(operation.path, operation.method.upper())
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
            @given(
                case=operation.as_strategy(generation_mode=mode),
                aim=st.booleans(),
                who=st.sampled_from(roles or [None]),
            )
            def run(case, aim: bool, who: str | None) -> None:
                injected = bool(who)
                if aim and case.path_parameters:  # a real object, so the route runs its whole way
                    for name in case.path_parameters:
                        if name in known:
                            case.path_parameters[name] = known[name]
                            injected = True
                headers = dict(known[who]) if who else {}
                response = case.call(base_url=handle.url, session=session, headers=headers, timeout=30)
                seen[response.status_code] = seen.get(response.status_code, 0) + 1
                check(case, response)
                # and every check schemathesis has: status codes, content types, headers and bodies as the
                # document says, negative data rejected, no auth ignored... but two:
                # - positive_data_acceptance: a schema-valid input may break a rule no schema can express
                #   ("not eligible", "from after to", a program's phases): a 422 with its reason code;
                # - negative_data_rejection, where this harness put back a token or a real id that the
                #   generated case had left out or made invalid on purpose.
                excluded = [checks.positive_data_acceptance] + ([checks.negative_data_rejection] if injected else [])
                case.validate_response(response, headers=headers, excluded_checks=excluded)

            try:
                run()
            except Unsatisfiable:
                assert mode == GenerationMode.NEGATIVE, operation.label  # nothing to make invalid (no input)
    # the run went past the gate and validation: successes and refusals both
    assert any(200 <= s < 300 for s in seen) and 422 in seen and 404 in seen, seen
