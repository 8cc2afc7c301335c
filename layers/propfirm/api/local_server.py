"""The API on localhost: a threaded HTTP server that plays API Gateway (REST proxy) and its Cognito
authorizer in front of the Lambda's own handler, so the same code answers here and in AWS.

Per request: the bearer token is verified FIRST (HS256 with the local key, `exp` with at most 1 s of
leeway) except on /health, /openapi.json, /docs and /webhooks/purchase - 401 problem+json without a valid one,
whatever the path or body; then the request becomes API Gateway's proxy event (`resource`, `path`,
`httpMethod`, headers and multi-value headers, query strings, `pathParameters`, `body`,
`isBase64Encoded`, `requestContext` with `authorizer.claims`, `requestId`, `stage`) and goes to
`functions.api.handler.lambda_handler`.

For the local stack (`propfirm dev`):

    handle = serve_api("127.0.0.1", 8080, database_url, redis_url, namespace)   # returns when listening
    handle.url; handle.webhook_secret; handle.stop()

Each connection has its own thread and requests are resolved concurrently: the resolver keeps each
request's event and route context in a ContextVar of its own (`propfirm.api.resolver`), not in
Powertools' process-wide class attribute. The database work is safe under real concurrency too (many
containers): the webhook's idempotency rests on the unique order id, overrides on row locks and versions.
CORS preflights (OPTIONS with Origin and Access-Control-Request-Method) pass without a token, as they do
in API Gateway.
"""

from __future__ import annotations

import base64
import re
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import orjson
import redis

from propfirm.api.app import cors_headers
from propfirm.api.auth import is_preflight, is_public
from propfirm.api.problems import problem_body, unauthorized_response
from propfirm.api.runtime import Runtime, build_runtime, set_runtime
from propfirm.api.settings import ApiSettings
from propfirm.api.tokens import TokenError, bearer_token, claims_for_event, jwt_secret, verify
from propfirm.api.web_app import WebApp
from propfirm.payouts.ports import PayoutPorts
from propfirm.queues.lambda_events import LocalContext

MAX_BODY_BYTES = 1 << 20
STAGE = "local"


@dataclass(frozen=True)
class _Template:
    resource: str
    pattern: re.Pattern[str]


def _templates() -> list[_Template]:
    from propfirm.api.app import openapi_document

    paths = list(orjson.loads(openapi_document())["paths"]) + ["/openapi.json", "/docs"]
    out = []
    for resource in sorted(paths, key=lambda p: (p.count("{"), -len(p))):
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(resource))
        out.append(_Template(resource, re.compile(f"^{regex}$")))
    return out


def _match(templates: list[_Template], path: str) -> tuple[str, dict[str, str] | None]:
    for template in templates:
        m = template.pattern.match(path)
        if m:
            return template.resource, (m.groupdict() or None)
    return path, None


def build_event(
    method: str,
    raw_path: str,
    header_pairs: list[tuple[str, str]],
    body: bytes,
    claims: dict[str, Any] | None,
    templates: list[_Template],
    source_ip: str = "127.0.0.1",
) -> dict[str, Any]:
    split = urlsplit(raw_path)
    path = unquote(split.path) or "/"
    resource, path_parameters = _match(templates, path)
    headers: dict[str, str] = {}
    multi_headers: dict[str, list[str]] = {}
    for name, value in header_pairs:
        headers[name] = value
        multi_headers.setdefault(name, []).append(value)
    multi_query = parse_qs(split.query, keep_blank_values=True) if split.query else {}
    query = {k: v[-1] for k, v in multi_query.items()}
    try:
        text: str | None = body.decode("utf-8") if body else None
        is_b64 = False
    except UnicodeDecodeError:
        text, is_b64 = base64.b64encode(body).decode(), True
    request_id = str(uuid.uuid4())
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": headers or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": path_parameters,
        "stageVariables": None,
        "body": text,
        "isBase64Encoded": is_b64,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": method,
            "path": f"/{STAGE}{path}",
            "stage": STAGE,
            "requestId": request_id,
            "extendedRequestId": request_id,
            "requestTimeEpoch": int(time.time() * 1000),
            "protocol": "HTTP/1.1",
            "identity": {"sourceIp": source_ip, "userAgent": headers.get("User-Agent")},
            "accountId": "000000000000",
            "apiId": "local",
            "authorizer": {"claims": claims} if claims else None,
        },
    }


