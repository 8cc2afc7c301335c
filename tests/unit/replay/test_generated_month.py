"""A generated month of trading for a few hundred accounts, replayed end to end through the CLI.

Checks the scripted accounts' decisions (worked out by the generator independently of the engine),
and invariants over everyone: decisions in time order, nothing after a failure, a failing floor
decision has the equity at or under its limit, passes move through the program's phases in order,
and the same file gives the same output twice.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal

import pytest
from propfirm.domain.programs import EXAMPLE_PROGRAMS_DIR, load_example_programs

from .helpers import replay
from .month_generator import generate

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def month(tmp_path_factory):
    generated = generate(accounts=300, days=30, cycle_minutes=60, seed=2026)
    path = tmp_path_factory.mktemp("month") / "events.jsonl"
    path.write_text("\n".join(generated.lines) + "\n")
    status, decisions, err = replay(EXAMPLE_PROGRAMS_DIR, path)
    assert status == 0, err
    return generated, path, decisions


def test_scripted_accounts_get_exactly_the_decisions_worked_out_for_them(month):
    generated, _, decisions = month
    by_login = defaultdict(list)
    for d in decisions:
        by_login[d["login"]].append(d)
    assert len(generated.scripts) == 24
    for login, script in generated.scripts.items():
        got = [
            (
                datetime.fromisoformat(d["time"]),
                d["decision"],
                d["phase"],
                d["reason"],
                Decimal(d["equity"]),
                Decimal(d["limit"]),
            )
            for d in by_login[login]
        ]
        assert got == script.expected, (script.kind, login)


def test_invariants_over_every_account(month):
    generated, _, decisions = month
    programs = load_example_programs()
    times = [datetime.fromisoformat(d["time"]) for d in decisions]
    assert times == sorted(times)
    by_login = defaultdict(list)
    for d in decisions:
        assert set(d) == {"time", "login", "server", "decision", "phase", "reason", "equity", "limit"}
        by_login[d["login"]].append(d)
    kinds = defaultdict(int)
    for login, items in by_login.items():
        program = programs[generated.programs[login]]
        names = [p.name for p in program.phases]
        phase_index = 0
        for i, d in enumerate(items):
            kinds[(d["decision"], d["reason"])] += 1
            assert names.index(d["phase"]) == phase_index
            if d["decision"] == "failed":
                assert i == len(items) - 1, "a failed account takes no further decision"
                if d["reason"] in ("daily_loss", "max_loss"):
                    assert Decimal(d["equity"]) <= Decimal(d["limit"])
            if d["decision"] in ("phase_passed", "funded"):
                assert Decimal(d["equity"]) >= Decimal(d["limit"])
                phase_index += 1
    # the month is eventful enough to mean something
    assert kinds[("failed", "daily_loss")] >= 12
    assert kinds[("phase_passed", "profit_target")] >= 12


def test_the_same_events_give_the_same_decisions(month):
    _, path, decisions = month
    status, again, _ = replay(EXAMPLE_PROGRAMS_DIR, path)
    assert status == 0 and again == decisions
