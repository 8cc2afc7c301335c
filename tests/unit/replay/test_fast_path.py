"""The replay's fast path (typed decoding) against its precise path (the format's rules field by field).

The precise path is the specification: with the fast decoder switched off every line goes through it. Both
must give the same decisions and, for a bad line, the same error; and the common lines must never need the
precise path (else the fast one is not fast)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from propfirm.domain.programs import load_example_programs
from propfirm.replay import Replay, ReplayError, decision_line
from propfirm.sim.replay_month import generate

PROGRAMS = load_example_programs()
START = {"type": "start", "time": "2026-03-02T08:00:00+00:00", "login": 5001, "program": "two-step-100k"}
SNAPSHOT = {
    "type": "snapshot", "time": "2026-03-02T09:00:00+00:00", "login": 5001, "balance": "100000.00",
    "equity": "99000.00", "positions": [{"symbol": "EURUSD", "volume": "1.5", "type": "buy", "profit": "-1000",
                                         "value": "160000.00"}],
}
DEAL = {
    "type": "deal", "time": "2026-03-02T10:00:00+00:00", "login": 5001, "deal": 7, "entry": "out",
    "symbol": "EURUSD", "volume": "1.5", "profit": "-6200.00", "commission": "-5.25", "swap": "0.00",
    "position": 3, "value": "159000.00",
}
BALANCE = {"type": "balance", "time": "2026-03-02T11:00:00+00:00", "login": 5001, "amount": "500.00",
           "comment": "deposit"}
AFTER = {"type": "snapshot", "time": "2026-03-02T12:00:00+00:00", "login": 5001, "balance": "94294.75",
         "equity": "94294.75", "positions": []}
TEMPLATE = [START, SNAPSHOT, DEAL, BALANCE, AFTER]


def _outcome(lines: list[bytes], fast: bool = True) -> tuple[list[bytes], str | None]:
    decisions: list[bytes] = []
    try:
        Replay(PROGRAMS, fast=fast).feed(lines, "events.jsonl",
                                         lambda d, digits: decisions.append(decision_line(d, digits)))
    except ReplayError as exc:
        return decisions, str(exc)
    return decisions, None


def _both(lines: list[bytes]) -> tuple[tuple[list[bytes], str | None], tuple[list[bytes], str | None]]:
    return _outcome(lines), _outcome(lines, fast=False)


@pytest.mark.slow
def test_a_generated_month_gives_the_same_decisions_both_ways_and_never_needs_the_precise_path(monkeypatch):
    lines = [line.encode() for line in generate(accounts=60, days=20, cycle_minutes=30, seed=5, volatility=80000).lines]
    fast, precise = _both(lines)
    assert fast == precise and fast[1] is None and len(fast[0]) > 10
    calls = []
    monkeypatch.setattr(Replay, "_precise", lambda self, raw, emit: calls.append(raw))
    _outcome(lines)
    assert calls == []


# what a field may be set to: the format's edge cases and its errors
ODD_VALUES = st.sampled_from([
    None, "", "0", "-0", "1e3", "NaN", "Infinity", "-1", "abc", " 5", 0, 1, -1, 1.5, 10**30, True, [], {},
    "2026-03-02T09:30:00+00:00", "2026-03-02T09:30:00", "2026-03-02T09:30:00+02:00", "buy", "sell", "in", "out",
    "inout", "out_by", "snapshot", "deal", "balance", "start", "two-step-100k", "default",
])
_MISSING = object()


@settings(max_examples=1000, deadline=None)
@given(
    line=st.integers(min_value=0, max_value=len(TEMPLATE) - 1),
    field=st.sampled_from(["type", "time", "login", "server", "balance", "equity", "positions", "deal", "entry",
                           "symbol", "volume", "profit", "commission", "swap", "position", "value", "amount",
                           "comment", "program", "extra"]),
    value=st.one_of(ODD_VALUES, st.just(_MISSING)),
    in_position=st.booleans(),
)
def test_any_changed_field_gives_the_same_decisions_and_the_same_error_both_ways(line, field, value, in_position):
    events: list[dict[str, Any]] = json.loads(json.dumps(TEMPLATE))
    target = events[line]
    if in_position and target.get("positions"):
        target = target["positions"][0]
    if value is _MISSING:
        target.pop(field, None)
    else:
        target[field] = value
    lines = [json.dumps(e, separators=(",", ":")).encode() for e in events]
    fast, precise = _both(lines)
    assert fast == precise


@pytest.mark.parametrize(("line", "field", "value", "reason"), [
    (2, "entry", [], "entry must be"),  # once a TypeError (a list is not hashable) instead of the line's error
    (0, "login", 10**30, "login must be an integer, got 1e+30"),  # an integer the JSON reader gives as a float
    (1, "balance", 100000, "balance must be a decimal string (money is never a JSON number)"),
    (4, "time", "2026-03-02T07:00:00+00:00", "events out of time order"),
])
def test_found_by_the_comparison(line, field, value, reason):
    events: list[dict[str, Any]] = json.loads(json.dumps(TEMPLATE))
    events[line][field] = value
    fast, precise = _both([json.dumps(e).encode() for e in events])
    assert fast == precise and precise[1] is not None and reason in precise[1], precise
