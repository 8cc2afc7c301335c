"""Crossing a day boundary and a weekend with the clock, over HTTP; and the `propfirm sim` command."""

from __future__ import annotations

import os
import re
import signal
import ssl
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import httpx

from tests.integration.sim.conftest import login, ok

ROOT = Path(__file__).resolve().parents[3]


def test_day_boundary_charges_swap_and_snapshots_over_http(sim, client) -> None:
    world = sim.world
    account = world.create_account("challenge\\phase1", balance="100000")
    world.set_price("EURUSD", "1.10000")
    world.open_position(account, "EURUSD", "sell", "1")  # swap short +2.10 per night
    before = ok(client.get("/api/user/get", params={"login": account}))
    assert before["EquityPrevDay"] == "100000.00"
    world.clock.advance(timedelta(hours=12, minutes=1))  # past 00:00 server time, Monday night
    position = ok(client.get("/api/position/get_batch", params={"login": account}))[0]
    assert position["Storage"] == "2.10"
    user = ok(client.get("/api/user/get", params={"login": account}))
    assert user["BalancePrevDay"] == "99996.50"
    assert (
        user["EquityPrevDay"] == ok(client.get("/api/user/account/get", params={"login": account}))["Equity"]
    )
    world.clock.advance(timedelta(days=5))  # over the weekend: Tue, Wed (x3), Thu, Fri nights
    position = ok(client.get("/api/position/get_batch", params={"login": account}))[0]
    assert position["Storage"] == "14.70"  # 7 nights of +2.10
    assert int(position["TimeUpdate"]) > int(position["TimeCreate"])


def test_the_command_serves_until_sigterm(tmp_path: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "propfirm.cli",
        "sim",
        "--port",
        "0",
        "--accounts",
        "30",
        "--seed",
        "5",
        "--speed",
        "600",
        "--cert-dir",
        str(tmp_path),
        "--manager-password",
        "Sim#Pass123",
        "--start",
        "2026-01-05T09:00:00Z",  # a Monday; 11:00 on the server's GMT+2 clock
        "--sessions",
        "--netting",
        "*\\futures",
    ]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        line = process.stdout.readline()
        match = re.search(r"at (https://127\.0\.0\.1:\d+) manager login 1000 cert (\S+)", line)
        assert match, line
        url, cert = match.groups()
        assert Path(cert) == tmp_path / "cert.pem"
        with httpx.Client(base_url=url, verify=ssl.create_default_context(cafile=cert)) as http:
            assert login(http, 1000, "Sim#Pass123")["retcode"] == "0 Done"
            assert ok(http.get("/api/user/total")) == {"Total": "30"}
            logins = ok(http.get("/api/user/logins", params={"group": "*"}))
            assert len(logins) == 30
            server_time = ok(http.get("/api/time/server"))["Time"]
            assert server_time.split(" ", 1)[1].startswith("2026.01.05 1"), server_time  # --start, not today
            futures = ok(http.get("/api/group/get", params={"group": "challenge\\futures"}))
            phase1 = ok(http.get("/api/group/get", params={"group": "challenge\\phase1"}))
            assert (futures["MarginMode"], phase1["MarginMode"]) == ("0", "2")  # --netting
            ger40 = ok(http.get("/api/symbol/get", params={"symbol": "GER40"}))
            assert ger40["SessionsTrades"][0] == [] and ger40["SessionsTrades"][1][0]["Open"] == "195"  # --sessions
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_the_command_refuses_a_start_without_an_offset() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "propfirm.cli", "sim", "--start", "2026-01-05T09:00:00"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 2
    assert "has no offset" in done.stderr and done.stdout == ""
