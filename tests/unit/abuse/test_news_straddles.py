"""News straddles on deal streams made by hand (each rule's edge) and on the simulator's mix with a news
calendar (the straddler found, nobody else)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from propfirm.domain.abuse.detectors import detect
from propfirm.domain.abuse.news import Release, news_straddle
from propfirm.domain.abuse.trades import trades_of
from propfirm.sim.deal_stream import abusers, releases, run_world, sizes, trade_deals

from tests.unit.abuse.test_detectors import T0, Book

# releases at 13:30 on four days (T0 is a Monday 09:00): minute 270 of each day
DAY = 24 * 60
NEWS = [Release(T0 + timedelta(minutes=270 + d * DAY), "US CPI", ("USD",)) for d in range(4)]


def straddle(book: Book, login: int, day: int, lead: float = 10, lag: float = 0, held: float = 25, lots: str = "3",
             symbol: str = "EURUSD", sell_lots: str | None = None) -> None:
    """A buy and a sell opened `lead` minutes before the day's release (the sell `lag` minutes later)."""
    opened = 270 + day * DAY - lead
    book.trade(login, opened, held, "buy", lots, symbol=symbol, profit="120")
    book.trade(login, opened + lag, held - lag + 5, "sell", sell_lots or lots, symbol=symbol, profit="-95")


def test_both_sides_held_across_releases_are_a_straddle_with_each_one_as_evidence() -> None:
    book = Book()
    for day in range(3):
        straddle(book, 31, day)
    [finding] = news_straddle(trades_of(book.deals), NEWS)
    assert (finding.detector, finding.logins, finding.score) == ("news_straddle", (31,), 1.0)
    assert finding.evidence["releases_straddled"] == 3 and finding.evidence["net_of_straddles"] == "75"
    first = finding.evidence["matches"][0]
    assert first["release"] == {"at": NEWS[0].at.isoformat(), "title": "US CPI"}
    assert (first["lead_seconds"], first["lag_seconds"]) == (600.0, 0.0)
    assert [t["side"] for t in first["trades"]] == ["buy", "sell"]
    assert len(finding.deals) == 12  # both legs' opening and closing deals, three times


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"lead": 45}, "opened 45 minutes before: out of the 30-minute lead"),
        ({"lead": 10, "held": 5}, "closed before the release"),
        ({"lag": 8}, "the legs opened 8 minutes apart"),
        ({"sell_lots": "5"}, "another size"),
        ({"symbol": "EURJPY"}, "a symbol the release does not move"),
    ],
)
def test_what_is_not_a_straddle(change: dict, why: str) -> None:
    book = Book()
    for day in range(3):
        straddle(book, 32, day, **change)
    assert news_straddle(trades_of(book.deals), NEWS) == [], why


def test_one_straddle_or_a_habit_of_holding_one_side_is_no_finding() -> None:
    book = Book()
    straddle(book, 33, 0)  # once: under the minimum of two
    for day in range(1, 4):
        book.trade(33, 270 + day * DAY - 10, 25, "buy", "3")  # then one side across each release
    assert news_straddle(trades_of(book.deals), NEWS) == []
    straddle(book, 34, 0)
    straddle(book, 34, 1)
    for day in (2, 3):
        book.trade(34, 270 + day * DAY - 10, 25, "sell", "3")
    [finding] = news_straddle(trades_of(book.deals), NEWS)  # two of four releases: half, the minimum share
    assert finding.logins == (34,) and finding.score == 0.5


def test_a_release_without_currencies_moves_every_symbol_and_no_calendar_finds_nothing() -> None:
    book = Book()
    for day in range(2):
        straddle(book, 35, day, symbol="XAUEUR")
    everything = [Release(r.at, "central bank decision") for r in NEWS]
    assert [f.logins for f in news_straddle(trades_of(book.deals), everything)] == [(35,)]
    assert news_straddle(trades_of(book.deals), NEWS) == []  # USD news does not move XAUEUR
    assert detect(trades_of(book.deals)) == []  # no calendar given: no straddle judged


def test_the_straddler_is_found_in_the_simulators_mix_and_nobody_else_for_news() -> None:
    world = run_world(150, 4, seed=7, news=True)
    planted = abusers(world)
    straddlers = {login for login, profile in planted.items() if profile == "straddler"}
    assert len(straddlers) == 1 and len(world.news) == 8
    found = detect(trades_of(trade_deals(world), sizes(world)), detectors=["news_straddle"],
                   releases=releases(world))
    assert {login for f in found for login in f.logins} == straddlers


def test_every_detector_has_a_program_policy_and_a_runner() -> None:
    from propfirm.domain.abuse.detectors import DETECTORS
    from propfirm.domain.abuse.findings import Detector
    from propfirm.domain.programs import AbusePolicy

    assert set(AbusePolicy.model_fields) == set(Detector) == set(DETECTORS)
    assert detect([], detectors=list(Detector)) == []  # each name runs
