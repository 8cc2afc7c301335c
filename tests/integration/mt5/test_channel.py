"""The Web API's connection (`propfirm.mt5.webapi.channel.HttpChannel`) against a real HTTP server on this
machine: one connection kept for every exchange, never reopened behind the session's back, a server's close
seen before the next request, timeouts and compressed answers. TLS is exercised by every test that talks to the
simulator (tests/integration/mt5 and sim run it with its certificate)."""

from __future__ import annotations

import gzip
import http.server
import threading
import time
import zlib
from collections.abc import Iterator

import pytest
from propfirm.mt5.webapi.channel import ChannelBroken, ChannelTimeout, HttpChannel


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    connections: set[tuple[str, int]]
    seen: list[tuple[str, str, bytes, dict[str, str]]]

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.connections.add(self.client_address)
        self.seen.append((self.command, self.path, body, dict(self.headers)))
        content, extra = b'{"retcode":"0 Done"}', {}
        if self.path.startswith("/slow"):
            time.sleep(0.6)
        if self.path.startswith("/gzip"):
            content, extra = gzip.compress(content), {"Content-Encoding": "gzip"}
        if self.path.startswith("/deflate"):
            content, extra = zlib.compress(content), {"Content-Encoding": "deflate"}
        if self.path.startswith("/close"):
            extra["Connection"] = "close"
        self.send_response(200)
        self.send_header("Content-Length", str(len(content)))
        for name, value in extra.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(content)
        if self.path.startswith(("/close", "/hangup")):
            self.close_connection = True  # /hangup: closed without saying so, as an idle timeout does

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, type[_Handler]]]:
    handler = type("Handler", (_Handler,), {"connections": set(), "seen": []})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", handler
    finally:
        httpd.shutdown()
        httpd.server_close()


def channel_to(url: str) -> HttpChannel:
    return HttpChannel(url, ssl_context=None, connect_timeout=2.0, headers={"User-Agent": "test"})


def test_every_exchange_goes_over_one_connection(server) -> None:
    url, handler = server
    channel = channel_to(url)
    for n in range(5):
        reply = channel.exchange("GET", f"/api/user/total?n={n}", None, None, 2.0)
        assert (reply.status, reply.content) == (200, b'{"retcode":"0 Done"}')
    reply = channel.exchange("POST", "/api/user/add", b'{"Group":"x"}', {"Content-Type": "application/json"}, 2.0)
    assert reply.status == 200 and channel.usable()
    assert len(handler.connections) == 1
    method, path, body, headers = handler.seen[-1]
    assert (method, path, body) == ("POST", "/api/user/add", b'{"Group":"x"}')
    assert headers["Content-Type"] == "application/json" and headers["User-Agent"] == "test"


def test_a_base_path_prefixes_every_request(server) -> None:
    url, handler = server
    channel_to(url + "/mt5/").exchange("GET", "/api/test/access", None, None, 2.0)
    assert handler.seen[-1][1] == "/mt5/api/test/access"


def test_a_reply_that_ends_the_connection_ends_the_channel(server) -> None:
    url, handler = server
    channel = channel_to(url)
    assert channel.exchange("GET", "/close", None, None, 2.0).status == 200
    assert not channel.usable()
    with pytest.raises(ChannelBroken):  # never a second connection behind the session's back
        channel.exchange("GET", "/api/user/total", None, None, 2.0)
    assert len(handler.connections) == 1


def test_a_connection_the_server_closed_while_idle_is_seen_before_a_request(server) -> None:
    url, handler = server
    channel = channel_to(url)
    channel.exchange("GET", "/hangup", None, None, 2.0)
    deadline = time.monotonic() + 5
    while channel.usable() and time.monotonic() < deadline:
        time.sleep(0.01)  # the server's close reaches this side
    assert not channel.usable()
    assert [path for _, path, _, _ in handler.seen] == ["/hangup"]


def test_a_late_answer_is_a_timeout_and_closes_the_connection(server) -> None:
    url, _ = server
    channel = channel_to(url)
    with pytest.raises(ChannelTimeout):
        channel.exchange("GET", "/slow", None, None, 0.2)
    assert not channel.usable()  # its answer would have been paired with the next request


def test_compressed_answers_are_read_as_sent(server) -> None:
    url, handler = server
    channel = channel_to(url)
    assert channel.exchange("GET", "/gzip", None, None, 2.0).content == b'{"retcode":"0 Done"}'
    assert channel.exchange("GET", "/deflate", None, None, 2.0).content == b'{"retcode":"0 Done"}'
    assert handler.seen[-1][3]["Accept-Encoding"] == "gzip, deflate"


def test_no_server_is_a_broken_channel() -> None:
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ChannelBroken):
        channel_to(f"http://127.0.0.1:{port}").exchange("GET", "/api/test/access", None, None, 1.0)


def test_over_tls_one_session_lasts_and_an_idle_close_is_a_new_session_not_an_error() -> None:
    """Through the transport, against the simulator's TLS: reads keep one connection and one session (nothing
    TLS sends between answers passes for a close), and a connection the server closed for idleness is
    replaced before the next request, which succeeds."""
    from propfirm.mt5.webapi.transport import WebApiTransport
    from propfirm.sim.testing import running_simulator

    from tests.instants import MONDAY_MORNING

    with running_simulator(accounts=3, tls=True, idle_timeout=1.0, start=MONDAY_MORNING) as sim:
        transport = WebApiTransport(sim.url, sim.manager_login, sim.manager_password, verify=sim.cafile or True)
        for _ in range(4):
            transport.read("/api/user/total")
            time.sleep(0.05)
        assert (transport.handshakes, transport.reconnects) == (1, 0)
        time.sleep(2.0)  # past the server's idle limit: it closes the connection
        transport.read("/api/user/total")
        assert (transport.handshakes, transport.reconnects) == (2, 1)
        transport.close()
