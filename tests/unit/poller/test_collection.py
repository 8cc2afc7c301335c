"""The full garbage collections paced by the poller: off the allocation rule while installed, run when due."""

from __future__ import annotations

import gc

import pytest
from propfirm.poller.collection import NEVER, CollectionPacer


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def python_rule_back_after_each_test():
    before = gc.get_threshold()
    yield
    gc.set_threshold(*before)


def test_installed_no_full_collection_is_automatic_and_closing_restores_pythons_rule() -> None:
    before = gc.get_threshold()
    pacer = CollectionPacer(60, Clock())
    pacer.install()
    pacer.install()  # idempotent
    assert gc.get_threshold() == (before[0], before[1], NEVER)
    pacer.close()
    pacer.close()  # idempotent
    assert gc.get_threshold() == before


def test_the_rule_comes_back_when_the_last_of_several_pacers_closes() -> None:
    before = gc.get_threshold()
    first, second = CollectionPacer(60, Clock()), CollectionPacer(30, Clock())
    first.install()
    second.install()
    first.close()
    assert gc.get_threshold()[2] == NEVER  # the second poller's cycles still run under its pacing
    second.close()
    assert gc.get_threshold() == before


def test_a_full_collection_runs_after_a_cycle_once_due_and_not_before() -> None:
    clock, collected = Clock(), []
    pacer = CollectionPacer(60, clock, collect=lambda: collected.append(clock.now) or 0)
    assert pacer.after_cycle() is None  # not installed: Python's own rule collects
    pacer.install()
    clock.now += 59
    assert pacer.after_cycle() is None and collected == []
    clock.now += 1
    paused = pacer.after_cycle()
    assert paused is not None and paused >= 0 and collected == [1060.0]
    clock.now += 30
    assert pacer.after_cycle() is None  # the next one 60 s after this one
    clock.now += 30
    assert pacer.after_cycle() is not None and collected == [1060.0, 1120.0]
    pacer.close()


def test_a_real_collection_frees_cyclic_garbage() -> None:
    pacer = CollectionPacer(1, Clock())
    pacer.install()
    pacer.clock.now += 5  # type: ignore[attr-defined]

    class Node:
        pass

    gc.collect()
    a, b = Node(), Node()
    a.other, b.other = b, a  # type: ignore[attr-defined]
    del a, b
    assert any(type(o) is Node for o in gc.get_objects())
    assert pacer.after_cycle() is not None
    assert not any(type(o) is Node for o in gc.get_objects())
    pacer.close()


def test_a_pacer_needs_a_period() -> None:
    with pytest.raises(ValueError):
        CollectionPacer(0)
