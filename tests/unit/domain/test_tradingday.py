"""Trading-day boundaries follow the program's reset time in its IANA zone, across DST changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from propfirm.domain.tradingday import DayClock

from .helpers import Account, T, failed, make_program


def test_prague_midnight_in_late_march():
    # Europe/Prague moves to CEST at 01:00 UTC on 29 March 2026.
    clock = DayClock(time(0, 0), "Europe/Prague")
    assert clock.next_reset(T("2026-03-28 12:00")) == T("2026-03-28 23:00")  # midnight CET
    assert clock.next_reset(T("2026-03-28 23:00")) == T("2026-03-29 22:00")  # midnight CEST: a 23 h day
    assert clock.day_start(T("2026-03-29 21:59")) == T("2026-03-28 23:00")
    assert clock.label(clock.day_start(T("2026-03-29 21:59"))) == date(2026, 3, 29)


def test_prague_midnight_in_late_october():
    # Back to CET at 01:00 UTC on 25 October 2026: that day lasts 25 hours.
    clock = DayClock(time(0, 0), "Europe/Prague")
    assert clock.next_reset(T("2026-10-24 12:00")) == T("2026-10-24 22:00")
    assert clock.next_reset(T("2026-10-24 22:00")) == T("2026-10-25 23:00")


def test_new_york_17h_across_the_us_change():
    # The US moves to EDT on 8 March 2026 (Europe only on the 29th): 17:00 is 22:00 UTC before, 21:00 after.
    clock = DayClock(time(17, 0), "America/New_York")
    assert clock.next_reset(T("2026-03-06 12:00")) == T("2026-03-06 22:00")
    assert clock.next_reset(T("2026-03-08 12:00")) == T("2026-03-08 21:00")
    assert clock.next_reset(T("2026-11-01 12:00")) == T("2026-11-01 22:00")  # back to EST
    # Friday 17:00 starts Saturday's trading day
    assert clock.label(T("2026-03-06 22:00")) == date(2026, 3, 7)


def test_a_reset_time_missing_on_the_spring_day_falls_an_hour_later():
    clock = DayClock(time(2, 30), "Europe/Prague")
    assert clock.next_reset(T("2026-03-28 12:00")) == T("2026-03-29 01:30")  # 03:30 CEST


def test_daily_floor_resets_at_prague_midnight_in_the_dst_week():
    # The account must be judged on the new day's floor from 22:00 UTC on 29 March (00:00 CEST),
    # not from 23:00 UTC as a fixed +01:00 offset would have it.
    acct = Account(make_program(zone="Europe/Prague", daily_loss_pct=5), at="2026-03-29 08:00")
    acct.snap("2026-03-29 21:00", "103000.00", "103000.00")
    # 22:30 UTC on the 29th is 00:30 on the 30th in Prague: floor 98,000
    assert acct.snap("2026-03-29 22:30", "103000.00", "98000.00") == [
        failed("daily_loss", "98000.00", "98000")
    ]


def test_daily_floor_resets_at_17h_new_york_after_the_us_change():
    acct = Account(
        make_program(zone="America/New_York", reset="17:00", daily_loss_pct=5), at="2026-03-09 13:00"
    )
    acct.snap("2026-03-09 20:30", "104000.00")
    assert acct.snap("2026-03-09 21:05", "104000.00", "99000.00") == [
        failed("daily_loss", "99000.00", "99000")
    ]


def test_daily_floor_keeps_the_old_day_an_hour_longer_after_the_october_change():
    # Prague returns to CET at 01:00 UTC on 25 October 2026; the 26th starts at 23:00 UTC on the
    # 25th. At 22:30 UTC it is still the 25th (floor 95,000), where a fixed +02:00 would already
    # be on the 26th (floor 98,000) and fail the account.
    acct = Account(make_program(zone="Europe/Prague", daily_loss_pct=5), at="2026-10-25 06:00")
    acct.snap("2026-10-25 21:00", "103000.00", "103000.00")
    assert acct.snap("2026-10-25 22:30", "103000.00", "96000.00") == []
    got = acct.snap("2026-10-25 23:05", "103000.00", "96000.00")
    assert got == [failed("daily_loss", "96000.00", "98000")]


def test_no_reset_between_sees_every_day_boundary_not_only_the_states_own() -> None:
    from propfirm.domain import engine
    from propfirm.domain.events import Start
    from propfirm.domain.programs import load_example_programs

    program = load_example_programs()["futures-50k"]  # resets 17:00 Chicago: 23:00 UTC in January
    monday = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    state = engine.evaluate(program, None, Start(monday, 1, program.id)).state
    at = lambda day, hour: datetime(2026, 1, day, hour, 0, tzinfo=UTC)  # noqa: E731
    assert engine.no_reset_between(program, state, at(5, 10), at(5, 22))
    assert not engine.no_reset_between(program, state, at(5, 10), at(5, 23))  # the reset itself is in
    assert engine.no_reset_between(program, state, at(5, 23), at(6, 22))  # past the state's day: the calendar
    assert not engine.no_reset_between(program, state, at(6, 8), at(7, 1))  # a later day's reset
    assert engine.no_reset_between(program, state, at(6, 8), at(6, 8))
