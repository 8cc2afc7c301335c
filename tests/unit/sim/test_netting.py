"""Netting accounts: one position per symbol that each deal adds to, reduces, closes or reverses."""

from __future__ import annotations

from decimal import Decimal

import pytest
from propfirm.sim.accounts import ENTRY_IN, ENTRY_INOUT, ENTRY_OUT, MARGIN_NETTING
from propfirm.sim.clock import SimClock
from propfirm.sim.testing import build_world
from propfirm.sim.webapi.records import group_record
from propfirm.sim.world import World

from tests.instants import MONDAY_MORNING

NETTING = "futures\\netting"
HEDGING = "challenge\\phase1"


@pytest.fixture
def world() -> World:
    w = World(seed=4, clock=SimClock(start=MONDAY_MORNING, speed=0))
    w.create_group(NETTING, commission_per_lot="0", margin_mode=MARGIN_NETTING)
    w.create_group(HEDGING, commission_per_lot="0")
    w.set_price("EURUSD", "1.10000")  # ask 1.10012
    return w


def test_the_same_side_adds_to_the_one_position_at_the_average_price(world: World) -> None:
    login = world.create_account(NETTING, balance="100000")
    ticket = world.open_position(login, "EURUSD", "buy", "1")
    world.set_price("EURUSD", "1.10100")  # ask 1.10112
    assert world.open_position(login, "EURUSD", "buy", "3") == ticket
    [position] = world.accounts[login].positions.values()
    assert position.lots == Decimal(4) and position.price_open == Decimal("1.10087")  # (1.10012 + 3 x 1.10112) / 4
    added = world.accounts[login].deals[-1]
    assert (added.entry, added.position_id, added.profit) == (ENTRY_IN, ticket, 0)


def test_the_other_side_reduces_then_closes_with_the_profit_of_what_it_closes(world: World) -> None:
    login = world.create_account(NETTING, balance="100000")
    ticket = world.open_position(login, "EURUSD", "buy", "2")  # at 1.10012
    world.set_price("EURUSD", "1.10212")
    world.open_position(login, "EURUSD", "sell", "0.5")  # at the bid 1.10212: +200 points on 0.5 lot
    reduced = world.accounts[login].deals[-1]
    assert (reduced.entry, reduced.position_id, reduced.profit) == (ENTRY_OUT, ticket, Decimal("100.00"))
    assert world.positions[ticket].lots == Decimal("1.5")
    world.open_position(login, "EURUSD", "sell", "1.5")
    closed = world.accounts[login].deals[-1]
    assert (closed.entry, closed.profit) == (ENTRY_OUT, Decimal("300.00"))
    assert ticket not in world.positions and world.account(login).balance == Decimal("100400.00")


def test_a_larger_opposite_deal_reverses_the_position(world: World) -> None:
    login = world.create_account(NETTING, balance="100000")
    ticket = world.open_position(login, "EURUSD", "buy", "1")  # at 1.10012
    world.set_price("EURUSD", "1.09912")  # -100 points on the bid
    world.open_position(login, "EURUSD", "sell", "3")
    reversal = world.accounts[login].deals[-1]
    assert (reversal.entry, reversal.volume, reversal.volume_closed) == (ENTRY_INOUT, 30_000, 10_000)
    assert reversal.profit == Decimal("-100.00")  # the closed lot's loss only
    position = world.positions[ticket]  # the same position, now the other way
    assert (position.action, position.lots, position.price_open) == (1, Decimal(2), Decimal("1.09912"))


def test_hedging_accounts_keep_one_position_per_deal(world: World) -> None:
    login = world.create_account(HEDGING, balance="100000")
    world.open_position(login, "EURUSD", "buy", "1")
    world.open_position(login, "EURUSD", "sell", "1")
    assert len(world.accounts[login].positions) == 2


def test_the_group_says_its_margin_mode_and_masks_choose_netting_groups(world: World) -> None:
    assert group_record(world, world.groups[NETTING.lower()])["MarginMode"] == "0"
    assert group_record(world, world.groups[HEDGING.lower()])["MarginMode"] == "2"
    built = build_world(0, speed=0, start=MONDAY_MORNING, groups=["a\\futures", "a\\cfd"], netting=("*\\FUTURES",))
    assert built.groups["a\\futures"].netting and not built.groups["a\\cfd"].netting
