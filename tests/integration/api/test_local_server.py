"""The local server over HTTP: the token verified before anything else (missing, bad signature, expired by
2 s, wrong algorithm, garbage), the same handler behind it, the webhook with a real signature, concurrent
purchases (20 duplicates make one challenge, 20 different make 20), `propfirm token` accepted, and the
key file kept with mode 0600."""

from __future__ import annotations

import base64
import json
import os
import stat
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import jwt
import orjson
import pytest
import redis as redis_lib
from propfirm.api import models
from propfirm.api.local_server import ApiServerHandle, serve_api
from propfirm.api.purchases import signature_of
from propfirm.api.tokens import AUDIENCE, mint, recorded_sub
from propfirm.cli import main as cli_main
from propfirm.store.uow import UnitOfWork

from tests.integration.api.conftest import JWT_KEY, WEBHOOK_SECRET

PROBLEM = "application/problem+json"
RESPONSE_MODELS = {
    ("GET", "/me"): models.Me,
    ("GET", "/health"): models.Health,
    ("GET", "/challenges"): models.ChallengeList,
    ("GET", "/challenges/{challenge_id}"): models.ChallengeView,
    ("GET", "/challenges/{challenge_id}/transitions"): models.TransitionList,
    ("GET", "/challenges/{challenge_id}/performance"): models.PerformanceOut,
    ("GET", "/challenges/{challenge_id}/payouts/eligibility"): models.EligibilityOut,
    ("GET", "/challenges/{challenge_id}/payouts"): models.PayoutList,
    ("GET", "/admin/payouts"): models.PayoutList,
    ("GET", "/challenges/{challenge_id}/deals"): models.DealPage,
    ("GET", "/challenges/{challenge_id}/days"): models.DayList,
    ("GET", "/admin/challenges"): models.ChallengePage,
    ("GET", "/admin/challenges/{challenge_id}"): models.ChallengeView,
    ("POST", "/admin/challenges/{challenge_id}/fail"): models.OverrideOut,
    ("POST", "/admin/challenges/{challenge_id}/pass"): models.OverrideOut,
    ("GET", "/admin/audit"): models.AuditPage,
    ("GET", "/challenges/{challenge_id}/equity"): models.EquityCurve,
    ("GET", "/admin/accounts"): models.AccountPage,
    ("GET", "/admin/accounts/near-limit"): models.AccountPage,
    ("GET", "/admin/transitions"): models.TransitionPage,
    ("GET", "/admin/transitions/pending"): models.PendingWork,
    ("GET", "/admin/programs"): models.ProgramList,
    ("POST", "/admin/programs"): models.ProgramAdded,
    ("POST", "/admin/programs/{program_id}/versions"): models.ProgramAdded,
    ("GET", "/admin/system"): models.SystemHealth,
    ("POST", "/admin/challenges/{challenge_id}/close-all"): models.ActionOut,
    ("POST", "/admin/challenges/{challenge_id}/disable"): models.ActionOut,
    ("POST", "/admin/challenges/{challenge_id}/enable"): models.ActionOut,
    ("POST", "/admin/challenges/{challenge_id}/move-group"): models.ActionOut,
    ("POST", "/admin/challenges/{challenge_id}/reset"): models.OverrideOut,
}


@pytest.fixture
def server(migrated_url: str, redis_url: str, api_namespace: str) -> Iterator[ApiServerHandle]:
    handle = serve_api(
        "127.0.0.1",
        0,
        migrated_url,
        redis_url,
        api_namespace,
        webhook_secret=WEBHOOK_SECRET,
        jwt_key=JWT_KEY,
        db_pool_max=8,
    )
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture
def client(server: ApiServerHandle) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as c:
        yield c


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def signed(body: bytes, secret: str = WEBHOOK_SECRET) -> dict[str, str]:
    ts = str(int(time.time()))
    return {
        "Content-Type": "application/json",
        "X-Timestamp": ts,
        "X-Signature": signature_of(secret, ts, body),
    }


