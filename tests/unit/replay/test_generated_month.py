"""A generated month of trading for a few hundred accounts, replayed end to end through the CLI.

Checks the scripted accounts' decisions (worked out by the generator independently of the engine),
and invariants over everyone: decisions in time order, nothing after a failure, a failing floor
decision has the equity at or under its limit, passes move through the program's phases in order,
and the same file gives the same output twice.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from propfirm.domain.programs import EXAMPLE_PROGRAMS_DIR, load_example_programs
from propfirm.sim.replay_month import generate

from .helpers import replay

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def month(tmp_path_factory):
    generated = generate(accounts=300, days=30, cycle_minutes=60, seed=2026, volatility=80000)
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


def test_two_step_accounts_match_an_independent_reckoning_of_their_floors(month):
    """For every randomly trading two-step account that never reaches its target, recompute the
    decision by hand: the day is the Prague calendar date (the month crosses the March DST change),
    the daily floor is the last balance before the day began minus 5,000, the maximum-loss floor
    90,000; the first snapshot with equity at or under the higher floor fails the account, named
    after that floor (max_loss on a tie)."""
    generated, _, decisions = month
    prague = ZoneInfo("Europe/Prague")
    got = defaultdict(list)
    for d in decisions:
        got[d["login"]].append((d["time"], d["decision"], d["reason"], d["equity"], d["limit"]))
    snapshots = defaultdict(list)
    for line in generated.lines:
        event = json.loads(line)
        if event["type"] == "snapshot":
            snapshots[event["login"]].append(event)
    checked = failures = 0
    for login, program in generated.programs.items():
        if program != "two-step-100k" or login in generated.scripts:
            continue
        if any(Decimal(e["balance"]) >= 110000 for e in snapshots[login]):
            continue
        expected = []
        day = datetime(2026, 3, 2, tzinfo=UTC).astimezone(prague).date()
        last_balance = basis = Decimal(100000)
        for event in snapshots[login]:
            t = datetime.fromisoformat(event["time"])
            if t.astimezone(prague).date() != day:
                day = t.astimezone(prague).date()
                basis = last_balance
            last_balance = Decimal(event["balance"])
            equity = Decimal(event["equity"])
            daily, maximum = basis - 5000, Decimal(90000)
            if equity <= max(daily, maximum):
                reason, limit = ("daily_loss", daily) if daily > maximum else ("max_loss", maximum)
                expected.append((t, "failed", reason, equity, limit))
                break
        actual = [(datetime.fromisoformat(a), b, c, Decimal(e), Decimal(f)) for a, b, c, e, f in got[login]]
        assert actual == expected, login
        checked += 1
        failures += bool(expected)
    assert checked >= 30 and failures >= 5, (checked, failures)
