"""Performance metrics from closed positions, with worked numbers."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from propfirm.domain.payouts import TradeDeal
from propfirm.domain.performance import performance
from propfirm.domain.tradingday import DayClock

PRAGUE = DayClock(time(0, 0), "Europe/Prague")
MONDAY = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)  # 09:00 in Prague


def trade(ticket: int, closed: datetime, profit: str, commission: str = "-3.50", swap: str = "0") -> list[TradeDeal]:
    opened = closed - timedelta(minutes=30)
    return [
        TradeDeal(ticket * 2, ticket, opened, "in", Decimal(1), Decimal(0), Decimal(commission), Decimal(0)),
        TradeDeal(ticket * 2 + 1, ticket, closed, "out", Decimal(1), Decimal(profit), Decimal(commission),
                  Decimal(swap)),
    ]


def test_the_worked_example() -> None:
    deals = [
        *trade(1, MONDAY, "507.00"),                               # +500.00
        *trade(2, MONDAY + timedelta(hours=2), "-293.00"),         # -300.00
        *trade(3, MONDAY + timedelta(days=1), "1007.00", swap="-4.00"),  # +996.00 on Tuesday
        *trade(4, MONDAY + timedelta(days=2), "7.00"),             # 0.00: neither a win nor a loss
        *trade(5, MONDAY + timedelta(days=2, hours=1), "-193.00"),  # -200.00
    ]
    deals.append(TradeDeal(99, 6, MONDAY + timedelta(days=3), "in", Decimal(1), Decimal(0), Decimal("-3.50"),
                           Decimal(0)))  # still open: not counted
    p = performance(deals, PRAGUE)
    assert (p.closed_positions, p.open_positions, p.wins, p.losses) == (5, 1, 2, 2)
    assert p.gross_profit == Decimal("1496.00") and p.gross_loss == Decimal("-500.00")
    assert p.net == Decimal("996.00")
    assert p.commission == Decimal("-35.00") and p.swap == Decimal("-4.00")
    assert p.win_rate == Decimal("0.4000")
    assert p.profit_factor == Decimal("2.9920")
    assert (p.average_win, p.average_loss) == (Decimal("748.00"), Decimal("-250.00"))
    assert (p.largest_win, p.largest_loss) == (Decimal("996.00"), Decimal("-300.00"))
    assert p.best_day == (datetime(2026, 1, 6).date(), Decimal("996.00"))
    assert p.worst_day == (datetime(2026, 1, 7).date(), Decimal("-200.00"))
    assert p.trading_days == 3
    assert p.consistency_share == Decimal("1.0000")  # the best day made the whole net result
    assert p.to_dict()["best_day"] == {"day": "2026-01-06", "result": "996.00"}


def test_a_day_follows_the_program_zone_and_no_loss_means_no_profit_factor() -> None:
    late = datetime(2026, 1, 5, 23, 30, tzinfo=UTC)  # 00:30 on Tuesday in Prague
    p = performance([*trade(1, late, "103.50"), *trade(2, late - timedelta(hours=1), "53.50")], PRAGUE)
    assert p.profit_factor is None and p.average_loss is None
    assert p.best_day == (datetime(2026, 1, 6).date(), Decimal("96.50"))
    assert p.worst_day == (datetime(2026, 1, 5).date(), Decimal("46.50"))
    assert p.consistency_share == Decimal("0.6748")  # 96.50 / 143.00


def test_nothing_closed() -> None:
    p = performance([], PRAGUE)
    assert p.closed_positions == 0 and p.win_rate is None and p.best_day is None and p.consistency_share is None
