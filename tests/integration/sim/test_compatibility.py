"""The compatibility table of docs/simulator.md stays true: what the simulator routes is marked served,
what the gateway calls is served and marked so."""

from __future__ import annotations

import re
from pathlib import Path

from propfirm.sim.webapi.endpoints import ROUTES

REPO = Path(__file__).resolve().parents[3]
HANDSHAKE = {"/api/auth/start", "/api/auth/answer", "/api/quit"}  # served by the server itself


def _table() -> dict[str, tuple[str, str]]:
    text = (REPO / "docs" / "simulator.md").read_text()
    rows = re.findall(r"^\| `(/api/[a-z_/]+)` \| (yes|no) \| (yes|) \|$", text, flags=re.MULTILINE)
    return {path: (served, used) for path, served, used in rows}


def _gateway_calls() -> set[str]:
    found: set[str] = set()
    for source in (REPO / "layers" / "propfirm" / "mt5").rglob("*.py"):
        found |= set(re.findall(r'"(/api/[a-z_/]+)', source.read_text()))
    return found


def test_every_routed_path_is_in_the_table_as_served():
    table = _table()
    served = {path for path, (yes, _) in table.items() if yes == "yes"}
    assert served == set(ROUTES) | HANDSHAKE


def test_the_gateway_calls_only_served_paths_and_the_table_says_which():
    table = _table()
    calls = _gateway_calls()
    assert calls, "the gateway's paths were not found"
    assert calls <= set(ROUTES) | HANDSHAKE
    assert {path for path, (_, used) in table.items() if used == "yes"} == calls
