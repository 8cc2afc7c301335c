"""`propfirm dev --faults SPEC`: the names, the times, and a clear error for anything else."""

from __future__ import annotations

import pytest
from propfirm.local.faults.spec import FaultName, FaultSpecError, PlannedFault, parse_spec, schedule

CONTRACT_NAMES = {
    "duplicate", "reorder", "evaluator-crash", "poller-crash", "redis-flush", "postgres-outage",
    "mt5-restart", "mt5-slow", "mt5-busy", "sqs-outage",
}


def test_the_names_are_the_designs():
    assert {f.value for f in FaultName} == CONTRACT_NAMES


def test_all_names_every_fault_once():
    planned = parse_spec("all")
    assert [p.name.value for p in planned] == [f.value for f in FaultName]
    assert all(p.at is None for p in planned)


def test_names_with_and_without_times():
    planned = parse_spec(" duplicate , postgres-outage@12.5,MT5-BUSY@0")
    assert planned == (
        PlannedFault(FaultName.DUPLICATE),
        PlannedFault(FaultName.POSTGRES_OUTAGE, 12.5),
        PlannedFault(FaultName.MT5_BUSY, 0.0),
    )


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("", "no fault named"),
        ("disk-full", "unknown fault 'disk-full'"),
        ("redis-flush@soon", "seconds after the start"),
        ("redis-flush@-3", "non-negative"),
        ("redis-flush@nan", "non-negative"),
    ],
)
def test_a_bad_spec_says_what_is_wrong(spec: str, says: str):
    with pytest.raises(FaultSpecError, match=says):
        parse_spec(spec)


def test_unset_times_spread_over_the_first_two_thirds_of_the_run():
    timed = schedule(parse_spec("duplicate,reorder,redis-flush@1"), duration=100)
    assert [(p.name.value, p.at) for p in timed] == [("redis-flush", 1.0), ("duplicate", 15.0), ("reorder", 65.0)]


def test_one_fault_comes_once_the_stack_has_settled():
    assert schedule(parse_spec("mt5-slow"), duration=40) == [PlannedFault(FaultName.MT5_SLOW, 6.0)]


def test_without_a_duration_one_fault_every_fifteen_seconds():
    timed = schedule(parse_spec("duplicate,reorder,sqs-outage"), duration=None)
    assert [p.at for p in timed] == [10.0, 25.0, 40.0]
