"""Blind intervals: a gap between two good cycles with a failed cycle in it, or longer than three cycles,
is recorded in Redis, with the failed cycles and the first error; a short gap of good cycles is not; a
restart's gap counts from the last heartbeat; one that cannot be written (Redis away) goes out with the
next."""

from __future__ import annotations

import redis as redis_lib
from propfirm.live.blind import BlindIntervals, blind_after, recent
from propfirm.live.keys import LiveKeys


class Wall:
    def __init__(self, now: float = 1_767_600_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_the_threshold_is_three_cycles_or_two_seconds_more_than_one():
    assert blind_after(2.0) == 6.0
    assert blind_after(0.5) == 2.5


def test_a_gap_with_failed_cycles_is_recorded_newest_first(redis_client, redis_namespace):
    key = LiveKeys(redis_namespace).blind("srv")
    wall = Wall()
    blind = BlindIntervals(redis_client, key, 1.0, wall=wall)
    assert blind.cycle_done() is None  # the first good cycle opens nothing
    wall.now += 1.0
    assert blind.cycle_done() is None  # one cycle later: not blind
    blind.cycle_failed(ConnectionRefusedError("MT5 refused"))
    blind.cycle_failed(TimeoutError("late"))
    wall.now += 7.5
    closed = blind.cycle_done()
    assert closed is not None and closed["seconds"] == 7.5 and closed["failed_cycles"] == 2
    assert closed["cause"] == "ConnectionRefusedError: MT5 refused"
    wall.now += 4.0  # a slow cycle alone is blind too
    assert blind.cycle_done()["cause"] == "slow cycle"  # type: ignore[index]
    blind.cycle_failed(OSError("one failed cycle"))
    wall.now += 1.5  # short, but a cycle failed in it: blind
    assert blind.cycle_done()["failed_cycles"] == 1  # type: ignore[index]
    assert [i["seconds"] for i in recent(redis_client, key)] == [1.5, 4.0, 7.5]


def test_a_restart_counts_from_the_last_heartbeat(redis_client, redis_namespace):
    key = LiveKeys(redis_namespace).blind("srv")
    wall = Wall()
    blind = BlindIntervals(redis_client, key, 1.0, wall=wall)
    blind.resume_after(wall.now - 12.0)
    closed = blind.cycle_done()
    assert closed is not None and closed["seconds"] == 12.0 and closed["cause"] == "poller restarted"


def test_an_interval_redis_refused_goes_out_with_the_next(redis_client, redis_namespace):
    key = LiveKeys(redis_namespace).blind("srv")
    wall = Wall()
    away = redis_lib.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)  # nothing listens there
    blind = BlindIntervals(away, key, 1.0, wall=wall)
    blind.cycle_done()
    wall.now += 5
    blind.cycle_done()
    assert len(blind.pending) == 1 and recent(redis_client, key) == []
    blind.client = redis_client  # Redis back
    wall.now += 6
    blind.cycle_done()
    assert blind.pending == [] and [i["seconds"] for i in recent(redis_client, key)] == [6.0, 5.0]
