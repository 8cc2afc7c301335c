"""What an MT5 gateway returns and takes, in the domain's terms.

Money and lots are `Decimal`; times are timezone-aware UTC (the gateway has
already removed the trade server's offset); volumes are lots (the gateway has
already converted MT5's 1/10,000 or 1/100,000,000 units); an account is
`(server, login)`. Nothing here knows about JSON or the Manager API.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import IntEnum, StrEnum
from typing import Literal

DEFAULT_SERVER = "default"


class Side(StrEnum):
    BUY = "buy"
    SELL = "sell"


class DealAction(IntEnum):
    """MT5 `EnDealAction` (reference §1.7)."""

    BUY = 0
    SELL = 1
    BALANCE = 2
    CREDIT = 3
    CHARGE = 4
    CORRECTION = 5
    BONUS = 6
    COMMISSION = 7
    COMMISSION_DAILY = 8
    COMMISSION_MONTHLY = 9
    AGENT_DAILY = 10
    AGENT_MONTHLY = 11
    INTERESTRATE = 12
    BUY_CANCELED = 13
    SELL_CANCELED = 14
    DIVIDEND = 15
    DIVIDEND_FRANKED = 16
    TAX = 17
    AGENT = 18
    SO_COMPENSATION = 19
    SO_COMPENSATION_CREDIT = 20


class DealEntry(IntEnum):
    """MT5 `EnDealEntry`: IN opens, OUT closes, INOUT reverses (netting), OUT_BY closes by (hedging)."""

    IN = 0
    OUT = 1
    INOUT = 2
    OUT_BY = 3
    STATE = 255  # old servers: a state record, not a fill


class BalanceKind(IntEnum):
    """The balance-operation types a prop firm uses (subset of DealAction, same numbers)."""

    BALANCE = 2
    CREDIT = 3
    CHARGE = 4
    CORRECTION = 5
    BONUS = 6


@dataclass(frozen=True, slots=True, order=True)
class AccountId:
    server: str
    login: int

    def __str__(self) -> str:
        return f"{self.server}:{self.login}"


@dataclass(frozen=True, slots=True)
class AccountState:
    """An account's money at one poll. `floating` = profit + storage of open positions;
    `equity` = balance + credit + floating as MT5 reports it. `has_trade_state` is False when MT5
    had no trade state for the account (no activity since its restart, reference §4.2.7) and the
    figures were rebuilt from the user record (equity = balance + credit, no margin)."""

    server: str
    login: int
    group: str
    currency_digits: int
    balance: Decimal
    credit: Decimal
    equity: Decimal
    margin: Decimal
    margin_free: Decimal
    margin_level: Decimal
    floating: Decimal
    profit: Decimal
    storage: Decimal
    leverage: int = 0
    has_trade_state: bool = True

    @property
    def account(self) -> AccountId:
        return AccountId(self.server, self.login)

    def row(self) -> AccountRow:
        return (self.login, self.group, self.balance, self.equity, self.credit, self.margin)


# What a poll keeps of an account's state: (login, group, balance, equity, credit, margin). A plain tuple, as
# the poller reads 100,000 of them a cycle: a tenth of the objects of `AccountState`s, built in C.
AccountRow = tuple[int, str, Decimal, Decimal, Decimal, Decimal]


@dataclass(frozen=True, slots=True)
class Position:
    server: str
    login: int
    ticket: int
    symbol: str
    side: Side
    volume: Decimal  # lots
    price_open: Decimal
    price_current: Decimal
    profit: Decimal
    storage: Decimal  # swap, deposit currency
    time_create: datetime  # UTC
    time_update: datetime  # UTC
    digits: int = 5
    price_sl: Decimal = Decimal(0)
    price_tp: Decimal = Decimal(0)
    comment: str = ""
    # what the position holds in the deposit currency at the current price (`traded_value`); None where
    # the source does not give the contract size or the rate
    value: Decimal | None = None

    @property
    def account(self) -> AccountId:
        return AccountId(self.server, self.login)

    def row(self) -> PositionRow:
        return (self.login, self.symbol, self.volume, "buy" if self.side is Side.BUY else "sell", self.ticket,
                self.price_open,
                self.price_current, self.time_update, self.profit, self.storage, self.value)


# What a poll keeps of an open position: (login, symbol, volume, side ("buy" or "sell"), ticket, price_open,
# price_current, time_update, profit, storage, value), `Position`'s fields in a plain tuple, as for accounts
PositionRow = tuple[int, str, Decimal, Literal["buy", "sell"], int, Decimal, Decimal, datetime, Decimal, Decimal,
                    Decimal | None]


def traded_value(
    volume: Decimal, contract_size: Decimal, price: Decimal, rate_profit: Decimal, digits: int
) -> Decimal | None:
    """What a trade deal traded in the deposit currency: volume × contract size × price (quoted in the
    profit currency) × MT5's RateProfit (profit currency to deposit currency), to the currency's digits;
    None for a deal that trades nothing (a balance operation has no contract size)."""
    if not volume or not contract_size or not rate_profit:
        return None
    quantum = _QUANTA.get(digits) or _QUANTA.setdefault(digits, Decimal(1).scaleb(-digits))
    return (volume * contract_size * price * rate_profit).quantize(quantum, rounding=ROUND_HALF_UP)


_QUANTA: dict[int, Decimal] = {}  # a currency's digits -> its smallest unit


@dataclass(frozen=True, slots=True)
class Deal:
    server: str
    login: int
    ticket: int
    time: datetime  # UTC
    action: DealAction
    entry: DealEntry
    symbol: str
    volume: Decimal  # lots
    price: Decimal
    profit: Decimal
    commission: Decimal
    storage: Decimal  # swap
    position_id: int
    comment: str = ""
    order: int = 0
    # what the deal traded in the deposit currency: volume × contract size × price × the profit currency's
    # rate (MT5's RateProfit), to the currency's digits; None where the source does not say
    value: Decimal | None = None

    @property
    def account(self) -> AccountId:
        return AccountId(self.server, self.login)


@dataclass(frozen=True, slots=True)
class NewAccount:
    """An account to create and fund.

    `client_ref` is the caller's unique key for this creation (e.g. the challenge id, at most 31
    characters); the gateway stores it in the account's comment and, on a retry, finds the account
    it already created instead of opening a second one. `login=None` lets MT5 allocate the login.
    Passwords left None are generated (8–16 characters, four character classes)."""

    group: str
    leverage: int
    initial_balance: Decimal
    first_name: str
    last_name: str
    email: str
    client_ref: str
    login: int | None = None
    password_main: str | None = None
    password_investor: str | None = None
    trading_enabled: bool = True
    balance_comment: str = "Initial balance"


@dataclass(frozen=True, slots=True)
class CreatedAccount:
    """The created (or, on a retry, found) account with passwords valid now. `funding_deal` is the
    ticket of the initial balance deal (None when the initial balance was zero)."""

    server: str
    login: int
    group: str
    password_main: str = field(repr=False)
    password_investor: str = field(repr=False)
    funding_deal: int | None = None
    existed: bool = False  # True when a retry found the account created by an earlier attempt

    @property
    def account(self) -> AccountId:
        return AccountId(self.server, self.login)


@dataclass(frozen=True, slots=True)
class AccountUpdate:
    """Changes to one account; a None field is left as it is."""

    account: AccountId
    group: str | None = None
    leverage: int | None = None
    trading_enabled: bool | None = None


@dataclass(frozen=True, slots=True)
class AccountInfo:
    """The user record as it stands after an update."""

    server: str
    login: int
    group: str
    leverage: int
    rights: int
    trading_enabled: bool
    email: str = ""
    comment: str = ""


@dataclass(frozen=True, slots=True)
class BalanceOperation:
    """A deposit (positive amount) or withdrawal (negative). The comment (at most 31 characters)
    should be unique per operation for this account: after a lost connection the gateway looks for
    a deal with this comment and amount before sending again, so a retry cannot pay twice."""

    account: AccountId
    amount: Decimal
    comment: str
    kind: BalanceKind = BalanceKind.BALANCE
    check_margin: bool = True


@dataclass(frozen=True, slots=True)
class ClosedPosition:
    ticket: int
    symbol: str
    volume: Decimal  # lots closed
    deal: int | None  # the closing deal, when MT5 reported it
    price: Decimal | None
    confirmed_by: str  # "result" (dealer result) or "readback" (position gone on re-read)


@dataclass(frozen=True, slots=True)
class GroupInfo:
    name: str
    currency: str
    currency_digits: int
    margin_mode: int  # 0 retail netting, 1 exchange, 2 retail hedging
    reports_mode: int = 0
    margin_call: Decimal = Decimal(0)
    margin_stop_out: Decimal = Decimal(0)

    @property
    def hedging(self) -> bool:
        return self.margin_mode == 2


@dataclass(frozen=True, slots=True)
class SymbolInfo:
    """What valuing a position needs of its symbol: profit = (close − open) × direction × contract size ×
    lots, in the profit currency."""

    name: str
    digits: int
    contract_size: Decimal
    currency_base: str
    currency_profit: str


@dataclass(frozen=True, slots=True)
class Tick:
    """A symbol's last quote: a buy is valued at the bid, a sell at the ask."""

    symbol: str
    bid: Decimal
    ask: Decimal
    time: datetime  # UTC, to the millisecond


@dataclass(frozen=True, slots=True)
class MinuteBar:
    """One minute of a symbol's bid (MT5's M1 chart bar); the ask is the bid plus `spread` points."""

    symbol: str
    start: datetime  # UTC, the minute's first second
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    spread: Decimal  # in price: the bar's spread in points times the symbol's point


@dataclass(frozen=True, slots=True)
class ServerTime:
    """The trade server's clock: `utc` now, and `offset` = server wall time - UTC (DST included)."""

    utc: datetime
    offset: timedelta

    @property
    def server_wall(self) -> datetime:
        """Server wall time as a naive datetime (what MT5 shows)."""
        return (self.utc + self.offset).replace(tzinfo=None)
