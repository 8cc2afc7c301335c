"""Symbols and quotes: `/api/symbol/get`, `list`, `total`, `next` and `/api/tick/last` (incremental with
`trans_id`).

`symbol=` takes full names (`EURUSD`) or masks of the symbol path (`Forex\\Major\\*`,
`!…` to exclude), as documented; `trans_id` is the market's version: passing back the
returned one gives only the symbols quoted since.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from propfirm.sim.market import SymbolSpec
from propfirm.sim.sessions import ALWAYS, schedule_of, sessions_record
from propfirm.sim.webapi.calls import ApiError, Call, WithFields, split_list
from propfirm.sim.webapi.records import fmt
from propfirm.sim.world import World

MAX_SYMBOL_PARAMETER = 4096


def select_symbols(specs: dict[str, SymbolSpec], masks: list[str]) -> list[SymbolSpec]:
    include: list[re.Pattern[str]] = []
    exclude: list[re.Pattern[str]] = []
    for mask in masks:
        target = exclude if mask.startswith("!") else include
        text = mask.lstrip("!")
        pattern = re.compile("^" + ".*".join(re.escape(p) for p in text.split("*")) + "$", re.IGNORECASE)
        target.append(pattern)

    def chosen(spec: SymbolSpec, patterns: list[re.Pattern[str]]) -> bool:
        return any(p.match(spec.name) or p.match(spec.path) for p in patterns)

    return [s for name, s in sorted(specs.items()) if chosen(s, include) and not chosen(s, exclude)]


def _symbols_param(call: Call) -> list[SymbolSpec]:
    text = call.get("symbol") or call.get("mask") or ""
    if not text or len(text) > MAX_SYMBOL_PARAMETER:
        raise ApiError(3, "symbol is required (at most 4,096 characters)")
    return select_symbols(call.world.market.specs, split_list(text))


def symbol_record(spec: SymbolSpec, world: World) -> dict[str, Any]:
    """A symbol's configuration; its sessions are its schedule when the world keeps sessions, else every
    day whole (the market never closes)."""
    schedule = schedule_of(spec.name) if world.trade_sessions else ALWAYS
    return {
        "Symbol": spec.name,
        "Path": spec.path,
        "Description": spec.name,
        "CurrencyBase": spec.base_currency,
        "CurrencyProfit": spec.profit_currency,
        "CurrencyMargin": spec.base_currency,
        "Digits": str(spec.digits),
        "Point": fmt(spec.point, spec.digits),
        "ContractSize": fmt(spec.contract_size, 2),
        "TickSize": fmt(spec.point, spec.digits),
        "Spread": str(spec.spread_points),
        "SpreadBalance": "0",
        "CalcMode": "0" if spec.fx else "2",  # forex, CFD
        "TradeMode": "4",  # full access
        "ExecMode": "2",  # market execution
        "FillFlags": "3",  # FOK and IOC
        "VolumeMin": "100",
        "VolumeMax": "1000000",
        "VolumeStep": "100",
        "SwapMode": "1",  # in money (the deposit currency is converted from USD)
        "SwapLong": fmt(spec.swap_long, 2),
        "SwapShort": fmt(spec.swap_short, 2),
        "Swap3Day": "3",  # Wednesday
        "SessionsQuotes": sessions_record(ALWAYS),  # the market driver quotes around the clock
        "SessionsTrades": sessions_record(schedule),
    }


def symbol_get(call: Call) -> Any:
    symbol = call.get("symbol")
    market = call.world.market
    if symbol and "*" not in symbol and "," not in symbol:
        spec = market.specs.get(symbol) or market.specs.get(symbol.upper())
        if spec is None:
            raise ApiError(13, f"symbol {symbol!r} not found")
        return symbol_record(spec, call.world)
    return [symbol_record(spec, call.world) for spec in _symbols_param(call)]


def symbol_list(call: Call) -> Any:
    """Every symbol's name, in the server's order (by name here)."""
    return sorted(call.world.market.specs)


def symbol_total(call: Call) -> Any:
    return {"Total": str(len(call.world.market.specs))}


def symbol_next(call: Call) -> Any:
    """The symbol at `index` (from 0), or with `count` > 1 that many from there, as a list."""
    index = call.integer("index")
    count = call.integer("count", 1)
    if index is None or index < 0 or count is None or count < 1:
        raise ApiError(3, "index (from 0) is required; count must be at least 1")
    market = call.world.market
    names = sorted(market.specs)
    if index >= len(names):
        raise ApiError(13, f"no symbol at index {index} ({len(names)} symbols)")
    chosen = [symbol_record(market.specs[name], call.world) for name in names[index : index + count]]
    return chosen[0] if count == 1 else chosen


def tick_last(call: Call) -> Any:
    world = call.world
    market = world.market
    since = call.integer("trans_id", 0) or 0
    ticks = []
    for spec in _symbols_param(call):
        if market.changed[spec.name] <= since and since:
            continue
        msc = world.quote_times[spec.name]
        ticks.append(
            {
                "Symbol": spec.name,
                "Digits": str(spec.digits),
                "Datetime": str(msc // 1000),
                "DatetimeMsc": str(msc),
                "Bid": fmt(market.bid(spec.name), spec.digits),
                "Ask": fmt(market.ask(spec.name), spec.digits),
                "Last": fmt(Decimal(0), spec.digits),
                "Volume": "0",
                "VolumeReal": "0.00",
            }
        )
    return WithFields(ticks, {"trans_id": str(market.version)})


CHART_FIELDS = "dohlctsv"  # datetime, open, high, low, close, tick volume, spread, real volume


def chart_get(call: Call) -> Any:
    """One-minute bars of a symbol's bid between `from` and `to` (server time, seconds), oldest first: each
    bar an array of the fields `data` names, in its order (default `dohlc`)."""
    world = call.world
    name = call.get("symbol") or ""
    spec = world.market.specs.get(name)
    if spec is None:
        raise ApiError(13 if name else 3, f"symbol {name!r} not found" if name else "symbol is required")
    since, until = call.integer("from"), call.integer("to")
    if since is None or until is None or since > until:
        raise ApiError(3, "from and to (server time, seconds; from <= to) are required")
    fields = call.get("data") or "dohlc"
    if any(letter not in CHART_FIELDS for letter in fields):
        raise ApiError(3, f"data takes the letters {CHART_FIELDS}")
    with world.lock:
        bars = world.bars.bars(spec.name, since, until)
    digits = spec.digits
    values = {
        "d": lambda b: str(b.minute),
        "o": lambda b: fmt(b.open, digits),
        "h": lambda b: fmt(b.high, digits),
        "l": lambda b: fmt(b.low, digits),
        "c": lambda b: fmt(b.close, digits),
        "t": lambda b: str(b.ticks),
        "s": lambda b: str(spec.spread_points),
        "v": lambda b: "0",
    }
    return [[values[letter](bar) for letter in fields] for bar in bars]
