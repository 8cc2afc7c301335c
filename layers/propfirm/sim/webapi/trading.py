"""Positions, deals and balance operations."""

from __future__ import annotations

from typing import Any

from propfirm.sim.webapi import records
from propfirm.sim.webapi.calls import (
    PAGE_MAX,
    ApiError,
    Call,
    account_of,
    list_param,
    page,
    period,
    selected_accounts,
    split_list,
)
from propfirm.sim.world import to_decimal


def _symbol_filter(call: Call) -> set[str] | None:
    symbols = split_list(call.get("symbol"))
    return set(symbols) if symbols else None


def _tickets(call: Call) -> list[int]:
    """The `ticket` list, each once, in the order given."""
    try:
        return list(dict.fromkeys(int(t) for t in list_param(call, "ticket")))
    except ValueError:
        raise ApiError(3, "tickets must be integers") from None


def position_get_batch(call: Call) -> Any:
    world = call.world
    kind, found = selected_accounts(call, allow_ticket=True)
    symbols = _symbol_filter(call)
    if kind == "ticket":
        positions = [world.positions[t] for t in _tickets(call) if t in world.positions]
    else:
        positions = [p for a in found for p in a.positions.values()]
    if symbols:
        positions = [p for p in positions if p.symbol in symbols]
    return [records.position_record(world, p) for p in page(call, positions)]


def position_get(call: Call) -> Any:
    account = account_of(call)
    symbol = call.required("symbol")
    for position in account.positions.values():
        if position.symbol == symbol:
            return records.position_record(call.world, position)
    raise ApiError(13, "no position")


def position_get_total(call: Call) -> Any:
    return {"Total": str(len(account_of(call).positions))}


def position_get_page(call: Call) -> Any:
    account = account_of(call)
    positions = list(account.positions.values())
    return [records.position_record(call.world, p) for p in page(call, positions, cap=PAGE_MAX)]


# ---- deals --------------------------------------------------------------------------------------
def deal_get(call: Call) -> Any:
    ticket = call.integer("ticket")
    if ticket is None:
        raise ApiError(3, "ticket is required")
    with call.world.lock:
        deal = call.world.deals.get(ticket)
    if deal is None:
        raise ApiError(13, f"deal {ticket} not found")
    return records.deal_record(call.world, deal)


def deal_get_batch(call: Call) -> Any:
    world = call.world
    kind, found = selected_accounts(call, allow_ticket=True)
    symbols = _symbol_filter(call)
    if kind == "ticket":
        with world.lock:
            deals = [d for t in _tickets(call) if (d := world.deals.get(t)) is not None]
    else:
        lo, hi = period(call, required=True)
        deals = [d for a in found for d in world.deals_of(a, lo, hi)]
    if symbols:
        deals = [d for d in deals if d.symbol in symbols]
    return [records.deal_record(world, d) for d in page(call, deals)]


def deal_get_total(call: Call) -> Any:
    account = account_of(call)
    lo, hi = period(call, required=True)
    return {"Total": str(len(call.world.deals_of(account, lo, hi)))}


def deal_get_page(call: Call) -> Any:
    account = account_of(call)
    lo, hi = period(call, required=True)
    deals = call.world.deals_of(account, lo, hi)
    return [records.deal_record(call.world, d) for d in page(call, deals, cap=PAGE_MAX)]


# ---- money and dealing --------------------------------------------------------------------------
def trade_balance(call: Call) -> Any:
    account = account_of(call)
    kind = call.integer("type")
    if kind is None:
        raise ApiError(3, "type is required")
    amount = call.required("balance")
    comment = call.get("comment", "") or ""
    check = call.get("check_margin", "1") not in ("0", "false", "False")
    ticket = call.world.balance(account.login, to_decimal(amount), kind, comment, check_margin=check)
    return {"Ticket": str(ticket)}