def assert_401(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["status"] == 401 and problem["title"] == "Unauthorized"


def _forged(claims: dict, header: dict) -> str:
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part(header)}.{part(claims)}."


def test_token_checked_before_anything_else(client: httpx.Client) -> None:
    now = int(time.time())
    claims = {
        "sub": "s1",
        "email": "a@example.com",
        "cognito:groups": ["admin"],
        "token_use": "id",
        "iat": now - 100,
        "exp": now + 600,
    }
    expired = mint("admin", key=JWT_KEY, ttl=60, now=now - 62)  # expired 2 s ago
    bad_tokens = {
        "missing": None,
        "bad signature": mint("admin", key="another-key-entirely-0123456789abcdef"),
        "expired by 2 s": expired,
        "alg none": _forged(claims, {"alg": "none", "typ": "JWT"}),
        "alg HS512": jwt.encode(claims, JWT_KEY, algorithm="HS512"),
        "garbage": "not.a.token",
        "empty bearer": "",
    }
    targets = [
        ("POST", "/admin/challenges/1/fail", b"{definitely not json"),
        ("GET", "/nowhere", b""),
        ("GET", "/challenges/abc", b""),
        ("POST", "/challenges/1/payouts", b"\xff\xfe"),
    ]
    for name, token in bad_tokens.items():
        headers = {} if token is None else {"Authorization": f"Bearer {token}".strip()}
        for method, path, body in targets:
            response = client.request(method, path, headers=headers, content=body)
            assert_401(response)
            assert response.headers.get("www-authenticate", "").startswith("Bearer"), name
    assert_401(client.get("/me", headers={"Authorization": "Basic dXNlcjpwYXNz"}))
    # a valid token reaches the handler: now the body is validated, the path routed
    good = bearer(mint("admin", key=JWT_KEY))
    assert client.post("/admin/challenges/1/fail", headers=good, content=b"{bad").status_code == 422
    assert client.get("/nowhere", headers=good).status_code == 404
    assert client.get("/admin/challenges", headers=good).status_code == 200
    # a token issued long ago that has not expired yet is still good
    assert (
        client.get("/me", headers=bearer(mint("admin", key=JWT_KEY, ttl=90, now=now - 60))).status_code == 200
    )


def test_public_paths_and_problem_shapes(client: httpx.Client) -> None:
    health = client.get("/health")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    doc = client.get("/openapi.json")
    assert doc.status_code == 200 and doc.json()["openapi"].startswith("3.")
    trader = bearer(mint("trader", key=JWT_KEY, email=f"{uuid.uuid4().hex[:8]}@example.com"))
    missing = client.get("/challenges/9223372036854775807", headers=trader)
    assert missing.status_code == 404 and missing.headers["content-type"] == PROBLEM
    assert missing.json()["title"] == "Not found"
    assert client.get("/challenges", headers=trader).json() == {"items": [], "next_cursor": None}
    assert client.get("/admin/challenges", headers=trader).status_code == 403


def test_webhook_over_http_and_trader_sees_the_challenge(client: httpx.Client, migrated_url: str) -> None:
    email = f"{uuid.uuid4().hex[:8]}@example.com"
    body = orjson.dumps(
        {
            "order_id": uuid.uuid4().hex,
            "email": email,
            "name": "Bo Chen",
            "program": "two-step-100k",
            "coupon": "BF26",
        }
    )
    response = client.post("/webhooks/purchase", content=body, headers=signed(body))
    assert response.status_code == 202, response.text
    cid = response.json()["challenge_id"]
    assert client.post("/webhooks/purchase", content=body, headers=signed(body)).json() == {
        "challenge_id": cid
    }
    assert_401(client.post("/webhooks/purchase", content=body, headers=signed(body, "wrong-secret-xxxxxxxx")))
    sub = recorded_sub(migrated_url, email.upper())  # the purchase recorded a login's sub for the email
    assert sub is not None and sub != email
    mine = bearer(mint("trader", key=JWT_KEY, email=email, sub=sub))
    view = client.get(f"/challenges/{cid}", headers=mine)
    assert view.status_code == 200 and view.json()["status"] == "provisioning"
    # the challenge is the sub's, not the email's: another login showing this email sees nothing
    impostor = bearer(mint("trader", key=JWT_KEY, email=email))
    assert client.get(f"/challenges/{cid}", headers=impostor).status_code == 404
    assert client.get("/challenges", headers=impostor).json() == {"items": [], "next_cursor": None}
    # and the owner with another email (a changed address) still sees it
    renamed = bearer(mint("trader", key=JWT_KEY, email="a-new-address@example.com", sub=sub))
    assert client.get(f"/challenges/{cid}", headers=renamed).status_code == 200