class _Handler(BaseHTTPRequestHandler):
    server: _ApiHttpServer
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        # headers and body go out in two writes: without this, Nagle holds the body back until the client's
        # delayed ACK (about 40 ms a request on a kept-alive connection)
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        if self.server.quiet:
            return
        super().log_message(format, *args)

    def _send(self, response: dict[str, Any]) -> None:
        body = response.get("body") or ""
        data = base64.b64decode(body) if response.get("isBase64Encoded") else str(body).encode()
        self.send_response(int(response.get("statusCode", 500)))
        sent = set()
        for name, value in (response.get("headers") or {}).items():
            self.send_header(name, str(value))
            sent.add(name.lower())
        for name, values in (response.get("multiValueHeaders") or {}).items():
            if name.lower() in sent:
                continue
            for value in values:
                self.send_header(name, str(value))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _read_body(self) -> bytes | None:
        length_text = self.headers.get("Content-Length")
        if not length_text:
            return b""
        try:
            length = int(length_text)
        except ValueError:
            return None
        if length < 0 or length > MAX_BODY_BYTES:
            return None
        return self.rfile.read(length)

    def _handle(self) -> None:
        path = unquote(urlsplit(self.path).path) or "/"
        if WebApp.serves(path):  # the dashboards' static files: no token (the app signs in itself)
            self._discard_body()
            answer = self.server.web_app.answer(path, self.command)
            self._send({"statusCode": answer.status, "headers": answer.headers,
                        "body": base64.b64encode(answer.body).decode(), "isBase64Encoded": True})
            return
        claims = None
        if not is_public(path) and not is_preflight(self.command, dict(self.headers.items())):
            # the authorizer: the token before the body, the path or anything else
            try:
                raw = verify(bearer_token(dict(self.headers.items())), self.server.jwt_key)
                claims = claims_for_event(raw)
            except TokenError as exc:
                self._discard_body()
                refused = unauthorized_response(str(exc))
                refused["headers"].update(cors_headers(self.headers.get("Origin")))  # a browser reads it
                self._send(refused)
                return
        body = self._read_body()
        if body is None:
            self.close_connection = True
            self._send(_problem(413, "Payload too large", f"at most {MAX_BODY_BYTES} bytes", "too-large"))
            return
        event = build_event(
            self.command,
            self.path,
            list(self.headers.items()),
            body,
            claims,
            self.server.templates,
            self.client_address[0],
        )
        context = LocalContext(function_name="propfirm-api-local", aws_request_id=str(uuid.uuid4()))
        response = self.server.lambda_handler(event, context)
        self._send(response)

    def _discard_body(self) -> None:
        body = self._read_body()
        if body is None:
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

    def __getattr__(self, name: str) -> Any:
        # any other method (TRACE, FOO, ...) takes the same path: 401 without a token, else a 404 problem,
        # never the stdlib's 501
        if name.startswith("do_"):
            return self._handle
        raise AttributeError(name)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The stdlib's own refusals (malformed request line, headers too long) as problem+json too."""
        self.close_connection = True
        if code >= 500:  # 505 for "HTTP/2.0" in a request line: the client's mistake, not ours
            code, message = 400, f"Bad request ({message or code})"
        title = message or self.responses.get(code, ("Error",))[0]
        self._send(_problem(code, title, explain or title, "http-error"))


def _problem(status: int, title: str, detail: str, slug: str) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/problem+json"},
        "body": orjson.dumps(problem_body(status, title, detail, slug)).decode(),
        "isBase64Encoded": False,
    }


def load_lambda_handler() -> Any:
    """The API Lambda's own handler (`propfirm.api.function.lambda_handler`, what `functions/api/handler.py`
    exports)."""
    from propfirm.api.function import lambda_handler

    return lambda_handler


class _ApiHttpServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], jwt_key: str, quiet: bool) -> None:
        super().__init__(address, _Handler)
        self.jwt_key = jwt_key
        self.quiet = quiet
        self.templates = _templates()
        self.lambda_handler = load_lambda_handler()
        self.web_app = WebApp()


@dataclass
class ApiServerHandle:
    host: str
    port: int
    runtime: Runtime
    _server: _ApiHttpServer
    _thread: threading.Thread
    _stopped: bool = field(default=False)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def webhook_secret(self) -> str:
        return self.runtime.webhook_secret

    def serve_forever(self) -> None:
        self._thread.join()

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        self.runtime.close()
        set_runtime(None)


def serve_api(
    host: str = "127.0.0.1",
    port: int = 8080,
    database_url: str | None = None,
    redis_url: str | None = None,
    namespace: str = "",
    *,
    webhook_secret: str | None = None,
    jwt_key: str | None = None,
    redis_client: redis.Redis | None = None,
    db_pool_max: int = 10,
    quiet: bool = True,
    command_queue_url: str | None = None,
    sqs_client: Any = None,
    payouts: PayoutPorts | None = None,
) -> ApiServerHandle:
    """Serve the API in a background thread (port 0: a free port; see `handle.port`). Migrations are the
    caller's (`propfirm api` applies them first), and so is the process environment (`propfirm api` turns
    the metrics off: there is no CloudWatch to read them locally). `payouts`: the payout workflow the API
starts and answers (the local stack's in moto; None: from the environment). Returns once the socket
listens."""
    overrides: dict[str, Any] = {"db_pool_max": db_pool_max, "redis_namespace": namespace}
    if database_url:
        overrides["database_url"] = database_url
    if redis_url:
        overrides["redis_url"] = redis_url
    if webhook_secret:
        overrides["propfirm_webhook_secret"] = webhook_secret
    from propfirm.settings import load

    settings = load(ApiSettings, **overrides)
    rt = build_runtime(settings, redis_client=redis_client, payouts=payouts)
    if command_queue_url:  # commands the API writes go out at once (else the evaluator's relay sends them)
        rt.queues["command"] = command_queue_url
        rt.sqs = sqs_client or rt.sqs
    set_runtime(rt)
    server = _ApiHttpServer((host, port), jwt_key or jwt_secret(), quiet)
    thread = threading.Thread(target=server.serve_forever, name="propfirm-api", daemon=True)
    thread.start()
    return ApiServerHandle(host, server.server_address[1], rt, server, thread)
