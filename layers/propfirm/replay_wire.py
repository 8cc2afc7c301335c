"""The replay file's lines as typed records, decoded in one pass by msgspec (the fast path of `propfirm replay`).

One schema per event type, tagged by `type`. Money stays a string here: msgspec would also take a JSON number
for a `Decimal`, and money is never a number in this format, so the replay converts the strings itself.
A line these schemas refuse is not an error by itself: the replay hands it to its precise path, which
applies the format's rules field by field and names the first one broken (`file:line: reason`). Whatever
these schemas accept, the precise path accepts too, with the same values (tests/unit/replay prove it on
fuzzed lines).
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from propfirm.domain.events import DEFAULT_SERVER

NonEmpty = Annotated[str, msgspec.Meta(min_length=1)]
# within the integers the precise path's JSON reader (orjson) gives as integers (beyond them it gives a float;
# those past 2**63 - 1 that it still reads as integers go to the precise path, msgspec bounds being 64-bit)
Integer = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]
Lots = str | int | float  # a volume may be a JSON number (lots are not money)


class WirePosition(msgspec.Struct, frozen=True):
    symbol: NonEmpty
    volume: Lots
    type: Literal["buy", "sell"]
    profit: str | None = None
    value: str | None = None


class WireStart(msgspec.Struct, tag="start", tag_field="type", frozen=True):
    time: str
    login: Integer
    program: NonEmpty
    server: NonEmpty = DEFAULT_SERVER


class WireSnapshot(msgspec.Struct, tag="snapshot", tag_field="type", frozen=True):
    time: str
    login: Integer
    balance: str
    equity: str
    positions: list[WirePosition] | None = None
    server: NonEmpty = DEFAULT_SERVER


class WireDeal(msgspec.Struct, tag="deal", tag_field="type", frozen=True):
    time: str
    login: Integer
    deal: Integer
    entry: Literal["in", "out", "inout", "out_by"]
    symbol: NonEmpty
    volume: Lots
    profit: str
    position: Integer
    commission: str | msgspec.UnsetType = msgspec.UNSET  # present: a money string (null is refused)
    swap: str | msgspec.UnsetType = msgspec.UNSET
    value: str | msgspec.UnsetType = msgspec.UNSET
    server: NonEmpty = DEFAULT_SERVER


class WireBalance(msgspec.Struct, tag="balance", tag_field="type", frozen=True):
    time: str
    login: Integer
    amount: str
    comment: str = ""
    server: NonEmpty = DEFAULT_SERVER


WireEvent = WireStart | WireSnapshot | WireDeal | WireBalance

decoder = msgspec.json.Decoder(WireEvent)
Refused = msgspec.MsgspecError
