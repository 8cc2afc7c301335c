"""Accounting records and arithmetic of the simulated trade server (hedging accounts).

Money is `Decimal`, rounded to the account currency's digits per position and
per deal, the way MT5 books it. A deal's effect on the balance is
`Profit + Storage + Commission`; commission is charged per deal (IN and OUT) at
once, so open positions carry only `Profit` and `Storage`, and

    Floating = Profit + Storage of open positions
    Equity   = Balance + Credit + Floating
    Margin   = sum over positions of notional / leverage (in the account currency)

Volumes are MT5 units: 1 lot = 10,000 `Volume` units.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from propfirm.mt5.protocol import (  # noqa: F401  (MAX_BALANCE_OPERATION: the world checks it)
    DEFAULT_USER_RIGHTS,
    MAX_BALANCE_OPERATION,
    USER_RIGHT_TRADE_DISABLED,
)
from propfirm.sim.market import LOT, Market

DEFAULT_RIGHTS = DEFAULT_USER_RIGHTS  # IMTUser::EnUsersRights, as the official library sets them

# EnDealAction
DEAL_BUY, DEAL_SELL, DEAL_BALANCE, DEAL_CREDIT, DEAL_CHARGE, DEAL_CORRECTION, DEAL_BONUS = range(7)
DEAL_COMMISSION = 7
BALANCE_ACTIONS = frozenset({2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 15, 16, 17, 18, 19, 20})
CREDIT_ACTIONS = frozenset({DEAL_CREDIT, DEAL_BONUS, 20})
# EnDealEntry
ENTRY_IN, ENTRY_OUT, ENTRY_INOUT = 0, 1, 2
# Group margin modes (`MarginMode`): one position per symbol that deals add to, reduce or reverse, or any
# number of positions, each closed on its own
MARGIN_NETTING, MARGIN_HEDGING = 0, 2
# Reasons (positions and deals)
REASON_CLIENT, REASON_EXPERT, REASON_DEALER, REASON_SL, REASON_TP, REASON_SO, REASON_ROLLOVER = range(7)



class TradeError(Exception):
    """A refused operation, with the MT5 return code a real server gives."""

    def __init__(self, retcode: int, message: str) -> None:
        super().__init__(message)
        self.retcode = retcode
        self.message = message


@dataclass(slots=True)
class Group:
    name: str
    currency: str = "USD"
    currency_digits: int = 2
    leverage: int = 100  # default for accounts created without one
    commission_per_lot: Decimal = Decimal("3.50")  # per side, in the group currency
    margin_call: Decimal = Decimal(100)
    margin_stop_out: Decimal = Decimal(50)
    reports_mode: int = 1
    limit_positions: int = 0
    company: str = "Propfirm Simulated Markets"
    margin_mode: int = MARGIN_HEDGING

    @property
    def netting(self) -> bool:
        return self.margin_mode == MARGIN_NETTING

    @property
    def money_quantum(self) -> Decimal:
        return Decimal(1).scaleb(-self.currency_digits)


@dataclass(slots=True)
class Position:
    ticket: int
    login: int
    symbol: str
    action: int  # 0 buy, 1 sell
    volume: int  # 1/10,000 lot
    price_open: Decimal
    time_create: datetime
    time_update: datetime
    time_create_server_msc: int
    time_update_server_msc: int
    storage: Decimal = Decimal(0)
    reason: int = REASON_DEALER
    comment: str = ""
    dealer: int = 0

    @property
    def lots(self) -> Decimal:
        return Decimal(self.volume) / LOT


@dataclass(slots=True)
class Deal:
    ticket: int
    login: int
    action: int
    entry: int
    time: datetime
    time_server: int  # trade-server seconds, fixed when the deal is made
    time_server_msc: int
    symbol: str = ""
    volume: int = 0
    price: Decimal = Decimal(0)
    profit: Decimal = Decimal(0)
    storage: Decimal = Decimal(0)
    commission: Decimal = Decimal(0)
    position_id: int = 0
    order: int = 0
    comment: str = ""
    reason: int = REASON_DEALER
    price_position: Decimal = Decimal(0)
    volume_closed: int = 0
    market_bid: Decimal = Decimal(0)
    market_ask: Decimal = Decimal(0)
    rate_profit: Decimal = Decimal(1)
    dealer: int = 0

    @property
    def balance_effect(self) -> Decimal:
        return self.profit + self.storage + self.commission


# Daily reports kept per account: the last week (end-of-day processes read the last day or two). About
# 150 bytes a report: 100,000 accounts keep some 100 MB of them, whatever the length of the run.
DAILY_KEEP = 7


@dataclass(frozen=True, slots=True)
class DailyReport:
    """An account's end of a trading day, written at the server's rollover (`/api/daily/*`)."""

    time: datetime  # the rollover that wrote it
    previous: datetime  # the rollover before (or the account's registration)
    group: str
    balance: Decimal
    credit: Decimal
    profit: Decimal  # floating profit of the open positions at the report
    storage: Decimal  # their swaps, not yet in the balance
    margin: Decimal
    balance_prev_day: Decimal
    equity_prev_day: Decimal
    balance_prev_month: Decimal
    equity_prev_month: Decimal
    positions: tuple[tuple[Position, Decimal, Decimal], ...]  # a copy of each, its price and profit then


@dataclass(slots=True)
class Account:
    login: int
    group: str
    leverage: int
    registration: datetime
    rights: int = DEFAULT_RIGHTS
    balance: Decimal = Decimal(0)
    credit: Decimal = Decimal(0)
    first_name: str = ""
    last_name: str = ""
    name: str = ""
    email: str = ""
    comment: str = ""
    password_hash: bytes = b""
    investor_hash: bytes = b""
    balance_prev_day: Decimal = Decimal(0)
    equity_prev_day: Decimal = Decimal(0)
    balance_prev_month: Decimal = Decimal(0)
    equity_prev_month: Decimal = Decimal(0)
    last_pass_change: datetime | None = None
    extra: dict[str, str] = field(default_factory=dict)  # other User fields, kept as given
    positions: dict[int, Position] = field(default_factory=dict)
    # the account's deals still in memory (the last hours, in the order made); every deal of the run:
    # `World.deals_of(account)` (propfirm.sim.history)
    deals: list[Deal] = field(default_factory=list)
    daily: deque[DailyReport] | None = None  # made at the first rollover (an idle deque costs 600 bytes)
    # server time repeats an hour when the server's zone leaves DST; then deals are not in order
    deals_out_of_order: bool = False

    @property
    def trade_disabled(self) -> bool:
        return bool(self.rights & USER_RIGHT_TRADE_DISABLED)


@dataclass(frozen=True, slots=True)
class AccountState:
    """An account's trade state at the current prices (the MT5 `Account` record)."""

    login: int
    currency_digits: int
    balance: Decimal
    credit: Decimal
    profit: Decimal
    storage: Decimal
    margin: Decimal
    leverage: int

    @property
    def floating(self) -> Decimal:
        return self.profit + self.storage

    @property
    def equity(self) -> Decimal:
        return self.balance + self.credit + self.floating

    @property
    def margin_free(self) -> Decimal:
        return self.equity - self.margin

    @property
    def margin_level(self) -> Decimal:
        if not self.margin:
            return Decimal(0)
        return (self.equity / self.margin * 100).quantize(Decimal("0.01"), ROUND_HALF_UP)


