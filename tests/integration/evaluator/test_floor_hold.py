"""A withdrawal on its way: every floor the evaluator publishes allows for it until its deal is judged."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from propfirm.live.floors import read_floor
from propfirm.live.holds import FloorHold

from tests.instants import MONDAY_JANUARY

from .conftest import deal

T0 = MONDAY_JANUARY  # a trading Monday, 09:00 UTC; the evaluator's clock follows the test's times


def test_floors_published_while_a_withdrawal_is_on_its_way_are_lowered_by_it(rig) -> None:
    rig.register(5101, T0)
    rig.snapshot(5101, T0 + timedelta(minutes=1), "103000", "103000", [])
    rig.evaluator.handle(rig.message([5101], T0 + timedelta(minutes=1)))
    assert read_floor(rig.redis, rig.keys, rig.server, 5101).level == Decimal("95000")

    # the payouts worker holds 3,000 for "payout 9#ab12" before sending the withdrawal
    hold_key = rig.keys.floor_hold(rig.server, 5101)
    rig.redis.set(hold_key, FloorHold(Decimal("3000"), "payout 9#ab12").encode())

    # a trade closes before the withdrawal's deal comes: a new state version, a new floor
    trade = deal(5101, 7001, T0 + timedelta(minutes=2), entry="in", position=7001)
    close = deal(5101, 7002, T0 + timedelta(minutes=3), action="sell", entry="out", profit="10", position=7001)
    rig.snapshot(5101, T0 + timedelta(minutes=4), "103010", "103010", [])
    rig.evaluator.handle(rig.message([5101], T0 + timedelta(minutes=4), [trade, close]))
    held = read_floor(rig.redis, rig.keys, rig.server, 5101)
    assert held.level == Decimal("92000")  # the engine's 95,000 less the withdrawal on its way
    assert rig.redis.exists(hold_key)

    # the withdrawal's deal is judged: the engine's own floor is the true one, and the hold goes
    withdrawal = deal(5101, 7003, T0 + timedelta(minutes=5), action="balance", entry="in", profit="-3000",
                      comment="payout 9#ab12")
    rig.snapshot(5101, T0 + timedelta(minutes=6), "100010", "100010", [])
    rig.evaluator.handle(rig.message([5101], T0 + timedelta(minutes=6), [withdrawal]))
    after = read_floor(rig.redis, rig.keys, rig.server, 5101)
    assert after.level == Decimal("92000")  # 95,000 moved down by the withdrawal, now by the engine
    assert not rig.redis.exists(hold_key)


def test_an_unreadable_hold_publishes_no_floor(rig) -> None:
    rig.register(5102, T0)
    rig.redis.set(rig.keys.floor_hold(rig.server, 5102), b"{not a hold")
    rig.snapshot(5102, T0 + timedelta(minutes=1), "100000", "100000", [])
    rig.evaluator.handle(rig.message([5102], T0 + timedelta(minutes=1)))
    assert read_floor(rig.redis, rig.keys, rig.server, 5102) is None
