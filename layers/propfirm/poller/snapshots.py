"""A cycle's snapshots encoded straight from the rows it read.

The bytes are those `propfirm.live.records.encode_snapshot` makes of the same account with each position as a
`PositionSummary` (a test holds the two to each other), without building either: at 100,000 accounts with
every price moving, a cycle writes some 40,000 snapshots, and the summaries (a frozen object of ten fields per
position), their dicts and each position's time formatted again made up most of the cycle's Redis write.
Here each snapshot is one string formatted in C; the strings JSON must escape (the server, a symbol, a
time) are escaped once a cycle by orjson, the amounts (`str(Decimal)`: digits, sign, point, exponent)
need none; they are formatted with `!s` (what `str` gives), as `{amount}` would go through
`Decimal.__format__`, three times slower (~0.15 s a cycle at 100,000 accounts).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import orjson

from propfirm.live.records import SCHEMA_VERSION, iso_utc
from propfirm.mt5.models import PositionRow


class SnapshotEncoder:
    """The snapshots of one cycle (one server, one cycle number, one time)."""

    def __init__(self, server: str, cycle: int, time_text: str) -> None:
        self._head = f'{{"v":{SCHEMA_VERSION},"server":{_string(server)},"login":'
        self._stamp = f',"cycle":{cycle},"time":{_string(time_text)},"balance":"'
        self._symbols: dict[str, str] = {}
        self._times: dict[datetime, str] = {}  # a symbol's positions share its quote's time

    def encode(self, login: int, balance: Decimal, equity: Decimal, credit: Decimal, margin: Decimal,
               held: list[PositionRow] | None) -> bytes:
        text = (f'{self._head}{login}{self._stamp}{balance!s}","equity":"{equity!s}","credit":"{credit!s}",'
                f'"margin":"{margin!s}","positions":')
        if held is None:
            return (text + "null}").encode()
        if len(held) > 1:
            held = sorted(held, key=position_order)
        return (text + "[" + ",".join([self._position(row) for row in held]) + "]}").encode()

    def _position(self, row: PositionRow) -> str:
        _, symbol, volume, side, ticket, price_open, price, price_time, profit, swap, value = row
        name = self._symbols.get(symbol)
        if name is None:
            name = self._symbols[symbol] = _string(symbol)
        if price_time is None:
            moment = "null"
        else:
            moment = self._times.get(price_time) or self._time(price_time)
        text = (f'{{"symbol":{name},"volume":"{volume!s}","side":"{side}","ticket":{ticket},'
                f'"open":{_amount(price_open)},"price":{_amount(price)},"price_time":{moment},'
                f'"profit":{_amount(profit)},"swap":{_amount(swap)}')
        return text + ("}" if value is None else f',"value":"{value!s}"}}')

    def _time(self, moment: datetime) -> str:
        text = self._times[moment] = _string(iso_utc(moment))
        return text


def position_order(row: PositionRow) -> tuple[str, str, Decimal, int]:
    """The order a snapshot lists an account's positions in: symbol, side, lots, ticket."""
    return (row[1], row[3], row[2], row[4])


def _string(text: str) -> str:
    return orjson.dumps(text).decode()


def _amount(value: Decimal | None) -> str:
    return "null" if value is None else f'"{value!s}"'
