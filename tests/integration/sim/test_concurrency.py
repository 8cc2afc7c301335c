"""The world may be driven from the test thread while several connections are served."""

from __future__ import annotations

import threading

from propfirm.sim.testing import running_simulator

from tests.integration.sim.conftest import GROUPS, START, login, new_client


def test_parallel_sessions_while_the_world_trades() -> None:
    with running_simulator(accounts=300, seed=9, groups=GROUPS, start=START) as sim:
        failures: list[str] = []
        served: dict[str, int] = {}
        stop = threading.Event()

        def poll(path: str, params: dict) -> None:
            with new_client(sim) as http:
                login(http, sim.manager_login, sim.manager_password)
                served[path] = 0
                while not stop.is_set() or served[path] < 3:
                    served[path] += 1
                    response = http.get(path, params=params)
                    body = response.json()
                    if response.status_code != 200 or body["retcode"] != "0 Done":
                        failures.append(f"{path}: {response.status_code} {body}")
                        return

        pollers = [
            threading.Thread(target=poll, args=("/api/user/account/get_batch", {"group": "*"})),
            threading.Thread(target=poll, args=("/api/position/get_batch", {"group": "challenge\\*"})),
            threading.Thread(
                target=poll, args=("/api/deal/get_batch", {"group": "*", "from": 0, "to": 2**40})
            ),
        ]
        for thread in pollers:
            thread.start()
        trades = 0
        for _ in range(30):
            sim.world.step()
            trades += sim.world.run_traders()
        stop.set()
        for thread in pollers:
            thread.join(timeout=10)
        assert trades > 0
        assert failures == []
        assert len(served) == 3 and min(served.values()) >= 3
        assert sim.server.connections <= 3