def _purchase(url: str, body: bytes) -> tuple[int, dict]:
    with httpx.Client(base_url=url, timeout=30) as c:
        response = c.post("/webhooks/purchase", content=body, headers=signed(body))
        return response.status_code, response.json()


def test_concurrent_purchases(server: ApiServerHandle, migrated_url: str) -> None:
    same = orjson.dumps(
        {
            "order_id": f"dup-{uuid.uuid4().hex}",
            "email": "dup@example.com",
            "name": "Dee Up",
            "program": "two-step-100k",
        }
    )
    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(lambda _: _purchase(server.url, same), range(20)))
    assert {status for status, _ in results} == {202}
    assert len({body["challenge_id"] for _, body in results}) == 1
    prefix = f"many-{uuid.uuid4().hex}-"
    bodies = [
        orjson.dumps(
            {
                "order_id": f"{prefix}{i}",
                "email": f"m{i}-{prefix}@example.com",
                "name": "Many Buyers",
                "program": "one-step-100k",
            }
        )
        for i in range(20)
    ]
    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(lambda b: _purchase(server.url, b), bodies))
    assert {status for status, _ in results} == {202}
    assert len({body["challenge_id"] for _, body in results}) == 20
    with UnitOfWork(migrated_url) as uow:
        assert (
            uow.fetchone("SELECT count(*) FROM challenges WHERE order_id LIKE %s", (prefix + "%",))[0] == 20
        )
        outbox = uow.fetchone(
            "SELECT count(*) FROM outbox o JOIN challenges c ON c.id = o.challenge_id"
            " WHERE c.order_id LIKE %s",
            (prefix + "%",),
        )[0]
        assert outbox == 20


