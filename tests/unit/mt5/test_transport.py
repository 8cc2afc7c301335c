"""The Web API transport's protocol rules against a scripted HTTP peer (httpx requests and responses, handed
over by `ScriptedChannel` in place of the real connection).

The full behaviour against a real server is in tests/integration/mt5; these pin
down the rules that a well-behaved simulator cannot provoke: a server that does
not prove it knows the password, a 403 on a live connection, malformed replies.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from urllib.parse import urlencode

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from propfirm.mt5.auth import parse_rand, password_hash, rand_answer
from propfirm.mt5.backoff import Backoff
from propfirm.mt5.errors import AuthFailed, ConnectionLost, NoPermission, NotFound, ServerError, Timeout
from propfirm.mt5.webapi.channel import ChannelBroken, ChannelTimeout, Reply
from propfirm.mt5.webapi.transport import WebApiTransport, escape_value, form_query

PASSWORD = "Password1"
SRV_RAND = "73007dc7184747ce0f7c98516ef1c851"


class Peer:
    """A scripted access server: handshake per the reference, then `routes[path](request)`."""

    def __init__(self, password: str = PASSWORD, lie: bool = False) -> None:
        self.hash = password_hash(password)
        self.lie = lie
        self.authenticated = False
        self.log: list[httpx.Request] = []
        self.routes: dict[str, Callable[[httpx.Request], httpx.Response]] = {}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.log.append(request)
        path, params = request.url.path, request.url.params
        if path == "/api/auth/start":
            return httpx.Response(200, json={"retcode": "0 Done", "srv_rand": SRV_RAND})
        if path == "/api/auth/answer":
            if params["srv_rand_answer"] != rand_answer(self.hash, parse_rand(SRV_RAND)):
                return httpx.Response(200, json={"retcode": "3006 Invalid account password"})
            answer = rand_answer(self.hash, parse_rand(params["cli_rand"]))
            self.authenticated = True
            return httpx.Response(
                200, json={"retcode": "0 Done", "cli_rand_answer": "0" * 32 if self.lie else answer}
            )
        if not self.authenticated:
            return httpx.Response(403, json={"retcode": "8 Not enough permissions"})
        return self.routes.get(path, lambda r: httpx.Response(200, json={"retcode": "0 Done"}))(request)


class ScriptedChannel:
    """One connection to a scripted peer: each exchange an httpx.Request to `handler`, read back as the real
    channel reads a reply; httpx's timeout and transport errors become the channel's."""

    opened = 0

    def __init__(self, handler: Callable[[httpx.Request], httpx.Response]) -> None:
        self.handler = handler
        self.open = True
        ScriptedChannel.opened += 1

    def exchange(self, method: str, target: str, content: bytes | None, headers: dict[str, str] | None,
                 timeout: float) -> Reply:
        assert self.open, "an exchange on a closed channel"
        request = httpx.Request(method, "https://mt5.test" + target, content=content, headers=headers)
        try:
            response = self.handler(request)
        except httpx.TimeoutException as exc:
            self.open = False
            raise ChannelTimeout(str(exc)) from exc
        except httpx.TransportError as exc:
            self.open = False
            raise ChannelBroken(str(exc)) from exc
        return Reply(response.status_code, response.read())

    def usable(self) -> bool:
        return self.open

    def close(self) -> None:
        self.open = False


def scripted(handler: Callable[[httpx.Request], httpx.Response]) -> Callable[[], ScriptedChannel]:
    return lambda: ScriptedChannel(handler)


def transport_for(peer: Peer, password: str = PASSWORD) -> WebApiTransport:
    return WebApiTransport(
        "https://mt5.test",
        1000,
        password,
        open_channel=scripted(peer),
        backoff=Backoff(base=0.001, cap=0.002),
        max_attempts=3,
    )


def test_handshake_sends_the_documented_answers() -> None:
    peer = Peer()
    transport = transport_for(peer)
    transport.connect()
    start, answer = peer.log[0].url.params, peer.log[1].url.params
    assert (start["login"], start["type"], int(start["version"]) >= 484) == ("1000", "manager", True)
    assert answer["srv_rand_answer"] == "77fe51827f7fa69dd80fbec9aa33f1bb"  # the official vector
    assert len(bytes.fromhex(answer["cli_rand"])) == 16
    assert transport.handshakes == 1


def test_a_server_that_cannot_prove_the_password_is_refused() -> None:
    transport = transport_for(Peer(lie=True))
    with pytest.raises(AuthFailed, match="cli_rand_answer"):
        transport.connect()
    assert not transport.connected


def test_a_wrong_password_is_auth_failed_and_not_retried() -> None:
    peer = Peer()
    with pytest.raises(AuthFailed):
        transport_for(peer, password="Other#1").connect()
    assert [r.url.path for r in peer.log] == ["/api/auth/start", "/api/auth/answer"]


def test_403_on_a_live_session_reauthenticates_once() -> None:
    peer = Peer()
    transport = transport_for(peer)
    transport.connect()
    peer.authenticated = False  # the server forgot the session
    assert transport.read("/api/user/total") is None
    assert transport.handshakes == 2

    peer.routes["/api/user/add"] = lambda r: httpx.Response(403, json={"retcode": "8 Not enough permissions"})
    with pytest.raises(NoPermission):
        transport.write("/api/user/add", None, {"Group": "x"})


def test_answers_parse_numbers_as_decimal_and_errors_by_number() -> None:
    peer = Peer()
    peer.routes["/api/user/get"] = lambda r: httpx.Response(
        200, content=b'{"retcode":"0 Done","answer":{"Balance":26000.10,"Login":"5"}}'
    )
    peer.routes["/api/user/delete"] = lambda r: httpx.Response(200, json={"retcode": "13 Not found"})
    transport = transport_for(peer)
    assert transport.read("/api/user/get", {"login": 5}) == {"Balance": Decimal("26000.10"), "Login": "5"}
    with pytest.raises(NotFound) as info:
        transport.write("/api/user/delete", {"login": 5})
    assert info.value.retcode == 13


def test_malformed_and_5xx_replies_are_server_errors_retried_for_reads() -> None:
    peer = Peer()
    calls = []

    def flaky(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return (
            httpx.Response(503)
            if len(calls) < 3
            else httpx.Response(200, json={"retcode": "0 Done", "answer": 1})
        )

    peer.routes["/api/user/total"] = flaky
    peer.routes["/api/user/logins"] = lambda r: httpx.Response(200, content=b"<html>")
    transport = transport_for(peer)
    assert transport.read("/api/user/total") == 1 and len(calls) == 3
    with pytest.raises(ServerError):
        transport.read("/api/user/logins")


def test_parameters_are_escaped_and_bodies_are_json() -> None:
    peer = Peer()
    transport = transport_for(peer)
    transport.write("/api/user/update", {"group": "demo\\a=b|c"}, {"Balance": Decimal("1.10")})
    request = peer.log[-1]
    assert request.url.params["group"] == "demo\\\\a\\=b\\|c"
    assert json.loads(request.content) == {"Balance": "1.10"}
    assert escape_value("plain") == "plain"


def test_ping_if_idle_waits_for_the_interval() -> None:
    now = [0.0]
    peer = Peer()
    transport = WebApiTransport(
        "https://mt5.test",
        1000,
        PASSWORD,
        open_channel=scripted(peer),
        keepalive_interval=20.0,
        clock=lambda: now[0],
    )
    assert not transport.ping_if_idle()  # not connected: nothing to keep alive
    transport.connect()
    now[0] = 19.0
    assert not transport.ping_if_idle()
    now[0] = 40.5
    assert transport.ping_if_idle()
    assert [r.url.path for r in peer.log][-1] == "/api/test/access"


def test_a_write_is_retried_while_nothing_has_been_sent() -> None:
    peer = Peer()
    failures = [1]

    def refuse_connect(request: httpx.Request) -> httpx.Response:
        if failures and request.url.path == "/api/auth/start":
            failures.pop()
            raise httpx.ConnectError("refused")
        return peer(request)

    transport = WebApiTransport(
        "https://mt5.test",
        1000,
        PASSWORD,
        open_channel=scripted(refuse_connect),
        backoff=Backoff(base=0.001, cap=0.002),
        max_attempts=3,
    )
    transport.write("/api/trade/balance", {"login": 5})
    assert [r.url.path for r in peer.log] == ["/api/auth/start", "/api/auth/answer", "/api/trade/balance"]


def test_a_write_whose_reply_is_lost_is_not_repeated() -> None:
    peer = Peer()

    def drop(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadError("connection reset")

    peer.routes["/api/trade/balance"] = drop
    transport = transport_for(peer)
    with pytest.raises(ConnectionLost):
        transport.write("/api/trade/balance", {"login": 5})
    assert [r.url.path for r in peer.log].count("/api/trade/balance") == 1


def test_the_query_is_form_encoded_as_before() -> None:
    """The bytes on the wire are httpx's form encoding (what MT5 servers were read with): a comma, a backslash
    and a space of a value escaped the same way."""
    peer = Peer()
    transport = transport_for(peer)
    transport.read("/api/user/account/get_batch", {"login": "5001,5002", "group": "real\\a b"})
    assert peer.log[-1].url.query == b"login=5001%2C5002&group=real%5C%5Ca+b"


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=8),
                       st.one_of(st.text(max_size=40), st.text(alphabet="0123456789,", max_size=40)), max_size=4))
def test_the_query_reads_as_urlencode_writes_it(query: dict[str, str]) -> None:
    assert form_query(query) == urlencode(query)


def test_a_timeout_drops_the_connection_and_a_read_tries_again_on_a_new_session() -> None:
    peer = Peer()
    slow = [1]

    def late(request: httpx.Request) -> httpx.Response:
        if slow:
            slow.pop()
            raise httpx.ReadTimeout("late")
        return httpx.Response(200, json={"retcode": "0 Done", "answer": 7})

    peer.routes["/api/user/total"] = late
    transport = transport_for(peer)
    transport.connect()
    assert transport.read("/api/user/total") == 7
    assert transport.handshakes == 2  # the late answer could pair with the next request: a new connection

    def never(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("late")

    peer.routes["/api/trade/balance"] = never
    with pytest.raises(Timeout):
        transport.write("/api/trade/balance", {"login": 5})
    assert [r.url.path for r in peer.log].count("/api/trade/balance") == 1


def test_a_connection_closed_while_idle_is_replaced_before_the_request_is_sent() -> None:
    peer = Peer()
    transport = transport_for(peer)
    transport.connect()
    opened = ScriptedChannel.opened
    transport._client.close()  # type: ignore[union-attr]  # the server closed the idle connection
    transport.write("/api/trade/balance", {"login": 5})
    assert ScriptedChannel.opened == opened + 1 and transport.reconnects == 1
    assert [r.url.path for r in peer.log][-3:] == ["/api/auth/start", "/api/auth/answer", "/api/trade/balance"]
