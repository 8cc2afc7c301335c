"""The Web API server: HTTP/1.1 keep-alive, one handler (and one session) per TCP connection.

The session is the connection, as on a real access server: `/api/auth/start` and
`/api/auth/answer` authenticate *this* connection; every other path on an
unauthenticated connection answers HTTP 403; a new connection starts
unauthenticated. A connection idle longer than `idle_timeout` (180 s) is closed
by the server, and its session with it. `restart()` closes every connection and
invalidates every session (the world is kept).
"""

from __future__ import annotations

import logging
import secrets
import socket
import ssl
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson

from propfirm.mt5.auth import answers_match, password_hash, rand_answer
from propfirm.sim.accounts import TradeError
from propfirm.sim.faults import Faults
from propfirm.sim.webapi import endpoints
from propfirm.sim.webapi.dealer import DealerRequest
from propfirm.sim.webapi.retcodes import retcode
from propfirm.sim.world import World

log = logging.getLogger("propfirm.sim")

VERSION_ACCESS = "4755"
VERSION_TRADE = "4755"
MAX_BODY = 16 * 1024 * 1024


@dataclass
class ServerConfig:
    managers: dict[int, str]  # login -> API password
    idle_timeout: float = 180.0  # seconds of real time without a request before the connection closes
    auth_timeout: float = 10.0  # /api/auth/answer must follow /api/auth/start within this
    result_ttl: float = 180.0  # dealer request results are kept this long


@dataclass
class Session:
    """The state of one connection."""

    epoch: int
    login: int = 0
    authenticated: bool = False
    srv_rand: bytes = b""
    pending_login: int = 0
    auth_started: float = 0.0
    last_activity: float = field(default_factory=time.monotonic)
    requests: dict[int, DealerRequest] = field(default_factory=dict)
    _ids: int = 0

    def next_request_id(self) -> int:
        self._ids += 1
        return self._ids

    def expire_requests(self, ttl: float) -> None:
        limit = time.monotonic() - ttl
        for request_id in [i for i, r in self.requests.items() if r.created < limit]:
            del self.requests[request_id]


def unescape(value: str) -> str:
    r"""Undo the Web API's backslash escaping of `=`, `|`, `\` and line feed in values (a lone
    backslash before any other character is kept, so `demo\forex` arrives either way)."""
    if "\\" not in value:
        return value
    out, i = [], 0
    while i < len(value):
        char = value[i]
        if char == "\\" and i + 1 < len(value) and value[i + 1] in "\\=|\n":
            out.append(value[i + 1])
            i += 2
            continue
        out.append(char)
        i += 1
    return "".join(out)


class WebApiHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "MT5AccessServer/" + VERSION_ACCESS + " (simulated)"
    sys_version = ""
    server: WebApiServer

    def setup(self) -> None:
        super().setup()
        self.session = Session(epoch=self.server.epoch)
        self.connection.settimeout(self.server.config.idle_timeout)
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.register(self)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.unregister(self)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        log.debug("%s " + format, self.address_string(), *args)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._serve()

    def do_POST(self) -> None:  # noqa: N802
        self._serve()

    # ---- plumbing -------------------------------------------------------------------------------
    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise ValueError("body too large")
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, status: int, payload: bytes, close: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        if close:
            self.send_header("Connection", "close")
        # headers and body in one write: two small segments would meet the client's delayed ACK (40 ms)
        self._headers_buffer.append(b"\r\n" + payload)  # type: ignore[attr-defined]  # http.server's own
        self.flush_headers()

    def _send_json(self, document: dict[str, Any], status: int = 200, close: bool = False) -> None:
        self._send(status, orjson.dumps(document), close)

    # ---- one request ----------------------------------------------------------------------------
    def _serve(self) -> None:
        server = self.server
        session = self.session
        now = time.monotonic()
        if now - session.last_activity > server.config.idle_timeout:
            # idle past the limit: the server has already dropped this session
            self.close_connection = True
            return
        session.last_activity = now
        if session.epoch != server.epoch:
            session.authenticated = False
            session.requests.clear()
        parts = urllib.parse.urlsplit(self.path)
        path = parts.path.rstrip("/") or "/"
        params = {
            k.lower(): unescape(v) for k, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
        }
        try:
            raw = self._read_body()
        except (ValueError, OSError):
            self._send_json({"retcode": retcode(3)}, status=400, close=True)
            return
        faults = server.faults
        latency = faults.delay_of(path)
        if latency:
            time.sleep(latency)
        if path == "/api/auth/start":
            self._auth_start(params)
            return
        if path == "/api/auth/answer":
            self._auth_answer(params)
            return
        if not session.authenticated:
            self._send_json({"retcode": retcode(8)}, status=403)
            return
        if path == "/api/quit":
            session.authenticated = False
            self._send_json({"retcode": retcode(0)}, close=True)
            return
        handler = endpoints.ROUTES.get(path)
        if handler is None:
            self._send_json({"retcode": retcode(11)}, status=404)
            return
        failure = faults.draw_error()
        if failure is not None:
            code, http_status = failure
            if http_status:
                self._send(http_status, b"")
            else:
                self._send_json({"retcode": retcode(code)})
            return
        body: Any = None
        if raw.strip():
            try:
                body = orjson.loads(raw)
            except orjson.JSONDecodeError:
                self._send_json({"retcode": retcode(3)})
                return
        call = endpoints.Call(
            world=server.world,
            params=params,
            body=body,
            session=session,
            result_ttl=server.config.result_ttl,
            extra={"hold": faults.dealer_hold},
        )
        try:
            with server.world.lock:
                server.world.settle()
                answer = handler(call)
            document: dict[str, Any] = {"retcode": retcode(0)}
            if isinstance(answer, endpoints.WithFields):
                document.update(answer.fields)
                answer = answer.answer
            if answer is not endpoints.NO_ANSWER:
                document["answer"] = answer
        except endpoints.ApiError as exc:
            document = {"retcode": retcode(exc.retcode)}
        except TradeError as exc:
            document = {"retcode": retcode(exc.retcode)}
        except Exception:  # a bug must not kill the connection thread silently
            log.exception("error serving %s", self.path)
            document = {"retcode": retcode(2)}
        self._send_json(document)

    def _auth_start(self, params: dict[str, str]) -> None:
        session = self.session
        session.authenticated = False
        session.epoch = self.server.epoch
        try:
            version = int(params.get("version", ""))
            login = int(params.get("login", ""))
        except ValueError:
            self._send_json({"retcode": retcode(3)})
            return
        agent = params.get("agent", "")
        if version < 484 or not agent or " " in agent or params.get("type", "").lower() != "manager":
            self._send_json({"retcode": retcode(3)})
            return
        session.srv_rand = secrets.token_bytes(16)
        session.pending_login = login
        session.auth_started = time.monotonic()
        self._send_json(
            {"retcode": retcode(0), "version_access": VERSION_ACCESS, "srv_rand": session.srv_rand.hex()}
        )

    def _auth_answer(self, params: dict[str, str]) -> None:
        session = self.session
        srv_rand, session.srv_rand = session.srv_rand, b""
        if not srv_rand:
            self._send_json({"retcode": retcode(3)})
            return
        if time.monotonic() - session.auth_started > self.server.config.auth_timeout:
            self._send_json({"retcode": retcode(9)})
            return
        try:
            cli_rand = bytes.fromhex(params.get("cli_rand", ""))
        except ValueError:
            cli_rand = b""
        answer = params.get("srv_rand_answer", "")
        if len(cli_rand) != 16 or not answer:
            self._send_json({"retcode": retcode(3)})
            return
        password = self.server.config.managers.get(session.pending_login)
        if password is None or not answers_match(rand_answer(password_hash(password), srv_rand), answer):
            self._send_json({"retcode": retcode(3006)})
            return
        session.authenticated = True
        session.login = session.pending_login
        self._send_json(
            {
                "retcode": retcode(0),
                "version_access": VERSION_ACCESS,
                "version_trade": VERSION_TRADE,
                "cli_rand_answer": rand_answer(password_hash(password), cli_rand),
            }
        )


class WebApiServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(
        self,
        address: tuple[str, int],
        world: World,
        config: ServerConfig,
        faults: Faults | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.world = world
        self.config = config
        self.faults = faults or Faults(world.seed)
        self.ssl_context = ssl_context
        self.epoch = 0
        self._handlers: set[WebApiHandler] = set()
        self._handlers_lock = threading.Lock()
        self.faults.attach(self.drop_connections)
        super().__init__(address, WebApiHandler)

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, addr = super().get_request()
        if self.ssl_context is not None:
            # the TLS handshake happens in the connection's own thread, on its first read
            sock = self.ssl_context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, addr

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("connection from %s ended with an error", client_address, exc_info=True)

    def register(self, handler: WebApiHandler) -> None:
        with self._handlers_lock:
            self._handlers.add(handler)

    def unregister(self, handler: WebApiHandler) -> None:
        with self._handlers_lock:
            self._handlers.discard(handler)

    @property
    def connections(self) -> int:
        with self._handlers_lock:
            return len(self._handlers)

    def drop_connections(self) -> int:
        with self._handlers_lock:
            handlers = list(self._handlers)
        for handler in handlers:
            handler.session.authenticated = False
            try:
                handler.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        return len(handlers)

    def restart(self) -> None:
        """Lose every session: bump the epoch (sessions of older epochs are void) and drop connections."""
        self.epoch += 1
        self.drop_connections()


def make_ssl_context(certfile: str, keyfile: str) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(certfile, keyfile)
    return context
