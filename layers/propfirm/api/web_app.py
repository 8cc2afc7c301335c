"""The dashboards' static files (the web app built from `web/` by `make web`) served by the local server
under /app/, with the headers CloudFront gives them in AWS (the CDK app's response-headers policy): a
strict Content-Security-Policy among them. `/app/config.json` tells the app how to sign in; locally,
with `#token=` links.

In AWS the app is a private S3 bucket behind CloudFront (`infra/.../web.py`); the API does not serve it.
"""

from __future__ import annotations

import mimetypes
import os
from dataclasses import dataclass
from pathlib import Path

import orjson

PREFIX = "/app"
# what the browser may load: the app's own files, and the API on the same origin (locally) or its own
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
NOT_BUILT = b"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>propfirm</title></head>
<body><main><h1>The web app is not built</h1><p>Run <code>make web</code> (Node.js 20 and npm), then reload.</p>
</main></body></html>"""


def default_dist() -> Path:
    """`PROPFIRM_WEB_DIST`, else `web/dist` of this checkout."""
    configured = os.environ.get("PROPFIRM_WEB_DIST")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[3] / "web" / "dist"


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


class WebApp:
    def __init__(self, dist: Path | None = None) -> None:
        self.dist = (dist or default_dist()).resolve()

    @property
    def built(self) -> bool:
        return (self.dist / "index.html").is_file()

    @staticmethod
    def serves(path: str) -> bool:
        return path == PREFIX or path.startswith(PREFIX + "/")

    def answer(self, path: str, method: str = "GET") -> Answer:
        if method not in ("GET", "HEAD"):
            return Answer(405, {"Allow": "GET, HEAD", "Content-Type": "text/plain"}, b"method not allowed")
        if path == PREFIX:
            return Answer(308, {"Location": PREFIX + "/"}, b"")
        relative = path[len(PREFIX) + 1 :]
        if relative == "config.json":
            config = {"auth": "local", "apiBase": ""}
            return Answer(200, {**SECURITY_HEADERS, "Content-Type": "application/json", "Cache-Control": "no-store"},
                          orjson.dumps(config))
        if not self.built:
            return Answer(503, {**SECURITY_HEADERS, "Content-Type": "text/html; charset=utf-8"}, NOT_BUILT)
        target = (self.dist / (relative or "index.html")).resolve()
        if not target.is_relative_to(self.dist) or not target.is_file():
            target = self.dist / "index.html"  # the app's own routes are in the fragment; anything else: the app
        kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if kind.startswith("text/") or kind in ("application/javascript", "application/json"):
            kind += "; charset=utf-8"
        # hashed assets never change; index.html must be revalidated to pick up a new build
        cache = "public, max-age=31536000, immutable" if "/assets/" in f"/{relative}" else "no-cache"
        return Answer(200, {**SECURITY_HEADERS, "Content-Type": kind, "Cache-Control": cache}, target.read_bytes())
