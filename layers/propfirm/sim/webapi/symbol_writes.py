"""Symbol configuration writes: `/api/symbol/add` (create a symbol, or change one) and `/api/symbol/delete`.

`symbol/add` takes the symbol's JSON (as `symbol/get` returns it) in the body, `Symbol` required. The
fields the simulator models are read (`Path`, `Digits`, `ContractSize`, `CurrencyBase`, `CurrencyProfit`,
`CalcMode`: 0 forex, anything else a CFD, `Spread`, `SwapLong`, `SwapShort`); the rest are accepted and
not kept. A new symbol names its quote `Source`, one of the market's own symbols, as a server's custom
symbol does: it is quoted from that symbol's mid at its own digits and spread (the simulator has no data
feed of its own for it), and takes the source's settings for the fields it leaves out. A symbol with open
positions keeps what values them (3). `symbol/delete` removes an added symbol (3 for one of the market's
own or one with open positions; 13 for none). Answers: the symbol as `symbol/get`
gives it, and no answer for a delete.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal, InvalidOperation
from typing import Any

from propfirm.sim.market import SymbolSpec
from propfirm.sim.webapi.calls import NO_ANSWER, ApiError, Call
from propfirm.sim.webapi.prices import symbol_record

MAX_NAME = 31  # IMTConSymbol's name: 32 characters with the terminating zero


def _changes(body: dict[str, Any]) -> dict[str, Any]:
    """The modelled fields the body sets, as `SymbolSpec` fields."""
    changes: dict[str, Any] = {}
    try:
        if "Digits" in body:
            changes["digits"] = int(body["Digits"])
        if "Spread" in body:
            changes["spread_points"] = int(body["Spread"])
        if "CalcMode" in body:
            changes["fx"] = int(body["CalcMode"]) == 0
        for field, name in (("ContractSize", "contract_size"), ("SwapLong", "swap_long"), ("SwapShort", "swap_short")):
            if field in body:
                changes[name] = Decimal(str(body[field]))
    except (TypeError, ValueError, InvalidOperation):
        raise ApiError(3, "a symbol field is not a number") from None
    for field, name in (("CurrencyBase", "base_currency"), ("CurrencyProfit", "profit_currency")):
        if field in body:
            changes[name] = str(body[field]).upper()
    if "Path" in body:
        changes["tree_path"] = str(body["Path"])
    if changes.get("digits", 0) not in range(9) or changes.get("spread_points", 0) < 0:
        raise ApiError(3, "Digits must be 0 to 8, Spread not negative")
    if not changes.get("contract_size", Decimal(1)).is_finite() or changes.get("contract_size", Decimal(1)) <= 0:
        raise ApiError(3, "ContractSize must be positive")
    for name in ("base_currency", "profit_currency"):
        if name in changes and (len(changes[name]) != 3 or not changes[name].isalpha()):
            raise ApiError(3, "a currency is three letters")
    return changes


def symbol_add(call: Call) -> Any:
    body = call.body_dict()
    name = str(body.get("Symbol") or "")
    if not name or len(name) > MAX_NAME:
        raise ApiError(3, f"Symbol is required (at most {MAX_NAME} characters)")
    changes = _changes(body)
    world = call.world
    with world.lock:
        current = world.market.specs.get(name)
        source = None
        if current is None:
            source = str(body.get("Source") or "")
            base = world.market.specs.get(source)
            if base is None:
                raise ApiError(3, "a new symbol needs Source: a symbol of the market's own to be quoted from")
            current = dataclasses.replace(base, name=name, tree_path="", swap_long=Decimal(0), swap_short=Decimal(0))
        spec: SymbolSpec = dataclasses.replace(current, **changes)
        world.configure_symbol(spec, source)  # its TradeError is answered with its retcode by the server
        return symbol_record(spec, world)


def symbol_delete(call: Call) -> Any:
    name = call.get("symbol")
    if not name:
        raise ApiError(3, "symbol is required")
    call.world.delete_symbol(name)
    return NO_ANSWER
