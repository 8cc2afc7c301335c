"""A program's news blackout judged live: the evaluator reads the news calendar the risk desk keeps in
PostgreSQL (`news_events`), as `propfirm replay --news` reads a file."""

from __future__ import annotations

from datetime import timedelta

from propfirm.domain.programs import load_example_programs, load_program_file
from propfirm.evaluation.news import NewsSource
from propfirm.store.news import NewRelease, NewsStore
from propfirm.store.programs import load_program_path
from propfirm.store.uow import UnitOfWork

from tests.instants import MONDAY_JANUARY

from .conftest import deal

T0 = MONDAY_JANUARY  # 09:00 UTC


def _program(rig, tmp_path) -> str:
    program_id = f"news-{rig.server}"
    (tmp_path / "news.yaml").write_text(
        f"id: {program_id}\naccount_size: '100000'\nday_reset: {{time: '00:00', zone: UTC}}\n"
        "phases:\n  - {group: 'challenge\\\\news', profit_target_pct: 8, daily_loss_pct: 5, max_loss_pct: 10,"
        " news_blackout_minutes: 2}\n"
    )
    with UnitOfWork(rig.url) as uow:
        load_program_path(uow, tmp_path / "news.yaml")
        uow.commit()
    return program_id


def _list(rig, *releases: NewRelease) -> None:
    with UnitOfWork(rig.url) as uow:
        NewsStore(uow).add(list(releases), "risk@example.com", T0)
        uow.commit()


def _reasons(rig, cid: int) -> list[tuple[str, str]]:
    return [tuple(r) for r in rig.fetch(
        "SELECT decision, reason FROM phase_transitions WHERE challenge_id = %s ORDER BY id", cid)]


def test_a_trade_opened_within_the_blackout_of_a_listed_release_restricts(rig, tmp_path) -> None:
    program_id = _program(rig, tmp_path)
    release = T0 + timedelta(hours=5, minutes=30)  # 14:30
    _list(rig, NewRelease(release, f"US non-farm payrolls {rig.server}", ("USD",)))
    cid = rig.register(8101, T0, program=program_id)
    rig.snapshot(8101, T0 + timedelta(minutes=1), "100000", "100000")
    rig.evaluator.handle(rig.message([8101], T0 + timedelta(minutes=1)))

    far = deal(8101, 11, release - timedelta(minutes=10))  # ten minutes before: allowed
    at = release - timedelta(minutes=10, seconds=-5)
    rig.snapshot(8101, at, "100000", "99990", [("EURUSD", "1.00", "buy")])
    rig.evaluator.handle(rig.message([8101], at, [far]))
    assert _reasons(rig, cid) == []

    near = deal(8101, 12, release + timedelta(seconds=90), action="sell", entry="out", profit="40", position=11)
    at = release + timedelta(minutes=2)
    rig.snapshot(8101, at, "100040", "100040")
    rig.evaluator.handle(rig.message([8101], at, [near]))
    assert _reasons(rig, cid) == [("restricted", "news_blackout")]


def test_the_calendar_is_read_again_after_its_time_to_live_and_only_for_programs_with_a_blackout(
    rig, tmp_path
) -> None:
    _program(rig, tmp_path)
    ticks = iter([0.0, 10.0, 61.0])
    source = NewsSource(rig.runtime.uow, lambda: rig.now, ttl_seconds=60, monotonic=lambda: next(ticks))
    release = T0 + timedelta(hours=2)
    [program] = load_program_file(tmp_path / "news.yaml")
    before = len(source.calendar().times)  # t=0: read
    _list(rig, NewRelease(release, f"ECB rate decision {rig.server}", ("EUR",)))
    assert len(source.calendar().times) == before  # t=10: kept
    assert release in source.for_program(program).times  # t=61: read again
    assert not source.for_program(load_example_programs()["two-step-100k"]).times  # no blackout: no calendar
