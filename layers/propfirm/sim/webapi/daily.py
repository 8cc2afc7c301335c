"""Daily reports (`/api/daily/*`): each account's end of day, as the server writes it at its rollover.

What prop firms read for end-of-day balances and equity. `from`/`to` (trade-server seconds, required)
select the reports written in that range. `get`, `get_batch` (`login=` list or `group=` masks) and
`get_page` (at most 100) give full reports, the positions open at the report included (`PositionAdd`;
`OrderAdd` is empty: market execution, no pending orders); the `get_light*` variants leave both out.
The simulator keeps the last `DAILY_KEEP` reports of an account (a week); the day's movements
(`DailyProfit`, `DailyBalance`, ...) are summed from the deals when asked.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from propfirm.sim.accounts import Account, DailyReport
from propfirm.sim.webapi.calls import (
    PAGE_MAX,
    Call,
    account_of,
    page,
    period,
    selected_accounts,
)
from propfirm.sim.webapi.records import fmt, position_record
from propfirm.sim.world import World

FILETIME_EPOCH_OFFSET = 11_644_473_600  # seconds from 1601-01-01 to 1970-01-01


def _reports(call: Call, accounts: list[Account]) -> list[tuple[Account, DailyReport]]:
    lo, hi = period(call, required=True)
    assert lo is not None and hi is not None
    zone = call.world.zone
    with call.world.lock:
        return [(a, r) for a in accounts for r in (a.daily or ()) if lo <= zone.to_server(r.time) <= hi]


def _records(call: Call, chosen: list[tuple[Account, DailyReport]], light: bool) -> list[dict[str, Any]]:
    with call.world.lock:
        return [daily_record(call.world, a, r, light) for a, r in chosen]


def daily_get(call: Call, light: bool = False) -> Any:
    return _records(call, _reports(call, [account_of(call)]), light)


def daily_get_batch(call: Call, light: bool = False) -> Any:
    _, found = selected_accounts(call)
    return _records(call, page(call, _reports(call, found)), light)


def daily_get_page(call: Call, light: bool = False) -> Any:
    _, found = selected_accounts(call)
    return _records(call, page(call, _reports(call, found), cap=PAGE_MAX), light)


def daily_get_light(call: Call) -> Any:
    return daily_get(call, light=True)


def daily_get_light_batch(call: Call) -> Any:
    return daily_get_batch(call, light=True)


def daily_get_light_page(call: Call) -> Any:
    return daily_get_page(call, light=True)


def _filetime(world: World, moment: datetime) -> str:
    """A Windows FILETIME (100 ns since 1601) of the trade server's wall clock, as the server writes it."""
    return str((world.zone.to_server(moment) + FILETIME_EPOCH_OFFSET) * 10_000_000)


def daily_record(world: World, account: Account, report: DailyReport, light: bool) -> dict[str, Any]:
    group = world.groups[report.group.lower()]
    d = group.currency_digits
    equity = report.balance + report.credit + report.profit + report.storage
    movements = world.daily_movements(account, report)
    level = equity / report.margin * 100 if report.margin else Decimal(0)
    record: dict[str, Any] = {
        "Timestamp": _filetime(world, report.time),
        "DatetimePrev": str(world.zone.to_server(report.previous)),
        "Login": str(account.login),
        "Name": account.name,
        "Group": report.group,
        "Currency": group.currency,
        "CurrencyDigits": str(d),
        "Company": group.company,
        "EMail": account.email,
        "Balance": fmt(report.balance, d),
        "Credit": fmt(report.credit, d),
        "InterestRate": fmt(Decimal(0), d),
        "CommissionDaily": fmt(-movements["DailyCommInstant"], d),
        "CommissionMonthly": fmt(Decimal(0), d),
        "AgentDaily": fmt(Decimal(0), d),
        "AgentMonthly": fmt(Decimal(0), d),
        "BalancePrevDay": fmt(report.balance_prev_day, d),
        "BalancePrevMonth": fmt(report.balance_prev_month, d),
        "EquityPrevDay": fmt(report.equity_prev_day, d),
        "EquityPrevMonth": fmt(report.equity_prev_month, d),
        "Margin": fmt(report.margin, d),
        "MarginFree": fmt(equity - report.margin, d),
        "MarginLevel": fmt(level, 2),
        "MarginLeverage": str(account.leverage),
        "Profit": fmt(report.profit, d),
        "ProfitStorage": fmt(report.storage, d),
        "ProfitEquity": fmt(equity, d),
        "ProfitAssets": fmt(max(equity, Decimal(0)), d),
        "ProfitLiabilities": fmt(min(equity, Decimal(0)), d),
        **{name: fmt(value, d) for name, value in movements.items()},
        "DailyCommFee": fmt(Decimal(0), d),
        "DailyCommRound": fmt(Decimal(0), d),
        "DailyAgent": fmt(Decimal(0), d),
        "DailyInterest": fmt(Decimal(0), d),
    }
    if not light:
        positions = []
        for position, price, profit in report.positions:
            row = position_record(world, position)
            spec = world.market.specs[position.symbol]
            row.update(PriceCurrent=fmt(price, spec.digits), Profit=fmt(profit, d))
            positions.append(row)
        record["PositionAdd"] = positions
        record["OrderAdd"] = []
    return record
