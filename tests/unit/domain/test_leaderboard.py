"""The leaderboard's arithmetic, worked by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from propfirm.domain.leaderboard import Day, standing


def day(n: int, start: str, close: str, profit: str) -> Day:
    return Day(date(2026, 1, n), Decimal(start), Decimal(close), Decimal(profit))


def test_return_consistency_and_drawdown() -> None:
    days = [
        day(7, "100000", "102000", "2000"),
        day(5, "100000", "100000", "0"),  # no trade: not a day traded
        day(8, "102000", "99450", "-2550"),  # 2.5 % below the peak of 102,000
        day(9, "99450", "104000", "4550"),
    ]
    s = standing(days)
    assert s is not None
    assert (s.return_pct, s.winning_days_pct, s.drawdown_pct, s.days) == (
        Decimal("4.00"),
        Decimal("66.67"),
        Decimal("2.50"),
        3,
    )


def test_the_order_of_rank_per_sort() -> None:
    steady = standing([day(5, "100000", "100500", "500"), day(6, "100500", "101000", "500")])
    bold = standing([day(5, "100000", "106000", "6000"), day(6, "106000", "103000", "-3000")])
    assert steady and bold
    assert bold.key("return") > steady.key("return")
    assert steady.key("consistency") > bold.key("consistency")
    assert steady.key("drawdown") > bold.key("drawdown")  # less drawdown ranks higher


def test_no_day_no_standing() -> None:
    assert standing([]) is None


def test_a_day_not_closed_yet_does_not_count_as_a_drawdown() -> None:
    s = standing([day(5, "100000", "103000", "3000"), Day(date(2026, 1, 6), Decimal("103000"), None, None)])
    assert s is not None and (s.drawdown_pct, s.days, s.return_pct) == (Decimal("0.00"), 1, Decimal("3.00"))
