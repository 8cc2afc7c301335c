"""Orders, open and in history (`/api/order/*`, `/api/history/*`).

The simulator executes at market only: every order is filled the moment it is placed, so there are no
open (pending) orders, and each trade deal has its filled order in history. The open-order calls answer
as a server with no pending orders does: a total of 0, empty pages and batches, `13 Not found` for a
ticket. History orders are built from the trade deals (state filled, set up and done at the deal's time,
the deal's price and volume), so an operations script that lists, counts or pages them sees the orders
behind every deal.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from propfirm.sim.accounts import Deal
from propfirm.sim.webapi.calls import (
    PAGE_MAX,
    ApiError,
    Call,
    account_of,
    list_param,
    page,
    period,
    selected_accounts,
)
from propfirm.sim.webapi.records import LOT_TO_EXT, fmt
from propfirm.sim.world import World

ORDER_STATE_FILLED = 4
TRADE_ACTIONS = (0, 1)  # deal buy/sell: what an order filled; balance and other operations have none


# ---- open orders ----------------------------------------------------------------------------------
def order_get(call: Call) -> Any:
    ticket = call.integer("ticket")
    if ticket is None:
        raise ApiError(3, "ticket is required")
    raise ApiError(13, f"order {ticket} not found: no pending orders (market execution)")


def order_get_total(call: Call) -> Any:
    account_of(call)  # an unknown login is 13, as for positions
    return {"Total": "0"}


def order_get_page(call: Call) -> Any:
    account_of(call)
    return page(call, [], cap=PAGE_MAX)


def order_get_batch(call: Call) -> Any:
    selected_accounts(call, allow_ticket=True)
    return []


def order_delete(call: Call) -> Any:
    """Delete (or, for `/api/order/cancel`, move to history) open orders: none exist, so any ticket
    named is not found."""
    tickets = _tickets(call)
    raise ApiError(13, f"order {tickets[0]} not found: no pending orders (market execution)")


def _tickets(call: Call) -> list[int]:
    raw = list_param(call, "ticket")
    if not raw and isinstance(call.body, list):
        raw = [str(t) for t in call.body]
    if not raw:
        raise ApiError(3, "ticket is required")
    try:
        return [int(t) for t in raw]
    except ValueError:
        raise ApiError(3, "tickets must be integers") from None


# ---- orders in history ----------------------------------------------------------------------------
def _filled(deals: list[Deal]) -> list[Deal]:
    return [d for d in deals if d.action in TRADE_ACTIONS and d.order]


def history_get(call: Call) -> Any:
    ticket = call.integer("ticket")
    if ticket is None:
        raise ApiError(3, "ticket is required")
    world = call.world
    with world.lock:
        deal = next(iter(world.deals.filled_by((ticket,), TRADE_ACTIONS)), None)
    if deal is None:
        raise ApiError(13, f"order {ticket} not found in history")
    return history_record(world, deal)


def history_get_total(call: Call) -> Any:
    account = account_of(call)
    lo, hi = period(call, required=True)
    return {"Total": str(len(_filled(call.world.deals_of(account, lo, hi))))}


def history_get_page(call: Call) -> Any:
    account = account_of(call)
    lo, hi = period(call, required=True)
    filled = _filled(call.world.deals_of(account, lo, hi))
    return [history_record(call.world, d) for d in page(call, filled, cap=PAGE_MAX)]


def history_get_batch(call: Call) -> Any:
    world = call.world
    kind, found = selected_accounts(call, allow_ticket=True)
    if kind == "ticket":
        with world.lock:
            filled = world.deals.filled_by(_tickets(call), TRADE_ACTIONS)
    else:
        lo, hi = period(call, required=True)
        filled = [d for a in found for d in _filled(world.deals_of(a, lo, hi))]
    return [history_record(world, d) for d in page(call, filled)]


def history_record(world: World, deal: Deal) -> dict[str, Any]:
    """The filled market order behind a trade deal, in the Web API's order structure."""
    account = world.accounts[deal.login]
    d = world.groups[account.group.lower()].currency_digits
    spec = world.market.specs.get(deal.symbol)
    digits = spec.digits if spec else 0
    price = fmt(deal.price, digits)
    zero = fmt(Decimal(0), digits)
    return {
        "Order": str(deal.order),
        "ExternalID": "",
        "Login": str(deal.login),
        "Dealer": str(deal.dealer),
        "Symbol": deal.symbol,
        "Digits": str(digits),
        "DigitsCurrency": str(d),
        "ContractSize": fmt(spec.contract_size, 2) if spec else "0.00",
        "State": str(ORDER_STATE_FILLED),
        "Reason": str(deal.reason),
        "TimeSetup": str(deal.time_server),
        "TimeSetupMsc": str(deal.time_server_msc),
        "TimeExpiration": "0",
        "TimeDone": str(deal.time_server),
        "TimeDoneMsc": str(deal.time_server_msc),
        "Type": str(deal.action),  # ORDER_TYPE_BUY 0 / SELL 1, as the deal's action
        "TypeFill": "0",
        "TypeTime": "0",
        "PriceOrder": price,
        "PriceTrigger": zero,
        "PriceCurrent": price,
        "PriceSL": zero,
        "PriceTP": zero,
        "VolumeInitial": str(deal.volume),
        "VolumeInitialExt": str(deal.volume * LOT_TO_EXT),
        "VolumeCurrent": "0",
        "VolumeCurrentExt": "0",
        "ExpertID": "0",
        "PositionID": str(deal.position_id),
        "PositionByID": "0",
        "Comment": deal.comment,
        "ActivationMode": "0",
        "ActivationTime": "0",
        "ActivationPrice": zero,
        "ActivationFlags": "0",
        "ModificationFlags": "0",
        "ApiData": [],
    }
