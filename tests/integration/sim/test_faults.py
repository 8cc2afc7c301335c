"""Each injected fault, as a client sees it."""

from __future__ import annotations

import socket
import threading
import time

import httpx
import pytest

from tests.integration.sim.conftest import code, login, ok


def test_latency_delays_every_answer(sim, client) -> None:
    sim.faults.set_latency(0.5)
    began = time.monotonic()
    ok(client.get("/api/test/access"))
    assert time.monotonic() - began >= 0.5
    sim.faults.clear()
    began = time.monotonic()
    ok(client.get("/api/test/access"))
    assert time.monotonic() - began < 0.5


def test_error_rate_answers_the_given_retcode(sim, client) -> None:
    sim.faults.set_error_rate(1.0, retcode=9)
    assert code(client.get("/api/user/total")) == 9
    sim.faults.set_error_rate(0.5, retcode=12)
    codes = [code(client.get("/api/user/total")) for _ in range(40)]
    assert 5 < codes.count(12) < 35 and codes.count(0) == 40 - codes.count(12)
    sim.faults.set_error_rate(1.0, http_status=503)
    assert client.get("/api/user/total").status_code == 503
    sim.faults.clear()
    assert code(client.get("/api/user/total")) == 0


def test_dropped_connections_lose_the_session(sim, client) -> None:
    ok(client.get("/api/test/access"))
    assert sim.faults.drop_connections() == 1
    try:
        response = client.get("/api/user/total")
    except httpx.TransportError:
        response = client.get("/api/user/total")
    assert response.status_code == 403
    assert login(client, sim.manager_login, sim.manager_password)["retcode"] == "0 Done"
    assert code(client.get("/api/user/total")) == 0


def test_restart_loses_sessions_and_keeps_the_world(sim, client) -> None:
    account = sim.world.create_account("challenge\\phase1", balance="5000")
    sim.restart()
    try:
        response = client.get("/api/user/total")
    except httpx.TransportError:
        response = client.get("/api/user/total")
    assert response.status_code == 403
    login(client, sim.manager_login, sim.manager_password)
    assert ok(client.get("/api/user/get", params={"login": account}))["Balance"] == "5000.00"


@pytest.mark.parametrize("rate", [-0.1, 1.5])
def test_bad_fault_settings_are_refused(sim, rate) -> None:
    with pytest.raises(ValueError):
        sim.faults.set_error_rate(rate)


def test_restart_with_downtime_refuses_connections_then_serves_again(sim, client) -> None:
    account = sim.world.create_account("challenge\\phase1", balance="700")
    port = sim.port
    restarted = threading.Event()
    refused: list[bool] = []

    def probe() -> None:
        # knock until the port refuses (the old server stops within a poll interval, then the port is closed
        # for `down_for`) or the restart is over: no time budget of its own, so a busy machine cannot fail it
        while not restarted.is_set():
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    pass
            except ConnectionRefusedError:
                refused.append(True)
                return
            except OSError:
                pass  # a connect timing out while the old server goes away
            time.sleep(0.02)

    prober = threading.Thread(target=probe)
    prober.start()
    sim.restart(down_for=1.5)
    restarted.set()
    prober.join(timeout=30)
    assert not prober.is_alive() and refused == [True]
    assert sim.port == port
    try:
        response = client.get("/api/user/total")
    except httpx.TransportError:
        response = client.get("/api/user/total")
    assert response.status_code == 403
    login(client, sim.manager_login, sim.manager_password)
    assert ok(client.get("/api/user/get", params={"login": account}))["Balance"] == "700.00"
