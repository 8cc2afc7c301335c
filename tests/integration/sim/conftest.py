"""Fixtures for the simulator's Web API tests: a running simulator and raw httpx sessions.

The clients here are plain httpx, not the gateway: the simulator must serve any
correct Web API client, so its tests speak the documented protocol themselves.
"""

from __future__ import annotations

import secrets
import ssl
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from propfirm.mt5.auth import password_hash, rand_answer
from propfirm.sim.testing import Simulator, running_simulator

# Monday 2 March 2026, 10:00 UTC (12:00 server time, GMT+2 before US DST starts on 8 March)
START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
GROUPS = ["challenge\\phase1", "challenge\\phase2", "funded\\standard"]


def login(client: httpx.Client, manager_login: int, password: str) -> dict[str, Any]:
    """The documented two-step handshake on this client's connection; returns the answer step's JSON."""
    start = client.get(
        "/api/auth/start",
        params={"version": 4755, "agent": "sim-tests", "login": manager_login, "type": "manager"},
    )
    start.raise_for_status()
    srv_rand = bytes.fromhex(start.json()["srv_rand"])
    cli_rand = secrets.token_bytes(16)
    key = password_hash(password)
    answer = client.get(
        "/api/auth/answer", params={"srv_rand_answer": rand_answer(key, srv_rand), "cli_rand": cli_rand.hex()}
    )
    answer.raise_for_status()
    body = answer.json()
    if body["retcode"].startswith("0 "):
        assert body["cli_rand_answer"] == rand_answer(key, cli_rand)
    return body


def new_client(sim: Simulator) -> httpx.Client:
    # one connection per client, as the official examples do: the session is the connection
    verify = ssl.create_default_context(cafile=sim.cafile) if sim.cafile else False
    return httpx.Client(
        base_url=sim.url,
        verify=verify,
        timeout=10,
        limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
    )


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with running_simulator(accounts=0, seed=7, tls=False, speed=0, groups=GROUPS, start=START) as running:
        yield running


@pytest.fixture
def client(sim: Simulator) -> Iterator[httpx.Client]:
    with new_client(sim) as http:
        assert login(http, sim.manager_login, sim.manager_password)["retcode"] == "0 Done"
        yield http


def ok(response: httpx.Response) -> Any:
    """The `answer` of a successful call (asserting HTTP 200 and retcode 0)."""
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["retcode"] == "0 Done", body
    return body.get("answer")


def code(response: httpx.Response) -> int:
    assert response.status_code == 200, response.text
    return int(response.json()["retcode"].split(" ", 1)[0])


def all_strings(record: Any) -> bool:
    """Every scalar of an MT5 record is a JSON string (numbers as strings, as documented)."""
    if isinstance(record, dict):
        return all(all_strings(v) for v in record.values())
    if isinstance(record, list):
        return all(all_strings(v) for v in record)
    return isinstance(record, str)
