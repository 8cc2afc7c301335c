"""The handshake and the session rules, spoken with a raw httpx client."""

from __future__ import annotations

import ssl
import time

import httpx
import pytest
from propfirm.mt5.auth import password_hash, rand_answer
from propfirm.sim.testing import running_simulator

from tests.integration.sim.conftest import GROUPS, START, code, login, new_client, ok

# the official test vector (reference §1.2)
VECTOR_PASSWORD = "Password1"
VECTOR_CLI_RAND = "4db98fec17aab4dc5a240bdc659e8395"
VECTOR_CLI_RAND_ANSWER = "1732021b1b332f51660b2b315eed3a35"


def test_official_vector_flow_over_https() -> None:
    with running_simulator(
        accounts=0, tls=True, groups=GROUPS, start=START, manager_login=14, manager_password=VECTOR_PASSWORD
    ) as sim:
        assert sim.url.startswith("https://") and sim.cafile
        with httpx.Client(base_url=sim.url, verify=ssl.create_default_context(cafile=sim.cafile)) as http:
            start = http.get(
                "/api/auth/start", params={"version": 484, "agent": "test", "login": 14, "type": "manager"}
            ).json()
            assert start["retcode"] == "0 Done"
            assert len(bytes.fromhex(start["srv_rand"])) == 16 and start["version_access"]
            key = password_hash(VECTOR_PASSWORD)
            assert key.hex() == "904ba8ecb16273d2f0ae9c3b8a023752"
            answer = http.get(
                "/api/auth/answer",
                params={
                    "srv_rand_answer": rand_answer(key, bytes.fromhex(start["srv_rand"])),
                    "cli_rand": VECTOR_CLI_RAND,
                },
            ).json()
            assert answer == {
                "retcode": "0 Done",
                "version_access": answer["version_access"],
                "version_trade": answer["version_trade"],
                "cli_rand_answer": VECTOR_CLI_RAND_ANSWER,
            }
            assert ok(http.get("/api/test/access")) is None


def test_wrong_password_is_refused_and_the_connection_stays_unauthenticated(sim) -> None:
    with new_client(sim) as http:
        assert login(http, sim.manager_login, "Wrong#Pass1")["retcode"] == "3006 Invalid account password"
        assert http.get("/api/user/total").status_code == 403
        # the same connection can still log in properly afterwards
        assert login(http, sim.manager_login, sim.manager_password)["retcode"] == "0 Done"
        assert ok(http.get("/api/user/total")) == {"Total": "0"}


def test_unknown_manager_is_refused(sim) -> None:
    with new_client(sim) as http:
        assert login(http, 4242, sim.manager_password)["retcode"].startswith("3006 ")


def test_answer_without_start_and_bad_start_parameters(sim) -> None:
    with new_client(sim) as http:
        assert (
            code(http.get("/api/auth/answer", params={"srv_rand_answer": "00" * 16, "cli_rand": "00" * 16}))
            == 3
        )
        assert (
            code(
                http.get(
                    "/api/auth/start", params={"version": 100, "agent": "x", "login": 1000, "type": "manager"}
                )
            )
            == 3
        )
        assert (
            code(
                http.get(
                    "/api/auth/start",
                    params={"version": 484, "agent": "a b", "login": 1000, "type": "manager"},
                )
            )
            == 3
        )
        assert (
            code(
                http.get(
                    "/api/auth/start", params={"version": 484, "agent": "x", "login": 1000, "type": "client"}
                )
            )
            == 3
        )


def test_a_new_connection_must_authenticate_again(sim, client) -> None:
    assert ok(client.get("/api/user/total")) == {"Total": "0"}
    with new_client(sim) as other:
        response = other.get("/api/user/total")
        assert response.status_code == 403


def test_answer_after_the_auth_timeout_fails() -> None:
    with (
        running_simulator(accounts=0, groups=GROUPS, start=START, auth_timeout=0.05) as sim,
        new_client(sim) as http,
    ):
        start = http.get(
            "/api/auth/start",
            params={"version": 484, "agent": "t", "login": sim.manager_login, "type": "manager"},
        ).json()
        time.sleep(0.1)
        key = password_hash(sim.manager_password)
        answer = http.get(
            "/api/auth/answer",
            params={
                "srv_rand_answer": rand_answer(key, bytes.fromhex(start["srv_rand"])),
                "cli_rand": "11" * 16,
            },
        )
        assert code(answer) == 9
        assert http.get("/api/user/total").status_code == 403


@pytest.mark.parametrize("tls", [False, True])
def test_session_expires_after_the_idle_limit(tls: bool) -> None:
    with (
        running_simulator(accounts=0, groups=GROUPS, start=START, idle_timeout=1.5, tls=tls) as sim,
        new_client(sim) as http,
    ):
        # the idle limit is well above the pauses between calls, so a loaded machine does not expire it early
        assert login(http, sim.manager_login, sim.manager_password)["retcode"] == "0 Done"
        time.sleep(0.1)
        assert ok(http.get("/api/test/access")) is None  # activity keeps it alive
        time.sleep(0.1)
        assert ok(http.get("/api/test/access")) is None
        time.sleep(2.5)
        # the server closed the idle connection; the client reconnects and finds no session
        try:
            response = http.get("/api/user/total")
        except httpx.TransportError:
            response = http.get("/api/user/total")
        assert response.status_code == 403


def test_quit_ends_the_session(sim, client) -> None:
    assert ok(client.get("/api/quit")) is None
    assert client.get("/api/user/total").status_code == 403


@pytest.mark.parametrize("path", ["/api/user/get_batch", "/api/dealer/send_request", "/api/nowhere"])
def test_unauthenticated_requests_get_403(sim, path) -> None:
    with new_client(sim) as http:
        assert http.post(path, json={}).status_code == 403
