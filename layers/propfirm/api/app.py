"""The API application: the Powertools resolver with its routers, problem+json errors in one place, and
`resolve(event, context)`, which authenticates and gates roles BEFORE the resolver looks at anything else.

Order of checks for every request (the design: the token first, whatever the body):
1. public paths (/health, /openapi.json, /webhooks/purchase) go straight to their routes;
2. otherwise verified claims must be present (the Cognito authorizer in AWS, the local server's token
   check locally): 401 without them;
3. the role gate by path (/admin/: admin, or support for GET/HEAD; /challenges: trader with an email;
   /me: any role) - 403;
4. routing (unknown path: 404), validation (422), the route (its own checks, ownership 404).

CORS (the dashboards run in browsers on their own origins): `API_CORS_ORIGINS`, a comma-separated list of
allowed origins (default `*`: bearer tokens travel in a header, never in cookies, so no credentials are
allowed across origins). Preflight requests (OPTIONS with Origin and Access-Control-Request-Method)
pass the gate without a token, as they do in API Gateway, and every answer - the gate's 401 and 403
included - carries the CORS headers for an allowed origin, so a browser can read the problem.
"""

from __future__ import annotations

import binascii
import logging
import os
from collections.abc import Mapping
from typing import Any

import orjson
import psycopg
from aws_lambda_powertools.event_handler import CORSConfig, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer, Server

from propfirm.api.auth import (
    ADMIN,
    SUPPORT,
    claims_of,
    is_preflight,
    is_public,
    principal_from_claims,
    require_trader,
)
from propfirm.api.conditional import make_conditional
from propfirm.api.openapi_doc import conformant
from propfirm.api.problems import (
    PROBLEM_JSON,
    ApiProblem,
    Conflict,
    Forbidden,
    NotFound,
    Unauthorized,
    Unprocessable,
    problem_body,
    problem_of,
    problem_response,
    unauthorized_response,
)
from propfirm.api.resolver import ConcurrentRestResolver
from propfirm.api.routers import (
    abuse,
    admin,
    admin_accounts,
    admin_payouts,
    admin_programs,
    admin_system,
    crm,
    gaps,
    integrations,
    news,
    public,
    trader,
    webhooks,
)
from propfirm.api.runtime import runtime
from propfirm.api.sightings import RECORDER as SIGHTINGS
from propfirm.operations.errors import InvalidRequest, Missing, OperationError
from propfirm.store.errors import NotFound as StoreNotFound

log = logging.getLogger("propfirm.api")

TITLE = "propfirm API"
VERSION = "1.0.0"
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})



def cors_config(value: str | None = None) -> CORSConfig:
    """`API_CORS_ORIGINS`: comma-separated origins allowed to call the API from a browser (default `*`)."""
    raw = os.environ.get("API_CORS_ORIGINS", "*") if value is None else value
    origins = [o.strip().rstrip("/") for o in raw.split(",") if o.strip()] or ["*"]
    return CORSConfig(
        allow_origin=origins[0],
        extra_origins=origins[1:] or None,
        allow_headers=["X-Timestamp", "X-Signature"],
        expose_headers=["WWW-Authenticate"],
        max_age=600,
    )


CORS = cors_config()
app = ConcurrentRestResolver(
    enable_validation=True, cors=CORS, serializer=lambda o: orjson.dumps(o).decode()
)
app.include_router(public.router)
app.include_router(webhooks.router)
app.include_router(trader.router)
app.include_router(admin.router)
app.include_router(admin_accounts.router)
app.include_router(admin_programs.router)
app.include_router(admin_payouts.router)
app.include_router(admin_system.router)
app.include_router(integrations.router)
app.include_router(crm.router)
app.include_router(abuse.router)
app.include_router(gaps.router)
app.include_router(news.router)


def _problem(status: int, body: dict[str, Any]) -> Response:
    return Response(status_code=status, content_type=PROBLEM_JSON, body=orjson.dumps(body).decode())


@app.exception_handler(ApiProblem)
def _api_problem(exc: ApiProblem) -> Response:
    response = _problem(exc.status, problem_of(exc))
    if exc.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="propfirm"'
    return response


@app.exception_handler(OperationError)
def _refused_operation(exc: OperationError) -> Response:
    # an operator's use case refused (propfirm.operations): 404 what it names is missing, 422 invalid, else 409
    extra = {**({"code": exc.code} if exc.code else {}), **exc.details}
    kind = NotFound if isinstance(exc, Missing) else Unprocessable if isinstance(exc, InvalidRequest) else Conflict
    return _api_problem(kind(exc.message, **extra))


