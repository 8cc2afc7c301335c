"""One authenticated MT5 Web API session over one keep-alive HTTPS connection.

The access server ties the session to the TCP/TLS connection (reference §1.3),
so the session lives on one connection it owns (`propfirm.mt5.webapi.channel`:
HTTP/1.1, never reopened behind its back). What can go wrong, and what this
module does about it:

- The connection drops (idle timeout, network, server restart): the exchange
  fails; the channel is discarded and the next attempt opens a new connection
  and authenticates again, after an exponential backoff with jitter. A
  connection the server closed while idle is seen before the next request is
  sent: a new connection and session at once, nothing lost.
- The server forgets the session but keeps the connection (expiry, restart
  behind a proxy): it answers HTTP 403. A 403 means the request was refused
  before it ran, so the client authenticates again and sends it once more; a
  second 403 on a fresh session is a real permission problem (NoPermission).
- A call exceeds its timeout: the connection is dropped (a late answer would
  be paired with the next request) and the call raises Timeout.

`read()` retries transient failures (connection, timeout, HTTP 5xx, busy and
network return codes) up to `max_attempts`; `write()` never repeats a request
whose outcome is unknown: it raises ConnectionLost and lets the gateway find
out by reading back. Every public method holds one lock, so a keep-alive
thread and the poller cannot interleave requests on the connection.

Size: one session's whole life (handshake, keep-alive, the retry loop, errors mapped) is one state machine
under one lock; split, the lock and the connection would be shared across modules.
"""

from __future__ import annotations

import json
import logging
import re
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import quote_plus

import certifi

from propfirm.mt5.auth import answers_match, new_cli_rand, parse_rand, password_hash, rand_answer
from propfirm.mt5.backoff import Backoff
from propfirm.mt5.errors import (
    RET_ERR_PARTIAL,
    SUCCESS_CODES,
    AuthFailed,
    ConnectionLost,
    InvalidRequest,
    Mt5Error,
    NoPermission,
    NotFound,
    ServerError,
    Timeout,
    TooFrequent,
    from_retcode,
    parse_retcode,
)
from propfirm.mt5.webapi.channel import Channel, ChannelBroken, ChannelTimeout, HttpChannel, unverified_context
from propfirm.mt5.webapi.wire import DecodeRefused

log = logging.getLogger(__name__)

# Return codes worth another attempt of a read: generic error, network, timeout, connection,
# no service, too frequent, shutdown, server busy.
TRANSIENT_RETCODES = frozenset({2, 7, 9, 10, 11, 12, 15, 1018})
KEEPALIVE_INTERVAL = 20.0  # seconds; the server drops a connection idle for 180 s (reference §1.3)
API_VERSION = 4000  # any build number >= 484 is accepted; it only appears in the server's log
BODY_CONTENT_TYPE = "application/json"
_BODY_HEADERS = {"Content-Type": BODY_CONTENT_TYPE}

Params = Mapping[str, str | int]


class _SessionRefused(Exception):
    """HTTP 403: the server does not (or no longer) know this session."""


