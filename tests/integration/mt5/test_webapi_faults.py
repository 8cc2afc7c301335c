"""The Web API gateway under the simulator's faults: every fault is injected, then recovered from.

Dropped connections, a restart that loses every session, an expired (idle) session,
latency beyond the call timeout, error replies at a rate (MT5 return codes and
HTTP 5xx), dealer requests left queued, and writes whose reply is lost.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
from propfirm.mt5.errors import AuthFailed, ConnectionLost, Timeout, TooFrequent
from propfirm.mt5.models import AccountId, BalanceOperation, DealAction, DealEntry, NewAccount
from propfirm.mt5.webapi import GatewayOptions, WebApiGateway, WebApiTransport
from propfirm.sim.testing import Simulator, running_simulator

from tests.integration.mt5.conftest import GROUPS, SERVER, START, make_webapi

PHASE1, FUNDED = GROUPS


def expected_logins(sim: Simulator) -> set[int]:
    return {a.login for a in sim.world.accounts_in_groups(GROUPS)}


def test_wrong_password_is_auth_failed(sim: Simulator) -> None:
    transport = WebApiTransport(sim.url, sim.manager_login, "Wrong#Pass1", verify=sim.cafile or True)
    with pytest.raises(AuthFailed):
        transport.connect()
    assert transport.handshakes == 0


def test_dropped_connections_are_reconnected_and_reauthenticated(
    sim: Simulator, webapi: WebApiGateway
) -> None:
    assert {s.login for s in webapi.account_states(GROUPS)} == expected_logins(sim)
    for _ in range(3):
        assert sim.faults.drop_connections() >= 1
        assert {s.login for s in webapi.account_states(GROUPS)} == expected_logins(sim)
    assert webapi.transport.handshakes == 4


def test_server_restart_losing_all_sessions(sim: Simulator, webapi: WebApiGateway) -> None:
    webapi.ping()
    sim.restart()
    assert {s.login for s in webapi.account_states(GROUPS)} == expected_logins(sim)
    assert webapi.transport.handshakes == 2


@pytest.fixture(scope="module")
def short_idle_sim() -> Iterator[Simulator]:
    with running_simulator(
        accounts=5, seed=3, tls=True, speed=0, groups=GROUPS, start=START, idle_timeout=0.4
    ) as simulator:
        yield simulator


def test_an_expired_session_is_renewed(short_idle_sim: Simulator) -> None:
    gateway = make_webapi(short_idle_sim)
    gateway.ping()
    time.sleep(0.7)  # the server drops the session after 0.4 s of silence
    assert len(gateway.account_states(GROUPS)) == 5
    assert gateway.transport.handshakes == 2
    gateway.close()


def test_ping_if_idle_keeps_the_session() -> None:
    # the server drops a session after 3 s of silence; the gateway pings when idle for 0.25 s (the limit is
    # far above the interval, so a machine that starves this loop for a second still keeps the session)
    with running_simulator(
        accounts=2, seed=4, tls=True, speed=0, groups=GROUPS, start=START, idle_timeout=3.0
    ) as sim:
        gateway = make_webapi(sim, keepalive_interval=0.25)
        gateway.ping()
        pings = 0
        deadline = time.monotonic() + 6.5
        while time.monotonic() < deadline:
            pings += gateway.ping_if_idle()
            time.sleep(0.05)
        assert 5 <= pings <= 26  # about every 0.25 s, never more often
        assert gateway.transport.handshakes == 1  # the session outlived twice the server's idle limit
        gateway.close()


def test_latency_beyond_the_timeout_raises_timeout_then_recovers(sim: Simulator) -> None:
    gateway = make_webapi(sim, timeout=0.5, max_attempts=2)
    gateway.ping()
    sim.faults.set_latency(1.2)
    started = time.monotonic()
    with pytest.raises(Timeout):
        gateway.account_states(GROUPS)
    assert time.monotonic() - started < 3.0  # every call has its timeout: two attempts, not two replies
    sim.faults.clear()
    time.sleep(1.3)  # the server threads finish their delayed answers
    assert {s.login for s in gateway.account_states(GROUPS)} == expected_logins(sim)
    gateway.close()


def test_small_latency_is_tolerated(sim: Simulator, webapi: WebApiGateway) -> None:
    sim.faults.set_latency(0.02)
    assert {s.login for s in webapi.account_states(GROUPS)} == expected_logins(sim)


def _poll(gateway: WebApiGateway, rounds: int = 3) -> tuple[set[int], set[int], int]:
    """Poll accounts and positions a few times; (logins, tickets, requests sent)."""
    before = gateway.transport.requests
    logins: set[int] = set()
    tickets: set[int] = set()
    for _ in range(rounds):
        logins = {s.login for s in gateway.account_states(GROUPS)}
        tickets = {p.ticket for p in gateway.positions(GROUPS)}
    return logins, tickets, gateway.transport.requests - before


@pytest.mark.parametrize("retcode,http_status", [(9, None), (12, None), (2, None), (11, 503)])
def test_errors_at_a_rate_are_retried_for_reads(
    sim: Simulator, retcode: int, http_status: int | None
) -> None:
    sim.faults.clear()
    gateway = make_webapi(sim, max_attempts=10)
    _poll(gateway, rounds=1)  # connect and fill the caches first
    logins, tickets, clean_requests = _poll(gateway)
    sim.faults.set_error_rate(0.5, retcode=retcode, http_status=http_status)
    faulty_logins, faulty_tickets, faulty_requests = _poll(gateway)
    assert faulty_logins == logins == expected_logins(sim)
    assert faulty_tickets == tickets
    assert faulty_requests > clean_requests  # failures were drawn, and retried
    sim.faults.clear()
    gateway.close()


def test_errors_that_persist_raise_the_typed_error(sim: Simulator) -> None:
    gateway = make_webapi(sim, max_attempts=3)
    gateway.ping()
    sim.faults.set_error_rate(1.0, retcode=12)
    with pytest.raises(TooFrequent):
        gateway.account_states(GROUPS)
    sim.faults.set_error_rate(1.0, retcode=11, http_status=503)
    with pytest.raises(ConnectionLost):
        gateway.positions(GROUPS)
    sim.faults.clear()
    assert gateway.account_states(GROUPS)
    gateway.close()


def _slow_write_gateway(sim: Simulator) -> WebApiGateway:
    """Calls time out after 0.25 s; the server is 0.4 s late once, so a write runs after we gave up."""
    return make_webapi(
        sim,
        timeout=0.25,
        max_attempts=8,
        options=GatewayOptions(readback_delay=0.6, close_result_timeout=0.5),
    )


def test_a_balance_whose_reply_is_lost_is_found_not_repeated(sim: Simulator) -> None:
    login = sim.world.create_account(FUNDED, balance="1000", leverage=100)
    gateway = _slow_write_gateway(sim)
    gateway.ping()  # connected, so the delay hits the balance request itself
    _slow_once(sim, gateway, "/api/trade/balance")
    ticket = gateway.balance_operation(
        BalanceOperation(AccountId(SERVER, login), Decimal("500"), "deposit 77")
    )
    account = sim.world.get_account(login)
    assert account.balance == Decimal("1500")
    deposits = [d for d in account.deals if d.comment == "deposit 77"]
    assert [d.ticket for d in deposits] == [ticket]
    assert gateway.transport.handshakes == 2  # the reply was lost: a new session read the deal back
    gateway.close()


def _slow_once(sim: Simulator, gateway: WebApiGateway, path: str) -> None:
    """Make the server 0.4 s late for the next write to `path` (past the gateway's 0.25 s timeout), and that
    write only: the retries and read-backs after it are answered at once, however loaded the machine."""
    sim.faults.delay_next(path, 0.4)


def test_a_close_whose_reply_is_lost_is_confirmed_by_reading_back(sim: Simulator) -> None:
    login = sim.world.create_account(FUNDED, balance="100000", leverage=100)
    ticket = sim.world.open_position(login, "EURUSD", "buy", "1.00")
    gateway = _slow_write_gateway(sim)
    _slow_once(sim, gateway, "/api/dealer/send_request")
    closed = gateway.close_all_positions(AccountId(SERVER, login))
    assert sim.world.account(login).positions == ()
    assert [(c.ticket, c.confirmed_by) for c in closed] == [(ticket, "readback")]
    outs = [d for d in sim.world.get_account(login).deals if d.entry == DealEntry.OUT]
    assert len(outs) == 1
    assert gateway.transport.handshakes == 2
    gateway.close()


def test_a_create_whose_reply_is_lost_finds_the_account(sim: Simulator) -> None:
    gateway = _slow_write_gateway(sim)
    request = NewAccount(
        group=PHASE1,
        leverage=100,
        initial_balance=Decimal("2000"),
        first_name="Lost",
        last_name="Reply",
        email="lost@example.com",
        client_ref="lost-reply-1",
        password_main="Main#Pass1",
        password_investor="Inv#Pass22",
    )
    _slow_once(sim, gateway, "/api/user/add")
    created = gateway.create_account(request)
    mine = [a for a in sim.world.accounts.values() if a.comment == "lost-reply-1"]
    assert [a.login for a in mine] == [created.login] and created.existed
    assert mine[0].balance == Decimal("2000")
    assert len([d for d in mine[0].deals if d.action == DealAction.BALANCE]) == 1
    gateway.close()


def test_a_queued_close_is_polled_again_never_resent(sim: Simulator, webapi: WebApiGateway) -> None:
    login = sim.world.create_account(FUNDED, balance="100000", leverage=100)
    ticket = sim.world.open_position(login, "EURUSD", "sell", "0.20")
    sent: list[int] = []
    original = webapi._send_close

    def counting(position):  # type: ignore[no-untyped-def]
        sent.append(position.ticket)
        return original(position)

    webapi._send_close = counting  # type: ignore[method-assign]
    sim.faults.hold_dealer_requests()
    with pytest.raises(Timeout):
        webapi.close_all_positions(AccountId(SERVER, login))
    assert sim.world.account(login).positions == (ticket,)
    sim.faults.hold_dealer_requests(False)
    closed = webapi.close_all_positions(AccountId(SERVER, login))
    assert [c.ticket for c in closed] == [ticket] and closed[0].confirmed_by == "result"
    assert sent == [ticket]  # one request, confirmed on the second call
    assert sim.world.account(login).positions == ()


def test_small_pages_give_the_same_answers(sim: Simulator) -> None:
    """Paging at 3 records: account pages by login, positions and deals by group with offset/total."""
    for login in list(sim.world.accounts)[:8]:
        sim.world.open_position(login, "EURUSD", "buy", "0.10")
        sim.world.open_position(login, "USDJPY", "sell", "0.20")
    now = sim.world.now()
    whole = make_webapi(sim)
    paged = make_webapi(sim, options=GatewayOptions(page_size=3))
    since, until = now - timedelta(days=30), now + timedelta(days=1)
    assert sorted(s.login for s in paged.account_states(GROUPS)) == sorted(
        s.login for s in whole.account_states(GROUPS)
    )
    assert sorted(p.ticket for p in paged.positions(GROUPS)) == sorted(
        p.ticket for p in whole.positions(GROUPS)
    )
    deals = [d.ticket for d in paged.deals(GROUPS, since, until)]
    assert sorted(deals) == sorted(d.ticket for d in whole.deals(GROUPS, since, until))
    assert len(deals) == len(set(deals)) > 3 * len(GROUPS)  # several pages per group, nothing twice
    assert paged.transport.requests > whole.transport.requests
    whole.close()
    paged.close()


def test_one_keep_alive_connection_per_session(sim: Simulator) -> None:
    time.sleep(0.2)  # connections closed by earlier tests are gone
    before = sim.server.connections
    gateway = make_webapi(sim)
    for _ in range(5):
        gateway.account_states(GROUPS)
        gateway.positions(GROUPS)
    assert sim.server.connections - before == 1
    assert gateway.transport.handshakes == 1 and gateway.transport.requests > 20
    gateway.close()