@app.exception_handler(RequestValidationError)
def _invalid(exc: RequestValidationError) -> Response:
    errors = [
        {
            "loc": [str(part) for part in e.get("loc", ())],
            "message": str(e.get("msg", "")),
            "type": str(e.get("type", "")),
        }
        for e in exc.errors()
    ]
    detail = "; ".join(f"{'.'.join(e['loc'])}: {e['message']}" for e in errors[:5]) or "invalid request"
    return _problem(
        422, problem_body(422, "Unprocessable request", detail, "validation-error", errors=errors)
    )


@app.exception_handler(RequestUnsupportedContentType)
def _unsupported(exc: RequestUnsupportedContentType) -> Response:
    # 400, not 415: bad input answers 400, 401, 403, 404, 409 or 422 (the API's contract)
    return _problem(
        400,
        problem_body(400, "Bad request", "send the body as application/json", "unsupported-media-type"),
    )


@app.exception_handler([UnicodeDecodeError, binascii.Error])
def _undecodable(exc: Exception) -> Response:
    # Powertools decodes the body when a route reads it: bytes that are not UTF-8 (or bad base64)
    return _problem(
        422, problem_body(422, "Unprocessable request", "the body is not UTF-8 JSON", "validation-error")
    )


@app.exception_handler(NotFoundError)
def _not_found(exc: NotFoundError) -> Response:
    event = app.current_event
    detail = f"no route {event.http_method} {event.path}" if event is not None else "no such route"
    return _problem(404, problem_body(404, "Not found", detail, "not-found"))


@app.exception_handler(StoreNotFound)
def _missing_record(exc: StoreNotFound) -> Response:
    # a record a route named that the store does not hold ("no webhook endpoint 7"): the client's 404
    return _problem(404, problem_body(404, "Not found", str(exc), "not-found"))


@app.exception_handler(psycopg.DataError)
def _bad_value(exc: Exception) -> Response:
    # a value the database cannot hold (e.g. a NUL byte in a query string): the input's fault, not ours
    return _problem(
        422,
        problem_body(
            422, "Unprocessable request", "a value cannot be stored or searched", "validation-error"
        ),
    )


@app.exception_handler(Exception)
def _unexpected(exc: Exception) -> Response:
    log.exception("unexpected error", exc_info=exc)
    return _problem(
        500, problem_body(500, "Internal server error", "an unexpected error; it was logged", "internal")
    )


def openapi_document() -> str:
    generated = app.get_openapi_json_schema(
        title=TITLE,
        version=VERSION,
        summary="Prop-firm backend: trader and admin dashboards, purchase webhook",
        description="Bearer tokens are Cognito ID tokens (locally: `propfirm token`). Errors are "
        "application/problem+json (RFC 9457). Money is a decimal string; times are ISO 8601 UTC.",
        servers=[Server(url="/")],
        security_schemes={"bearer": HTTPBearer(bearerFormat="JWT")},
        security=[{"bearer": []}],
    )
    return orjson.dumps(conformant(orjson.loads(generated))).decode()


_OPENAPI: str | None = None


@app.get("/openapi.json", summary="This OpenAPI document", tags=["public"], include_in_schema=False)
def openapi() -> Response[str]:
    global _OPENAPI
    if _OPENAPI is None:
        _OPENAPI = openapi_document()
    return Response(status_code=200, content_type="application/json", body=_OPENAPI)