class WebApiTransport:
    def __init__(
        self,
        url: str,
        login: int,
        password: str,
        *,
        verify: bool | str = True,
        timeout: float = 10.0,
        connect_timeout: float = 5.0,
        max_attempts: int = 4,
        keepalive_interval: float = KEEPALIVE_INTERVAL,
        backoff: Backoff | None = None,
        agent: str = "propfirm",
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        open_channel: Callable[[], Channel] | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.login = int(login)
        self._password_hash = password_hash(password)
        self._verify = verify
        self._ssl_context: ssl.SSLContext | None = None  # made for the first https connection
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.max_attempts = max(1, max_attempts)
        self.keepalive_interval = keepalive_interval
        self._backoff = backoff or Backoff()
        self._agent = agent
        self._sleep = sleep
        self._clock = clock
        self._open_channel = open_channel or self._http_channel  # tests script a peer through their own
        self._lock = threading.RLock()
        self._client: Channel | None = None
        self._authenticated = False
        self._last_sent = clock()
        # counters for tests, logs and the benchmark
        self.handshakes = 0
        self.requests = 0
        self.reconnects = 0  # connections the server closed while idle, found before a request

    # -- public ------------------------------------------------------------------------------
    @property
    def session_number(self) -> int:
        """Changes with every new session (handshake); state tied to a session compares it."""
        return self.handshakes

    @property
    def connected(self) -> bool:
        return self._client is not None and self._authenticated

    def connect(self) -> None:
        with self._lock:
            self._call("GET", "/api/test/access", None, None, None, idempotent=True, partial_ok=False)

    def close(self) -> None:
        """Log out (best effort) and drop the connection."""
        with self._lock:
            if self._client is not None and self._authenticated:
                try:
                    self._client.exchange("GET", "/api/quit", None, None, min(self.timeout, 2.0))
                except (ChannelBroken, ChannelTimeout):
                    pass
            self._drop()

    def read(
        self,
        path: str,
        params: Params | None = None,
        body: Any = None,
        *,
        timeout: float | None = None,
        partial_ok: bool = False,
        decode: Callable[[bytes], dict[str, Any]] | None = None,
    ) -> Any:
        """Send a request that is safe to repeat; returns the `answer` of a successful reply. `decode`: a
        typed reader for this reply (`propfirm.mt5.webapi.wire`), tried first; a reply it refuses is read
        the general way."""
        with self._lock:
            return self._call(
                "GET" if body is None else "POST",
                path,
                params,
                body,
                timeout,
                idempotent=True,
                partial_ok=partial_ok,
                decode=decode,
            ).get("answer")

    def read_reply(self, path: str, params: Params | None = None, *, timeout: float | None = None) -> dict[str, Any]:
        """`read`, returning the whole reply (for the fields some answers carry beside `answer`, such as
        `/api/tick/last`'s `trans_id`)."""
        with self._lock:
            return self._call("GET", path, params, None, timeout, idempotent=True, partial_ok=False)

    def write(
        self, path: str, params: Params | None = None, body: Any = None, *, timeout: float | None = None
    ) -> Any:
        """Send a request that changes something; raises ConnectionLost when its outcome is unknown."""
        with self._lock:
            return self._call("POST", path, params, body, timeout, idempotent=False, partial_ok=False).get(
                "answer"
            )

    def ping(self) -> None:
        self.read("/api/test/access")

    def ping_if_idle(self) -> bool:
        """Ping when nothing went to the server for `keepalive_interval` seconds (never more often)."""
        with self._lock:
            if self._client is None or self._clock() - self._last_sent < self.keepalive_interval:
                return False
            self.ping()
            return True

    # -- the retry loop ------------------------------------------------------------------------
    def _call(
        self,
        method: str,
        path: str,
        params: Params | None,
        body: Any,
        timeout: float | None,
        *,
        idempotent: bool,
        partial_ok: bool,
        decode: Callable[[bytes], dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        attempt = 0
        refused_once = False
        while True:
            attempt += 1
            sent = False
            try:
                self._ensure_session()  # nothing of this request has left yet
                sent = True
                payload = self._exchange(method, path, params, body, timeout, decode=decode)
            except _SessionRefused:
                # Refused before it ran: authenticate again and send it once more.
                self._authenticated = False
                if refused_once:
                    raise NoPermission(f"HTTP 403 for {path} on a fresh session") from None
                refused_once = True
                attempt -= 1
                continue
            except AuthFailed:
                raise  # wrong credentials: retrying only feeds the anti-flood block
            except (ConnectionLost, TooFrequent) as exc:
                # Before the request left (connect, handshake) any call may try again; after, only a read.
                if (sent and not idempotent) or attempt >= self.max_attempts:
                    raise
                self._pause(path, exc, attempt)
                continue
            try:
                code, text = parse_retcode(payload.get("retcode", ""))
            except ValueError:
                raise ServerError(f"{path}: unreadable retcode {payload.get('retcode')!r}") from None
            if code in SUCCESS_CODES or (partial_ok and code == RET_ERR_PARTIAL):
                self._backoff.reset()
                return payload
            error = from_retcode(code, text or f"{path} failed")
            if not idempotent or code not in TRANSIENT_RETCODES or attempt >= self.max_attempts:
                raise error
            self._pause(path, error, attempt)

    def _pause(self, path: str, error: Exception, attempt: int) -> None:
        delay = self._backoff.next_delay()
        log.info(
            "mt5 %s failed (%s); attempt %d/%d in %.2fs", path, error, attempt + 1, self.max_attempts, delay
        )
        self._sleep(delay)

    # -- session -------------------------------------------------------------------------------
    def _ensure_session(self) -> None:
        if self._client is not None and not self._client.usable():
            self.reconnects += 1  # closed by the server while idle: the session went with it
            self._drop()
        if self._client is None:
            self._client = self._open_channel()
            self._authenticated = False
        if not self._authenticated:
            self._handshake()

    def _http_channel(self) -> Channel:
        if self._ssl_context is None and self.url.startswith("https:"):
            self._ssl_context = tls_context(self._verify)
        return HttpChannel(self.url, ssl_context=self._ssl_context, connect_timeout=self.connect_timeout,
                           headers={"Connection": "keep-alive", "User-Agent": self._agent})

    def _handshake(self) -> None:
        """The two-step challenge-response of reference §1.2, checking the server's answer too."""
        try:
            start = self._exchange(
                "GET",
                "/api/auth/start",
                {"version": API_VERSION, "agent": self._agent, "login": self.login, "type": "manager"},
                None,
                None,
            )
            self._expect_auth_ok(start, "auth/start")
            srv_rand = parse_rand(str(start.get("srv_rand", "")))
            cli_rand = new_cli_rand()
            answer = self._exchange(
                "GET",
                "/api/auth/answer",
                {"srv_rand_answer": rand_answer(self._password_hash, srv_rand), "cli_rand": cli_rand.hex()},
                None,
                None,
            )
            self._expect_auth_ok(answer, "auth/answer")
        except _SessionRefused:
            self._drop()
            raise AuthFailed("the server refused the handshake (HTTP 403): login or API password") from None
        except ValueError as exc:
            self._drop()
            raise AuthFailed(f"malformed handshake reply: {exc}") from None
        if not answers_match(
            rand_answer(self._password_hash, cli_rand), str(answer.get("cli_rand_answer", ""))
        ):
            self._drop()
            raise AuthFailed("the server's cli_rand_answer does not prove it knows the password")
        self._authenticated = True
        self.handshakes += 1

    @staticmethod
    def _expect_auth_ok(payload: dict[str, Any], step: str) -> None:
        code, text = parse_retcode(payload.get("retcode", ""))
        if code not in SUCCESS_CODES:
            error = from_retcode(code, f"{step}: {text}")
            if isinstance(error, ConnectionLost | TooFrequent):
                raise error
            raise AuthFailed(f"{step}: {text or 'refused'}", code)

    # -- one HTTP exchange -----------------------------------------------------------------------
    def _exchange(
        self,
        method: str,
        path: str,
        params: Params | None,
        body: Any,
        timeout: float | None,
        *,
        decode: Callable[[bytes], dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        client = self._client
        assert client is not None
        content = None if body is None else json.dumps(body, default=_json_default).encode()
        query = _encode_params(params)
        try:
            reply = client.exchange(method, f"{path}?{form_query(query)}" if query else path, content,
                                    None if content is None else _BODY_HEADERS,
                                    self.timeout if timeout is None else timeout)
        except ChannelTimeout as exc:
            self._drop()
            raise Timeout(f"{path}: no answer within the timeout ({exc})") from None
        except ChannelBroken as exc:
            self._drop()
            raise ConnectionLost(f"{path}: connection lost ({exc})") from None
        finally:
            self._last_sent = self._clock()
        self.requests += 1
        status = reply.status
        if status == 403:
            raise _SessionRefused()
        if status >= 500:
            raise ServerError(f"{path}: HTTP {status}")
        if status != 200:
            raise from_http_status(status, path)
        if decode is not None:
            try:
                return decode(reply.content)
            except DecodeRefused:
                pass  # not the shape the typed reader knows: the general way names what is wrong, if anything
        try:
            payload = json.loads(reply.content, parse_float=Decimal)
        except ValueError:
            raise ServerError(f"{path}: the reply is not JSON") from None
        if not isinstance(payload, dict) or "retcode" not in payload:
            raise ServerError(f"{path}: the reply has no retcode")
        return payload

    def _drop(self) -> None:
        if self._client is not None:
            try:
                self._client.close()
            except Exception:  # noqa: BLE001 - closing a broken connection may fail in many ways
                pass
        self._client = None
        self._authenticated = False


def tls_context(verify: bool | str) -> ssl.SSLContext:
    """True: certifi's roots (what httpx trusted here before); a path: that CA file; False: no check (a test
    server's own certificate)."""
    if isinstance(verify, str):
        return ssl.create_default_context(cafile=verify)
    return ssl.create_default_context(cafile=certifi.where()) if verify else unverified_context()


def from_http_status(status: int, path: str) -> Mt5Error:
    if status == 404:
        return NotFound(f"{path}: HTTP 404 (endpoint unknown to this server)")
    if status == 429:
        return TooFrequent(f"{path}: HTTP 429")
    return InvalidRequest(f"{path}: HTTP {status}")


_ESCAPES = str.maketrans({"\\": "\\\\", "=": "\\=", "|": "\\|", "\n": "\\\n"})


def escape_value(value: str) -> str:
    """Backslash-escape `\\`, `=`, `|` and line feed in a parameter value (reference §1.1)."""
    return value.translate(_ESCAPES)


def _encode_params(params: Params | None) -> dict[str, str] | None:
    if not params:
        return None
    return {k: escape_value(str(v)) for k, v in params.items() if v is not None}


# quote_plus leaves letters, digits and "_.-~" as they are; a list of logins adds only commas
_PLAIN = re.compile(r"[A-Za-z0-9_.~,-]*")


def form_query(query: Mapping[str, str]) -> str:
    """The query form-encoded, byte for byte what `urllib.parse.urlencode` makes of it. A list of 100 logins
    is most of a poll's requests: its commas are replaced at once, where quote_plus maps each of its ~700
    characters in Python (~0.1 s a cycle at 100,000 accounts)."""
    return "&".join([f"{_form_text(key)}={_form_text(value)}" for key, value in query.items()])


def _form_text(text: str) -> str:
    return text.replace(",", "%2C") if _PLAIN.fullmatch(text) else quote_plus(text)


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return format(value, "f")
    raise TypeError(f"cannot send {type(value).__name__} as JSON")
