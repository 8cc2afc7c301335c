"""Typed decoding of the Web API's largest answer, the account states, in one pass (msgspec).

At 100,000 accounts the poller's main cost was reading `/api/user/account/get_batch`: the reply parsed
into dicts (money as `Decimal` through the standard library's JSON reader), then every field looked up and
converted again. Here the reply is decoded straight into typed records, the amounts into `Decimal` and the
integers from their strings, in C. A reply these records refuse (an odd server's field of another type, an
answer that is no list) is read the general way instead, record by record, with its precise errors
(`transport` falls back by itself): this path is only ever a faster way to the same records.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

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


class _AccountsReply(msgspec.Struct, frozen=True):
    retcode: str
    answer: list[WireAccount] | None = None


_accounts = msgspec.json.Decoder(_AccountsReply, strict=False)  # strict=False: integers come as strings


def decode_accounts(content: bytes) -> dict[str, Any]:
    """The reply as the transport hands replies on (`retcode`, `answer`), its records typed. Raises
    msgspec's errors for anything else (the transport then reads it the general way)."""
    reply = _accounts.decode(content)
    return {"retcode": reply.retcode, "answer": reply.answer}


DecodeRefused = msgspec.MsgspecError
