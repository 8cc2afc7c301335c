"""The OpenAPI document, made to say what the API really answers (checked by schemathesis in the suite).

Powertools generates each operation from its route. On top of that, for every operation:
- the errors it can answer, each an `application/problem+json` `Problem`: 400 (a body that is not JSON),
  401 and 403 (the token and the role gate run before routing), 404, 409 where a state conflicts, 422
  (the input, or a rule a schema cannot express: "not eligible", "from after to"), 429 (the rate limit);
  Powertools' own `HTTPValidationError` 422 (never sent: errors are problems) is replaced;
- the public operations (`/health`, the purchase webhook, which signs with an HMAC instead) need no token
  (`security: []`);
- a program's body is described by the program schema (`propfirm.domain.programs.Program`).
"""

from __future__ import annotations

import copy
from typing import Any

from propfirm.api.auth import PUBLIC_PATHS
from propfirm.domain.programs import Program

PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
ERRORS = {
    "400": "the body is not JSON",
    "401": "no valid token",
    "403": "the role may not",
    "404": "not found (or another trader's)",
    "409": "conflicts with the current state",
    "422": "invalid input, or a rule refused it (the problem's code says which)",
    "429": "too many requests: slow down (Retry-After)",
}
PUBLIC_ERRORS = {"400", "401", "409", "422", "429"}  # the webhook's; /health answers 200, 429 or 503
WRITE_METHODS = {"post", "put", "patch"}


def conformant(document: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(document)
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    for path, operations in doc.get("paths", {}).items():
        public = path in PUBLIC_PATHS
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for code, description in ERRORS.items():
                if public and code not in PUBLIC_ERRORS:
                    continue
                if code == "400" and method not in WRITE_METHODS:
                    continue
                existing = responses.get(code)
                if existing is None or "HTTPValidationError" in str(existing):
                    responses[code] = {"description": description, "content": PROBLEM}
                else:
                    existing["content"] = PROBLEM
            if path == "/health":
                responses["503"] = {"description": "the database or Redis does not answer", "content": PROBLEM}
                responses.pop("422", None)
            if public:
                operation["security"] = []
            if path.startswith("/admin/programs") and method == "post":
                _program_body(operation, schemas)
    if "HTTPValidationError" not in str(doc["paths"]):
        schemas.pop("HTTPValidationError", None)
    return doc


def _program_body(operation: dict[str, Any], schemas: dict[str, Any]) -> None:
    definition = Program.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, schema in definition.pop("$defs", {}).items():
        schemas.setdefault(name, schema)
    schemas["Program"] = definition
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if content is not None:
        content["schema"] = {"$ref": "#/components/schemas/Program"}