# Swagger UI from the CDN, pinned to one version with Subresource Integrity: a changed file (a compromised
# CDN, a republished version) is refused by the browser instead of running with the page's token.
# The hashes are those of the npm package's files (`npm pack swagger-ui-dist@5.35.0`, sha384).
SWAGGER_UI = "https://unpkg.com/swagger-ui-dist@5.35.0"
SWAGGER_CSS_SRI = "sha384-WlYgdmXYOOBWL5apwjDEZwN+U3HmXSSu5R6V5aGxEcf7z+KuRNwBhoxKVN1i3D5I"
SWAGGER_JS_SRI = "sha384-gjRm0bEPMeTmMh5jT2cHccIwCUZSTd8YC+j0d0sXw0MdGEfScduGpSyF3ZSSLkX9"
DOCS_PAGE = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>propfirm API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="{SWAGGER_UI}/swagger-ui.css" integrity="{SWAGGER_CSS_SRI}" crossorigin="anonymous">
</head>
<body><div id="docs"></div>
<script src="{SWAGGER_UI}/swagger-ui-bundle.js" integrity="{SWAGGER_JS_SRI}" crossorigin="anonymous"></script>
<script>SwaggerUIBundle({{url: "openapi.json", dom_id: "#docs", persistAuthorization: true}});</script>
</body></html>
"""


@app.get("/docs", summary="The API's documentation page (Swagger UI)", tags=["public"], include_in_schema=False)
def docs() -> Response[str]:
    # relative "openapi.json": the document next to this page, whatever the stage prefix
    return Response(status_code=200, content_type="text/html; charset=utf-8", body=DOCS_PAGE)


def _gate(event: Mapping[str, Any]) -> dict | None:
    """Authentication and the role gate by path; a response to return at once, or None to go on."""
    path = str(event.get("path") or "/")
    if is_public(path):
        return None
    headers = event.get("headers")
    if is_preflight(str(event.get("httpMethod") or ""), headers if isinstance(headers, Mapping) else None):
        return None  # a CORS preflight carries no token; the resolver answers it (no data)
    try:
        who = principal_from_claims(claims_of(event))
    except Unauthorized as exc:
        return unauthorized_response(exc.detail)
    method = str(event.get("httpMethod") or "GET").upper()
    if path == "/admin" or path.startswith("/admin/"):
        allowed = who.has(ADMIN) or (method in READ_METHODS and who.has(SUPPORT))
        if not allowed:
            refused = Forbidden("admin role required" + (" (support may only read)" if who.has(SUPPORT) else ""))
            return problem_response(403, problem_of(refused))
    elif path == "/challenges" or path.startswith("/challenges/"):
        try:
            require_trader(who)
        except Forbidden as exc:
            return problem_response(403, problem_of(exc))
    return None


def _origin(event: Mapping[str, Any]) -> str | None:
    headers = event.get("headers")
    if not isinstance(headers, Mapping):
        return None
    return next((str(v) for k, v in headers.items() if str(k).lower() == "origin"), None)


def cors_headers(origin: str | None) -> dict[str, str]:
    """The headers Powertools gives a route's answer, for the answers built outside a route."""
    headers = CORS.to_dict(origin)
    if headers and origin:
        headers["Access-Control-Allow-Origin"] = CORS.allowed_origin(origin) or origin
    return headers


WRITE_METHODS = frozenset({"POST", "PUT", "PATCH"})


def _json_media(media: str) -> bool:
    return not media or media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def _media_type_refused(event: Mapping[str, Any]) -> dict | None:
    """Every body this API takes is JSON: a body sent as anything else (multipart, form data, XML, text)
    is refused before a parser meant for it runs (Powertools' multipart parser raises on a missing
    boundary, with a body or without one). A body with no Content-Type is read as JSON."""
    if str(event.get("httpMethod") or "").upper() not in WRITE_METHODS:
        return None
    headers = event.get("headers")
    values: list[str] = []
    if isinstance(headers, Mapping):  # every spelling: a request may carry two, and Powertools reads one of them
        values = [str(v) for k, v in headers.items() if str(k).lower() == "content-type"]
    if all(_json_media(value.split(";", 1)[0].strip().lower()) for value in values):
        return None
    # 400, not 415: bad input answers 400, 401, 403, 404, 409 or 422 (the API's contract)
    body = problem_body(400, "Bad request", "send the body as application/json", "unsupported-media-type")
    return problem_response(400, body)


def _note_sighting(event: Mapping[str, Any]) -> None:
    """A signed-in trader's address and device, for the abuse scan (propfirm.api.sightings)."""
    claims = claims_of(event)
    if claims is None or is_public(str(event.get("path") or "/")):
        return
    try:
        who = principal_from_claims(claims)
    except Unauthorized:
        return
    rt = runtime()
    SIGHTINGS.seen(event, who, rt.uow, rt.clock)


def resolve(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    refused = _gate(event) or _media_type_refused(event)
    if refused is not None:
        refused["headers"].update(cors_headers(_origin(event)))
        return refused
    _note_sighting(event)
    response = make_conditional(event, app.resolve(dict(event), context))
    origin = _origin(event)
    if origin and "Access-Control-Allow-Origin" not in (response.get("multiValueHeaders") or {}):
        # answers built by exception handlers go out without the route's CORS headers
        headers = response.setdefault("headers", {}) or {}
        for name, value in cors_headers(origin).items():
            headers.setdefault(name, value)
        response["headers"] = headers
    return response