def test_propfirm_token_cli_key_file(
    tmp_path, monkeypatch, capsys, migrated_url: str, redis_url: str, api_namespace: str
) -> None:
    monkeypatch.setenv("PROPFIRM_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("PROPFIRM_JWT_SECRET", raising=False)
    assert cli_main(["token", "--role", "support", "--email", "sup@example.com", "--ttl", "120"]) == 0
    token = capsys.readouterr().out.strip()
    key_file = tmp_path / "home" / "jwt.key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    claims = jwt.decode(token, key_file.read_text().strip(), algorithms=["HS256"], audience=AUDIENCE)
    assert claims["cognito:groups"] == ["support"] and claims["email"] == "sup@example.com"
    assert (
        claims["token_use"] == "id"
        and claims["exp"] - claims["iat"] == 120
        and claims["sub"]
        and claims["iss"]
    )
    # the server started without an explicit key uses the same kept key
    handle = serve_api("127.0.0.1", 0, migrated_url, redis_url, api_namespace, webhook_secret=WEBHOOK_SECRET)
    try:
        with httpx.Client(base_url=handle.url, timeout=10) as c:
            assert c.get("/admin/challenges", headers=bearer(token)).status_code == 200
            assert (
                c.post(
                    "/admin/challenges/1/fail", headers=bearer(token), json={"reason": "x" * 5}
                ).status_code
                == 403
            )
    finally:
        handle.stop()


def test_event_shape_reaches_the_handler(server: ApiServerHandle, monkeypatch) -> None:
    """The local server hands the handler API Gateway's REST proxy event with the verified claims."""
    seen: list[dict] = []
    real = server._server.lambda_handler

    def spy(event, context):
        seen.append(event)
        return real(event, context)

    monkeypatch.setattr(server._server, "lambda_handler", spy)
    token = mint("trader", key=JWT_KEY, email="shape@example.com", sub="sub-1")
    with httpx.Client(base_url=server.url, timeout=10) as c:
        c.get("/challenges/42/deals?limit=5&limit=7&cursor=9", headers={**bearer(token), "X-Multi": "a"})
    event = seen[0]
    for key in (
        "resource",
        "path",
        "httpMethod",
        "headers",
        "multiValueHeaders",
        "queryStringParameters",
        "multiValueQueryStringParameters",
        "pathParameters",
        "body",
        "isBase64Encoded",
        "requestContext",
    ):
        assert key in event, key
    assert event["resource"] == "/challenges/{challenge_id}/deals" and event["path"] == "/challenges/42/deals"
    assert event["pathParameters"] == {"challenge_id": "42"} and event["httpMethod"] == "GET"
    assert event["queryStringParameters"]["limit"] == "7"
    assert event["multiValueQueryStringParameters"]["limit"] == ["5", "7"]
    ctx = event["requestContext"]
    assert ctx["stage"] == "local" and ctx["requestId"]
    assert ctx["authorizer"]["claims"]["email"] == "shape@example.com"
    assert ctx["authorizer"]["claims"]["cognito:groups"] == "[trader]"
    assert ctx["authorizer"]["claims"]["sub"] == "sub-1"


def test_redis_is_the_namespaced_one(
    server: ApiServerHandle, redis_client: redis_lib.Redis, api_namespace: str
) -> None:
    assert server.runtime.keys.namespace == api_namespace


def test_every_route_over_http(client: httpx.Client, migrated_url: str) -> None:
    from propfirm.store.registration import register_account_challenge

    email = f"{uuid.uuid4().hex[:8]}@example.com"
    body = orjson.dumps(
        {"order_id": uuid.uuid4().hex, "email": email, "name": "Eve Ry", "program": "two-step-100k"}
    )
    pending = client.post("/webhooks/purchase", content=body, headers=signed(body)).json()["challenge_id"]
    with UnitOfWork(migrated_url) as uow:
        active = register_account_challenge(
            uow, f"http-{uuid.uuid4().hex[:6]}", 5001, "two-step-100k", trader_email=email
        )
        uow.commit()
    trader = bearer(mint("trader", key=JWT_KEY, email=email, sub=recorded_sub(migrated_url, email)))
    admin = bearer(mint("admin", key=JWT_KEY, email="ops@example.com"))
    shipped = client.get("/admin/programs", headers=admin).json()["items"]
    template = next(p["definition"] for p in shipped if p["id"] == "two-step-100k")
    new_program = {**template, "id": f"p-{uuid.uuid4().hex[:8]}"}
    calls = [
        ("GET", "/health", None, None, 200, "/health"),
        ("GET", "/openapi.json", None, None, 200, "/openapi.json"),
        ("GET", "/me", trader, None, 200, "/me"),
        ("GET", "/challenges", trader, None, 200, "/challenges"),
        ("GET", f"/challenges/{active}", trader, None, 200, "/challenges/{challenge_id}"),
        (
            "GET",
            f"/challenges/{active}/transitions",
            trader,
            None,
            200,
            "/challenges/{challenge_id}/transitions",
        ),
        ("GET", f"/challenges/{active}/performance", trader, None, 200, "/challenges/{challenge_id}/performance"),
        (
            "GET",
            f"/challenges/{active}/deals?limit=10",
            trader,
            None,
            200,
            "/challenges/{challenge_id}/deals",
        ),
        ("GET", f"/challenges/{active}/days", trader, None, 200, "/challenges/{challenge_id}/days"),
        (
            "GET",
            f"/challenges/{active}/payouts/eligibility",
            trader,
            None,
            200,
            "/challenges/{challenge_id}/payouts/eligibility",
        ),
        ("POST", f"/challenges/{active}/payouts", trader, None, 422, "/challenges/{challenge_id}/payouts"),
        ("GET", f"/challenges/{active}/payouts", trader, None, 200, "/challenges/{challenge_id}/payouts"),
        ("GET", f"/challenges/{active}/equity", trader, None, 200, "/challenges/{challenge_id}/equity"),
        ("POST", f"/challenges/{pending}/credentials", trader, None, 409, "/challenges/{challenge_id}/credentials"),
        ("GET", "/admin/challenges?limit=5", admin, None, 200, "/admin/challenges"),
        ("GET", "/admin/accounts?limit=5", admin, None, 200, "/admin/accounts"),
        ("GET", "/admin/accounts/near-limit?within=1", admin, None, 200, "/admin/accounts/near-limit"),
        ("GET", "/admin/transitions?limit=5", admin, None, 200, "/admin/transitions"),
        ("GET", "/admin/transitions/pending", admin, None, 200, "/admin/transitions/pending"),
        ("GET", "/admin/programs", admin, None, 200, "/admin/programs"),
        ("POST", "/admin/programs", admin, new_program, 201, "/admin/programs"),
        (
            "POST",
            f"/admin/programs/{new_program['id']}/versions",
            admin,
            {**new_program, "leverage": 50},
            201,
            "/admin/programs/{program_id}/versions",
        ),
        ("GET", "/admin/system", admin, None, 200, "/admin/system"),
        (
            "POST",
            f"/admin/challenges/{active}/close-all",
            admin,
            {"reason": "risk desk"},
            200,
            "/admin/challenges/{challenge_id}/close-all",
        ),
        (
            "POST",
            f"/admin/challenges/{active}/disable",
            admin,
            {"reason": "risk desk"},
            200,
            "/admin/challenges/{challenge_id}/disable",
        ),
        (
            "POST",
            f"/admin/challenges/{active}/enable",
            admin,
            {"reason": "risk desk"},
            200,
            "/admin/challenges/{challenge_id}/enable",
        ),
        (
            "POST",
            f"/admin/challenges/{active}/move-group",
            admin,
            {"reason": "risk desk", "group": "challenge\\review"},
            200,
            "/admin/challenges/{challenge_id}/move-group",
        ),
        ("GET", f"/admin/challenges/{active}", admin, None, 200, "/admin/challenges/{challenge_id}"),
        (
            "POST",
            f"/admin/challenges/{pending}/fail",
            admin,
            {"reason": "chargeback"},
            200,
            "/admin/challenges/{challenge_id}/fail",
        ),
        (
            "POST",
            f"/admin/challenges/{active}/pass",
            admin,
            {"reason": "manual review"},
            200,
            "/admin/challenges/{challenge_id}/pass",
        ),
        (
            "POST",
            f"/admin/challenges/{active}/reset",
            admin,
            {"reason": "free reset"},
            200,
            "/admin/challenges/{challenge_id}/reset",
        ),
        ("GET", "/admin/payouts?status=requested", admin, None, 200, "/admin/payouts"),
        (
            "POST",
            "/admin/payouts/9223372036854775807/approve",
            admin,
            {},
            404,
            "/admin/payouts/{payout_id}/approve",
        ),
        (
            "POST",
            "/admin/payouts/9223372036854775807/reject",
            admin,
            {"reason": "no such payout"},
            404,
            "/admin/payouts/{payout_id}/reject",
        ),
        (
            "POST",
            "/admin/payouts/9223372036854775807/resolve",
            admin,
            {"outcome": "failed", "note": "no such payout"},
            404,
            "/admin/payouts/{payout_id}/resolve",
        ),
        ("GET", f"/admin/audit?challenge_id={pending}", admin, None, 200, "/admin/audit"),
    ]
    covered = {"/webhooks/purchase"}
    for method, path, headers, json_body, expected, template in calls:
        response = client.request(method, path, headers=headers or {}, json=json_body)
        assert response.status_code == expected, (method, path, response.text)
        expected_type = "application/problem+json" if expected >= 400 else "application/json"
        assert response.headers["content-type"] == expected_type, (method, path)
        covered.add(template)
        model = RESPONSE_MODELS.get((method, template))
        if model is not None and expected < 400:
            model.model_validate(response.json())  # the documented shape is the one served
    with UnitOfWork(migrated_url) as uow:  # the manual pass above: a decision to explain
        transition = uow.fetchone("SELECT id FROM phase_transitions WHERE challenge_id = %s", (active,))[0]
    for path, headers, template in (
        (f"/challenges/{active}/transitions/{transition}/explanation", trader,
         "/challenges/{challenge_id}/transitions/{transition_id}/explanation"),
        (f"/admin/transitions/{transition}/explanation", admin, "/admin/transitions/{transition_id}/explanation"),
    ):
        response = client.get(path, headers=headers)
        assert response.status_code == 200, (path, response.text)
        models.Explanation.model_validate(response.json())
        covered.add(template)
    created = client.post("/admin/webhooks", headers=admin, json={"url": "https://crm.example.com/hooks"})
    assert created.status_code == 201, created.text
    models.WebhookEndpointOut.model_validate(created.json())
    eid = created.json()["id"]
    for method, path, json_body, expected, model, template in (
        ("GET", "/admin/webhooks", None, 200, models.WebhookEndpointList, "/admin/webhooks"),
        ("PATCH", f"/admin/webhooks/{eid}", {"enabled": False}, 200, models.WebhookEndpointOut,
         "/admin/webhooks/{endpoint_id}"),
        ("POST", f"/admin/webhooks/{eid}/rotate-secret", {}, 200, models.WebhookEndpointOut,
         "/admin/webhooks/{endpoint_id}/rotate-secret"),
        ("GET", f"/admin/webhooks/{eid}/deliveries?status=failed", None, 200, models.WebhookDeliveryPage,
         "/admin/webhooks/{endpoint_id}/deliveries"),
        ("POST", "/admin/webhook-deliveries/9223372036854775807/replay", None, 404, None,
         "/admin/webhook-deliveries/{delivery_id}/replay"),
    ):
        response = client.request(method, path, headers=admin, json=json_body)
        assert response.status_code == expected, (method, path, response.text)
        if model is not None:
            model.model_validate(response.json())
        covered.add(template)
    assert client.delete(f"/admin/webhooks/{eid}", headers=admin).json()["id"] == eid
    board = client.get("/leaderboard?board=funded&days=30")  # public: no token
    assert board.status_code == 200 and board.headers["cache-control"] == "public, max-age=60"
    models.Leaderboard.model_validate(board.json())
    covered.add("/leaderboard")
    joined = client.put("/me/leaderboard", headers=trader, json={"display_name": None})
    assert joined.status_code == 200, joined.text
    covered.add("/me/leaderboard")
    feed = client.get("/admin/crm/challenges?limit=5", headers=admin)  # the CRM sync feed
    assert feed.status_code == 200, feed.text
    models.CrmPage.model_validate(feed.json())
    covered.add("/admin/crm/challenges")
    for path, model, template in (  # the findings of abuse and of blind intervals: the same routes' shapes
        ("/admin/abuse/findings?status=open", models.FindingPage, "/admin/abuse/findings"),
        ("/admin/abuse/findings/9223372036854775807", None, "/admin/abuse/findings/{finding_id}"),
        ("/admin/gaps/reviews?limit=5", models.GapReviewPage, "/admin/gaps/reviews"),
        ("/admin/gaps/findings?status=open", models.GapFindingPage, "/admin/gaps/findings"),
        ("/admin/gaps/findings/9223372036854775807", None, "/admin/gaps/findings/{gap_finding_id}"),
    ):
        response = client.get(path, headers=admin)
        assert response.status_code == (200 if model else 404), (path, response.text)
        if model is not None:
            model.model_validate(response.json())
        covered.add(template)
    for findings, key in (("/admin/abuse/findings", "finding_id"), ("/admin/gaps/findings", "gap_finding_id")):
        for action, body in (("dismiss", {"note": "nothing there"}),
                             ("confirm", {"note": "nothing there", "fail": True})):
            response = client.post(f"{findings}/9223372036854775807/{action}", headers=admin, json=body)
            assert response.status_code == 404, response.text
            covered.add(f"{findings}/{{{key}}}/{action}")
    release = {"releases": [{"at": "2031-05-02T12:30:00Z", "title": f"news {uuid.uuid4().hex[:6]}"}]}
    listed = client.post("/admin/news", headers=admin, json=release)
    assert listed.status_code == 200, listed.text
    models.NewsCalendarOut.model_validate(listed.json())
    calendar = client.get("/news?from=2031-05-02T00:00:00Z", headers=trader)
    assert calendar.status_code == 200 and models.NewsCalendarOut.model_validate(calendar.json()).items
    removed = client.delete(f"/admin/news/{listed.json()['items'][0]['id']}", headers=admin)
    assert removed.status_code == 200, removed.text
    models.NewsReleaseOut.model_validate(removed.json())
    covered |= {"/admin/news", "/news", "/admin/news/{release_id}"}
    documented = set(client.get("/openapi.json").json()["paths"]) | {"/openapi.json"}
    assert documented == covered
    audit = client.get(f"/admin/audit?challenge_id={pending}", headers=admin).json()["items"]
    assert [a["kind"] for a in audit] == ["challenge.manual_fail", "challenge.purchased"]


def test_odd_methods_and_malformed_requests_are_problems_not_5xx(server: ApiServerHandle) -> None:
    import socket

    with httpx.Client(base_url=server.url, timeout=10) as c:
        assert_401(c.request("FOO", "/admin/challenges"))
        response = c.request("TRACE", "/admin/challenges", headers=bearer(mint("admin", key=JWT_KEY)))
        assert response.status_code == 404 and response.headers["content-type"] == PROBLEM
    for garbage in (b"THIS IS NOT HTTP\r\n\r\n", b"GET /health HTTP/9.9\r\n\r\n"):
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall(garbage)
            answer = b""
            while chunk := sock.recv(4096):
                answer += chunk
        # the stdlib answers such lines as HTTP/0.9 (a body without a status line): the problem itself
        problem = orjson.loads(answer[answer.index(b"{") :])
        assert 400 <= problem["status"] < 500 and problem["title"], garbage


def test_a_cors_preflight_passes_without_a_token_and_nothing_else_does(client: httpx.Client) -> None:
    preflight = {"Origin": "https://dash.example.com", "Access-Control-Request-Method": "GET"}
    response = client.request("OPTIONS", "/admin/accounts", headers=preflight)
    assert response.status_code == 204 and response.headers["access-control-allow-origin"]
    assert_401(client.request("OPTIONS", "/admin/accounts"))
    answer = client.get("/admin/accounts", headers={"Origin": "https://dash.example.com"})
    assert_401(answer)
    assert answer.headers["access-control-allow-origin"]  # a browser can read the 401


def test_propfirm_token_for_a_trader_carries_the_sub_recorded_for_the_email(
    tmp_path, monkeypatch, capsys, migrated_url: str
) -> None:
    monkeypatch.setenv("PROPFIRM_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("DATABASE_URL", migrated_url)
    email = f"{uuid.uuid4().hex[:8]}@example.com"
    with UnitOfWork(migrated_url) as uow:
        recorded = uow.traders.get_or_create(email, "Ada").sub
        uow.commit()

    def minted(*args: str) -> dict:
        assert cli_main(["token", "--role", "trader", *args]) == 0
        return jwt.decode(capsys.readouterr().out.strip(), options={"verify_signature": False})

    assert minted("--email", email.upper())["sub"] == recorded  # the email's login, whatever its case
    fresh = minted("--email", f"nobody-{email}")["sub"]  # no purchase used it: a new subject each time
    assert fresh != recorded and fresh != minted("--email", f"nobody-{email}")["sub"]
    assert minted("--email", email, "--sub", "given")["sub"] == "given"
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    assert cli_main(["token", "--role", "trader", "--email", email]) == 2
    assert "give the trader's --sub" in capsys.readouterr().err
    assert cli_main(["token", "--role", "admin", "--email", email]) == 0  # staff tokens need no database
