"""One keep-alive HTTP/1.1 connection to the MT5 access server, owned outright (the standard library's
`http.client`).

Why not httpx here: a poll of 100,000 accounts is some 1,500 requests a cycle (pages of 100 logins), and
httpx spent about four times the CPU of `http.client` on each (its URL parsed and validated character by
character three times a request, a query of 100 logins included, then cookies, auth and redirect layers
the Web API never uses): measured in docs/mt5.md. The Web API needs none of what httpx adds, and owning
the connection makes the session's tie to it (reference §1.3) explicit:

- The channel is one connection. It never opens another behind the transport's back: once it is closed
  (an error, a `Connection: close` reply, the server gone), `usable()` is False and the transport starts a
  new channel and a new session.
- A connection the server closed while it sat idle is seen before a request is sent (its socket reads
  as ready: the peer's close), so the transport authenticates again on a new one at once, instead of
  learning it from a failed read or a 403.
- The query is form-encoded as httpx encoded it (`urllib.parse.urlencode`: a space as `+`, everything
  but letters, digits and `_.-~` percent-encoded), so the wire is unchanged.
"""

from __future__ import annotations

import http.client
import select
import socket
import ssl
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit


class ChannelError(Exception):
    """The exchange did not complete; the channel is closed."""


class ChannelTimeout(ChannelError):
    """No answer (or no connection) within the timeout."""


class ChannelBroken(ChannelError):
    """The connection failed: refused, reset, closed mid-answer, or not HTTP."""


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    content: bytes


class Channel(Protocol):
    """What the transport needs of a connection (tests script one; `HttpChannel` is the real one)."""

    def exchange(self, method: str, target: str, content: bytes | None, headers: Mapping[str, str] | None,
                 timeout: float) -> Reply: ...

    def usable(self) -> bool: ...

    def close(self) -> None: ...


class HttpChannel:
    """One connection to `url` (http or https), opened on the first exchange."""

    def __init__(self, url: str, *, ssl_context: ssl.SSLContext | None, connect_timeout: float,
                 headers: Mapping[str, str]) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port
        self._prefix = parts.path.rstrip("/")  # a base path the requests go under, as httpx's base_url
        self._ssl_context = ssl_context if self._https else None
        self._connect_timeout = connect_timeout
        self._headers = {"Accept": "*/*", "Accept-Encoding": "gzip, deflate", **headers}
        self._connection: http.client.HTTPConnection | None = None
        self._closed = False

    def exchange(self, method: str, target: str, content: bytes | None, headers: Mapping[str, str] | None,
                 timeout: float) -> Reply:
        connection = self._open()
        try:
            assert connection.sock is not None
            connection.sock.settimeout(timeout)
            connection.request(method, self._prefix + target, body=content,
                               headers={**self._headers, **headers} if headers else self._headers)
            response = connection.getresponse()
            body = response.read()
        except TimeoutError as exc:  # socket.timeout is TimeoutError
            self.close()
            raise ChannelTimeout(f"no answer within {timeout:g} s") from exc
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            raise ChannelBroken(f"{type(exc).__name__}: {exc}") from exc
        if response.will_close:
            self.close()  # the server ends the connection (and with it the session) after this answer
        return Reply(response.status, _decoded(body, response.getheader("Content-Encoding")))

    def usable(self) -> bool:
        """False once closed, or when the server closed the idle connection (nothing is due from it between
        two exchanges, so a socket ready to read holds the peer's close or garbage: either way not usable)."""
        if self._closed:
            return False
        if self._connection is None or self._connection.sock is None:
            return True  # not opened yet
        if _peer_closed(self._connection.sock):
            self.close()
            return False
        return True

    def close(self) -> None:
        self._closed = True
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _open(self) -> http.client.HTTPConnection:
        if self._closed:
            raise ChannelBroken("the connection is closed")
        if self._connection is not None:
            return self._connection
        if self._https:
            connection: http.client.HTTPConnection = http.client.HTTPSConnection(
                self._host, self._port, timeout=self._connect_timeout, context=self._ssl_context)
        else:
            connection = http.client.HTTPConnection(self._host, self._port, timeout=self._connect_timeout)
        connection.auto_open = 0  # never reconnect silently: a new connection is a new session
        try:
            connection.connect()
        except TimeoutError as exc:
            self.close()
            raise ChannelTimeout(f"no connection within {self._connect_timeout:g} s") from exc
        except OSError as exc:  # refused, unreachable, TLS refused (ssl.SSLError is an OSError)
            self.close()
            raise ChannelBroken(f"connect: {type(exc).__name__}: {exc}") from exc
        if connection.sock is not None:
            connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._connection = connection
        return connection


def unverified_context() -> ssl.SSLContext:
    """TLS without checking the certificate (`MT5_TLS_VERIFY=false`, a test server's self-signed one)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def _decoded(body: bytes, encoding: str | None) -> bytes:
    """The body as sent before a `Content-Encoding` the request accepted (gzip, deflate)."""
    if not encoding or not body:
        return body
    encoding = encoding.strip().lower()
    try:
        if encoding in ("gzip", "x-gzip"):
            return zlib.decompress(body, 16 + zlib.MAX_WBITS)
        if encoding == "deflate":  # zlib-wrapped per the RFC; some servers send it raw
            try:
                return zlib.decompress(body)
            except zlib.error:
                return zlib.decompress(body, -zlib.MAX_WBITS)
    except zlib.error as exc:
        raise ChannelBroken(f"a {encoding} body that does not decompress: {exc}") from exc
    return body


def _peer_closed(sock: socket.socket) -> bool:
    """Whether the server closed the connection (or sent what no request asked for). A socket ready to read
    between exchanges holds the peer's close, except on TLS, where it may hold only the protocol's own records
    (a session ticket sent late): one byte is read without waiting to tell them apart."""
    if not _readable(sock):
        return False
    timeout = sock.gettimeout()
    sock.settimeout(0)
    try:
        sock.recv(1)  # b"": closed; a byte: an answer nobody asked for; either way not usable
    except (ssl.SSLWantReadError, BlockingIOError):
        return False  # TLS records without data: still open
    except OSError:
        return True
    finally:
        sock.settimeout(timeout)
    return True


def _readable(sock: socket.socket) -> bool:
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(0))
    return bool(select.select([sock], [], [], 0)[0])  # Windows (the Manager API's host) has no poll
