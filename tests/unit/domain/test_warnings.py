"""Early warning near the floor that binds: once a fifth of the rule's room is left, never past the floor,
never without a floor."""

from __future__ import annotations

from decimal import Decimal

from propfirm.domain.warnings import floor_warning

from tests.unit.domain.helpers import Account, D, make_program

PROGRAM = make_program(daily_loss_pct=5, max_loss_pct=10)  # 100,000: daily floor 95,000, max floor 90,000


def test_no_warning_with_room_to_spare():
    account = Account(PROGRAM)
    account.snap("2026-03-02 10:00", "100000", "96100")  # 1,100 above the daily floor: 22 % left
    assert floor_warning(PROGRAM, account.state, D("96100")) is None


def test_a_fifth_of_the_daily_room_left_warns_with_the_numbers():
    account = Account(PROGRAM)
    account.snap("2026-03-02 10:00", "100000", "95900")
    warning = floor_warning(PROGRAM, account.state, D("95900"))
    assert warning is not None
    assert (warning.rule, warning.level, warning.headroom, warning.limit) == ("daily_loss", D("95000"), D("900"),
                                                                            D("5000"))
    assert warning.used_pct == Decimal("82.00") and str(warning.day) == "2026-03-02"


def test_the_binding_floor_decides_which_rule_warns():
    account = Account(make_program(daily_loss_pct=5, max_loss_pct=10))
    account.op("2026-03-02 09:00", "-6000")  # a withdrawal: the balance at 94,000
    account.snap("2026-03-03 10:00", "94000", "90500")  # a new day: daily floor 89,300, max 90,000 binds
    warning = floor_warning(account.program, account.state, D("90500"))
    assert warning is not None and warning.rule == "max_loss" and warning.limit == D("10000")


def test_no_warning_at_or_past_the_floor_nor_when_switched_off():
    account = Account(PROGRAM)
    account.snap("2026-03-02 10:00", "100000", "95500")
    assert floor_warning(PROGRAM, account.state, D("95000")) is None  # breached: the engine decides
    assert floor_warning(PROGRAM, account.state, D("95500"), share=Decimal(0)) is None
    assert floor_warning(PROGRAM, account.state, D("95500"), share=Decimal("0.05")) is None


def test_no_floor_no_warning():
    program = make_program(profit_target_pct=8)  # no loss rule at all
    account = Account(program)
    assert floor_warning(program, account.state, D("50000")) is None
