"""The events the rule engine judges: a challenge start, a polled snapshot, a deal, a balance operation.

Times are timezone-aware; money and volumes are Decimal. These are the engine's inputs whatever
their source (the replay file, the poller's snapshots, MT5's deal history).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal, NamedTuple

DEFAULT_SERVER = "default"
DealEntry = Literal["in", "out", "inout", "out_by"]
DEAL_ENTRIES = frozenset(("in", "out", "inout", "out_by"))


class Position(NamedTuple):
    """An open position as a snapshot lists it (a tuple: cheap to build for every polled position)."""

    symbol: str
    volume: Decimal  # lots
    type: Literal["buy", "sell"]
    profit: Decimal | None = None  # its floating result (swap included), where the source gives it
    value: Decimal | None = None  # what it holds in the account currency at the current price, where given


@dataclass(frozen=True, slots=True)
class Start:
    time: datetime
    login: int
    program: str
    server: str = DEFAULT_SERVER


@dataclass(frozen=True, slots=True)
class Snapshot:
    time: datetime
    login: int
    balance: Decimal
    equity: Decimal  # floating profit, swap and commission included
    positions: tuple[Position, ...] | None = None  # None: not listed (max_lots etc. are not judged)
    server: str = DEFAULT_SERVER


@dataclass(frozen=True, slots=True)
class Deal:
    time: datetime
    login: int
    deal: int
    entry: DealEntry
    symbol: str
    volume: Decimal
    profit: Decimal
    position: int
    commission: Decimal = Decimal(0)
    swap: Decimal = Decimal(0)
    server: str = DEFAULT_SERVER
    # what the deal traded in the account currency (volume × contract size × price, converted), where the
    # source gives it: read only by a phase's qualifying-trade conditions
    value: Decimal | None = None


@dataclass(frozen=True, slots=True)
class BalanceOperation:
    time: datetime
    login: int
    amount: Decimal  # deposit, withdrawal, payout, correction: never trading profit
    comment: str = ""
    server: str = DEFAULT_SERVER


Event = Start | Snapshot | Deal | BalanceOperation
