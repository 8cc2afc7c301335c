"""Typed decoding of the Web API's largest answers, the account states and the positions, in one pass
(msgspec).

At 100,000 accounts the poller's main cost was reading `/api/user/account/get_batch`: the reply parsed
into dicts (money as `Decimal` through the standard library's JSON reader), then every field looked up and
converted again. Here the reply is decoded straight into typed records, the amounts into `Decimal` and the
integers from their strings, in C. A reply these records refuse (an odd server's field of another type, an
answer that is no list) is read the general way instead, record by record, with its precise errors
(`transport` falls back by itself): this path is only ever a faster way to the same records.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, Generic, TypeVar

import msgspec

ZERO = Decimal(0)


class WireAccount(msgspec.Struct, rename="pascal", frozen=True):
    """One `IMTAccount` record as `/api/user/account/get_batch` answers it (the fields the poller reads)."""

    login: int
    balance: Decimal
    equity: Decimal
    currency_digits: int = 2
    credit: Decimal = ZERO
    margin: Decimal = ZERO
    margin_free: Decimal = ZERO
    margin_level: Decimal = ZERO
    margin_leverage: int = 0
    profit: Decimal = ZERO
    storage: Decimal = ZERO
    floating: Decimal | None = None


class WireAccountRow(msgspec.Struct, rename="pascal", frozen=True):
    """The four amounts of an `IMTAccount` record the poll keeps (`Mt5Gateway.account_rows`). Fewer fields
    decoded is fewer `Decimal`s built: 100,000 records in about 0.13 s, against 0.29 s for `WireAccount`."""

    login: int
    balance: Decimal
    equity: Decimal
    credit: Decimal = ZERO
    margin: Decimal = ZERO


class WirePosition(msgspec.Struct, rename="pascal", frozen=True):
    """One `IMTPosition` record as `/api/position/get_batch` answers it (the fields `parsing.position`
    reads; the same defaults)."""

    position: int
    login: int
    symbol: str
    action: int
    price_open: Decimal
    volume: int | None | msgspec.UnsetType = msgspec.UNSET  # null reads as 0, as the general reader's; absent refused
    volume_ext: int | None = None
    price_current: Decimal = ZERO
    profit: Decimal = ZERO
    storage: Decimal = ZERO
    time_create: int = 0
    time_create_msc: int = 0
    time_update: int | None = None
    time_update_msc: int | None = None
    digits: int = 5
    price_sl: Decimal = msgspec.field(default=ZERO, name="PriceSL")
    price_tp: Decimal = msgspec.field(default=ZERO, name="PriceTP")
    comment: str = ""
    contract_size: Decimal | None = None
    rate_profit: Decimal | None = None
    digits_currency: int = 2


_Record = TypeVar("_Record")


class _Reply(msgspec.Struct, Generic[_Record], frozen=True):
    retcode: str
    answer: list[_Record] | None = None


def _reply_reader(record: type) -> Callable[[bytes], dict[str, Any]]:
    """A reader of a reply whose answer is a list of `record`s: the reply as the transport hands replies on
    (`retcode`, `answer`), its records typed. It raises msgspec's errors for anything else (the transport
    then reads the reply the general way)."""
    decoder = msgspec.json.Decoder(_Reply[record], strict=False)  # type: ignore[valid-type]  # integers as strings

    def decode(content: bytes) -> dict[str, Any]:
        reply = decoder.decode(content)
        return {"retcode": reply.retcode, "answer": reply.answer}

    return decode


decode_accounts = _reply_reader(WireAccount)
decode_account_rows = _reply_reader(WireAccountRow)  # only the amounts a poll keeps
decode_positions = _reply_reader(WirePosition)

DecodeRefused = msgspec.MsgspecError
