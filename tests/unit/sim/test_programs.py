"""The simulator's groups come from the program files."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from propfirm.sim.programs import program_groups
from propfirm.sim.testing import build_world

from tests.instants import MONDAY_MORNING

PROGRAM = """
id: sim-test-50k
currency: EUR
account_size: "50000"
leverage: 30
phases:
  - {name: phase1, group: 'simtest\\phase1', profit_target_pct: 8}
  - {name: funded, group: 'simtest\\funded', funded: true}
"""


def test_groups_of_a_program_file(tmp_path: Path) -> None:
    path = tmp_path / "program.yaml"
    path.write_text(PROGRAM)
    specs = program_groups(path)
    assert [s.name for s in specs] == ["simtest\\phase1", "simtest\\funded"]
    assert specs[0].currency == "EUR" and specs[0].leverage == 30 and specs[0].account_size == Decimal(50000)
    world = build_world(4, seed=1, speed=0, programs=path, start=MONDAY_MORNING)
    assert sorted(g.name for g in world.groups.values()) == ["simtest\\funded", "simtest\\phase1"]
    assert all(world.account(login).balance == Decimal(50000) for login in world.accounts)
    assert world.groups["simtest\\phase1"].currency == "EUR"


def test_example_programs_are_the_default() -> None:
    names = {s.name.lower() for s in program_groups()}
    assert "challenge\\phase1" in names and "funded\\standard" in names


def test_a_bad_program_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("id: x\nphases: []\n")
    with pytest.raises(ValueError, match="bad.yaml"):
        program_groups(path)
