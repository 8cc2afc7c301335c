"""Group configuration writes and listing: `/api/group/add` (create, or change an existing group),
`/api/group/delete`, `/api/group/total`, `/api/group/next`.

`group/add` takes the group's JSON (as `group/get` returns it) in the body, `Group` required; the fields
the simulator models are read (`Currency`, `CurrencyDigits`, `DemoLeverage`, `MarginMode`, `MarginCall`,
`MarginStopOut`, `LimitPositions`, `ReportsMode`, `Company`, the first commission tier's `Value`), the
rest are accepted and not kept. A group that holds accounts keeps its currency, digits and margin mode
(retcode 3), and is not deleted (3). Answers: the group as `group/get` gives it.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from propfirm.sim.accounts import MARGIN_HEDGING, MARGIN_NETTING
from propfirm.sim.webapi import records
from propfirm.sim.webapi.calls import NO_ANSWER, ApiError, Call

_INTEGERS = {"CurrencyDigits": "currency_digits", "DemoLeverage": "leverage", "LimitPositions": "limit_positions",
             "ReportsMode": "reports_mode", "MarginMode": "margin_mode"}
_DECIMALS = {"MarginCall": "margin_call", "MarginStopOut": "margin_stop_out"}


def _settings(body: dict[str, Any]) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    try:
        for field, name in _INTEGERS.items():
            if field in body:
                settings[name] = int(body[field])
        for field, name in _DECIMALS.items():
            if field in body:
                settings[name] = Decimal(str(body[field]))
        commissions = body.get("Commissions")
        if commissions:
            settings["commission_per_lot"] = Decimal(str(commissions[0]["Tiers"][0]["Value"]))
    except (TypeError, ValueError, KeyError, IndexError, InvalidOperation):
        raise ApiError(3, "a group field is not a number") from None
    if "Currency" in body:
        settings["currency"] = str(body["Currency"]).upper()
    if "Company" in body:
        settings["company"] = str(body["Company"])
    if settings.get("margin_mode", MARGIN_HEDGING) not in (MARGIN_NETTING, MARGIN_HEDGING):
        raise ApiError(3, "MarginMode: 0 (retail netting) or 2 (retail hedging)")
    if settings.get("leverage", 1) < 1 or settings.get("currency_digits", 2) not in range(9):
        raise ApiError(3, "DemoLeverage must be positive, CurrencyDigits 0 to 8")
    return settings


def group_add(call: Call) -> Any:
    body = call.body_dict()
    name = str(body.get("Group") or call.get("group") or "")
    if not name or len(name) > 64:
        raise ApiError(3, "Group is required (at most 64 characters)")
    settings = _settings(body)
    world = call.world
    with world.lock:
        if name.lower() in world.groups:
            group = world.update_group(name, **settings)
        else:
            group = world.create_group(name, **settings)
        return records.group_record(world, group)


def group_delete(call: Call) -> Any:
    name = call.get("group")
    if not name:
        raise ApiError(3, "group is required")
    call.world.delete_group(name)  # its TradeError is answered with its retcode by the server
    return NO_ANSWER


def group_total(call: Call) -> Any:
    return {"Total": str(len(call.world.groups))}


def group_next(call: Call) -> Any:
    """The group at `index` (from 0), in the order of their names."""
    index = call.integer("index")
    if index is None or index < 0:
        raise ApiError(3, "index (from 0) is required")
    world = call.world
    with world.lock:
        names = sorted(g.name for g in world.groups.values())
        if index >= len(names):
            raise ApiError(13, f"no group at index {index} ({len(names)} groups)")
        return records.group_record(world, world.groups[names[index].lower()])