def money(value: Decimal, quantum: Decimal) -> Decimal:
    return value.quantize(quantum, ROUND_HALF_UP)


def close_price(market: Market, position: Position) -> Decimal:
    """A buy is valued (and closed) at the bid, a sell at the ask."""
    return market.bid(position.symbol) if position.action == 0 else market.ask(position.symbol)


def profit_at(market: Market, position: Position, price: Decimal, currency: str, quantum: Decimal) -> Decimal:
    spec = market.spec(position.symbol)
    direction = 1 if position.action == 0 else -1
    raw = (price - position.price_open) * direction * spec.contract_size * position.volume / LOT
    return money(raw * market.rate(spec.profit_currency, currency), quantum)


_RATE_DIGITS = Decimal("0.00000001")  # the records give RateProfit to 8 digits


def traded_value(market: Market, deal: Deal, quantum: Decimal) -> Decimal:
    """What a trade deal traded in the deposit currency, as a Web API client reads it from the deal record:
    volume × contract size × price × the profit currency's rate (RateProfit)."""
    spec = market.spec(deal.symbol)
    rate = deal.rate_profit.quantize(_RATE_DIGITS, ROUND_HALF_UP)
    return money(spec.contract_size * deal.volume / LOT * deal.price * rate, quantum)


def held_value(market: Market, position: Position, currency: str, quantum: Decimal) -> Decimal:
    """What an open position holds in the deposit currency at its closing price, as a client reads it from
    the position record: volume × contract size × PriceCurrent × RateProfit."""
    spec = market.spec(position.symbol)
    rate = market.rate(spec.profit_currency, currency).quantize(_RATE_DIGITS, ROUND_HALF_UP)
    return money(spec.contract_size * position.volume / LOT * close_price(market, position) * rate, quantum)


def margin_of(market: Market, symbol: str, volume: int, leverage: int, currency: str) -> Decimal:
    spec = market.spec(symbol)
    notional = spec.contract_size * volume / LOT
    if not spec.fx:
        notional *= market.bid(symbol)
    return notional * market.rate(spec.base_currency, currency) / max(leverage, 1)


def account_state(account: Account, group: Group, market: Market) -> AccountState:
    quantum = group.money_quantum
    profit = storage = margin = Decimal(0)
    for position in account.positions.values():
        profit += profit_at(market, position, close_price(market, position), group.currency, quantum)
        storage += position.storage
        margin += margin_of(market, position.symbol, position.volume, account.leverage, group.currency)
    return AccountState(
        login=account.login,
        currency_digits=group.currency_digits,
        balance=account.balance,
        credit=account.credit,
        profit=profit,
        storage=storage,
        margin=money(margin, quantum),
        leverage=account.leverage,
    )


def commission_for(group: Group, volume: int) -> Decimal:
    """The instant commission of one deal (a cost: negative or zero)."""
    return -money(group.commission_per_lot * volume / LOT, group.money_quantum)


def swap_for(market: Market, position: Position, group: Group, nights: int) -> Decimal:
    """The swap of `nights` rollovers for a position, in the account currency."""
    spec = market.spec(position.symbol)
    per_lot = spec.swap_long if position.action == 0 else spec.swap_short
    return money(
        per_lot * nights * position.volume / LOT * market.rate("USD", group.currency), group.money_quantum
    )
