"""How long the tick path went without a clean poll inside a blind interval (`propfirm.live.blind.TickCoverage`)."""

from __future__ import annotations

import pytest
from propfirm.live.blind import TickCoverage


class Wall:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def _polled_at(coverage: TickCoverage, wall: Wall, *stamps: float) -> None:
    for stamp in stamps:
        wall.now = stamp
        coverage.polled()


def test_the_longest_pause_counts_the_interval_s_edges() -> None:
    wall = Wall()
    coverage = TickCoverage(wall)
    _polled_at(coverage, wall, 99.0, 100.5, 101.0, 103.5, 104.0)
    assert coverage.longest_pause(100.0, 105.0) == 2.5  # 101.0 to 103.5
    assert coverage.longest_pause(100.0, 107.0) == 3.0  # the last poll at 104.0 to the interval's end
    assert coverage.longest_pause(95.0, 100.0) == 4.0  # nothing before 99.0: the interval's start counts


def test_no_poll_at_all_is_the_whole_interval() -> None:
    coverage = TickCoverage(Wall())
    assert coverage.longest_pause(10.0, 16.0) == 6.0


def test_a_record_that_no_longer_reaches_the_start_says_nothing() -> None:
    wall = Wall()
    coverage = TickCoverage(wall, keep=4)
    _polled_at(coverage, wall, 10.0, 10.25, 10.5, 10.75, 11.0)  # 10.0 forgotten
    assert coverage.longest_pause(9.0, 11.0) is None
    assert coverage.longest_pause(10.5, 11.0) == pytest.approx(0.25)
