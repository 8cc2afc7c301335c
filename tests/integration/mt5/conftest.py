"""Fixtures for the MT5 port's contract tests: a simulator over real HTTPS, gateways to it.

`gateway` is parametrised over the implementations: the Web API gateway talks to
the simulator over HTTPS; the Manager API gateway talks to a contract fake of
the MT5Manager package (tests/integration/mt5/fake_mt5manager.py) backed by
the same simulated world, so both must pass the same assertions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from propfirm.mt5.backoff import Backoff
from propfirm.mt5.port import Mt5Gateway
from propfirm.mt5.webapi import GatewayOptions, WebApiGateway, WebApiTransport
from propfirm.sim.testing import Simulator, running_simulator

GROUPS = ["challenge\\phase1", "funded\\standard"]
START = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # a Monday, before the US DST switch
SERVER = "sim-a"


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with running_simulator(accounts=60, seed=11, tls=True, speed=0, groups=GROUPS, start=START) as simulator:
        yield simulator


def make_webapi(sim: Simulator, **kwargs: object) -> WebApiGateway:
    options = kwargs.pop("options", None) or GatewayOptions(close_result_timeout=0.5)
    transport = WebApiTransport(
        sim.url,
        sim.manager_login,
        sim.manager_password,
        verify=sim.cafile or True,
        timeout=float(kwargs.pop("timeout", 5.0)),  # type: ignore[arg-type]
        max_attempts=int(kwargs.pop("max_attempts", 4)),  # type: ignore[arg-type]
        backoff=Backoff(base=0.01, cap=0.05),
        **kwargs,  # type: ignore[arg-type]
    )
    return WebApiGateway(transport, SERVER, options)


def make_manager(sim: Simulator) -> Mt5Gateway:
    from propfirm.mt5.manager import ManagerApiGateway

    from tests.integration.mt5 import fake_mt5manager

    module = fake_mt5manager.module_for(sim.world, sim.manager_login, sim.manager_password)
    return ManagerApiGateway(
        f"{sim.host}:{sim.port}",
        sim.manager_login,
        sim.manager_password,
        server=SERVER,
        module=module,
        close_result_timeout=0.5,
    )


IMPLEMENTATIONS: dict[str, Callable[[Simulator], Mt5Gateway]] = {
    "webapi": make_webapi,
    "manager": make_manager,
}


@pytest.fixture(params=sorted(IMPLEMENTATIONS))
def gateway(request: pytest.FixtureRequest, sim: Simulator) -> Iterator[Mt5Gateway]:
    sim.faults.clear()
    gw = IMPLEMENTATIONS[request.param](sim)
    gw.connect()
    yield gw
    gw.close()
    sim.faults.clear()


@pytest.fixture
def webapi(sim: Simulator) -> Iterator[WebApiGateway]:
    sim.faults.clear()
    gw = make_webapi(sim)
    gw.connect()
    yield gw
    gw.close()
    sim.faults.clear()
