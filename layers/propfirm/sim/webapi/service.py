"""Service endpoints: ping, server time and time zone, platform and group configuration."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from propfirm.sim.webapi import records
from propfirm.sim.webapi.calls import MASK_MAX, NO_ANSWER, ApiError, Call, match_groups, split_list
from propfirm.sim.world import World


def _time_text(world: World, moment: datetime) -> str:
    wall = world.zone.wall(moment)
    return f"{world.zone.to_server(moment)} {wall:%Y.%m.%d %H:%M:%S}"


def test_access(call: Call) -> Any:
    return NO_ANSWER


def time_server(call: Call) -> Any:
    return {"Time": _time_text(call.world, call.world.now())}


def time_get(call: Call) -> Any:
    world = call.world
    now = world.now()
    # EnTimeTableMode per hour, Sunday first: 1 trading, 0 closed (the weekend)
    days = [["1" if weekday not in (0, 6) else "0" for _ in range(24)] for weekday in range(7)]
    return {
        "Daylight": "1" if world.zone.has_dst(now) else "0",
        "DaylightState": "1" if world.zone.in_dst(now) else "0",
        "TimeZone": str(world.zone.standard_offset_minutes(now)),
        "TimeServer": "",
        "Days": days,
    }


def common_get(call: Call) -> Any:
    world = call.world
    return {
        "Name": "Propfirm MT5 Simulator",
        "Owner": "Propfirm",
        "OwnerID": "propfirm-sim",
        "OwnerHost": "127.0.0.1",
        "OwnerEmail": "",
        "Product": "MetaTrader 5 (simulated)",
        "ExpirationLicense": "0",
        "ExpirationSupport": "0",
        "LimitTradeServers": "1",
        "LimitWebServers": "1",
        "LimitAccounts": "1000000",
        "LimitDeals": "0",
        "LimitSymbols": "0",
        "LimitGroups": "0",
        "TotalUsers": str(len(world.accounts)),
        "TotalUsersReal": "0",
        "TotalDeals": str(len(world.deals)),
        "TotalOrders": "0",
        "TotalOrdersHistory": str(len(world.deals)),
        "TotalPositions": str(len(world.positions)),
    }


def group_get(call: Call) -> Any:
    world = call.world
    name = call.get("group")
    mask = call.get("mask")
    if name:
        group = world.groups.get(name.lower())
        if group is None:
            raise ApiError(13, f"group {name!r} not found")
        return records.group_record(world, group)
    if mask:
        names = match_groups(world, split_list(mask))
        if len(names) > MASK_MAX:
            raise ApiError(14)
        return [records.group_record(world, world.groups[n.lower()]) for n in names]
    raise ApiError(3, "give group or mask")
