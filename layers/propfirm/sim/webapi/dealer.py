"""Dealer requests: `/api/dealer/send_request` and `/api/dealer/get_request_result`.

A request is queued on the connection's session (at most 128 unanswered, else
10024) and executed at once, unless the `hold_dealer_requests` fault keeps it
queued; its result events stay on that connection for 3 minutes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from propfirm.sim.accounts import TradeError
from propfirm.sim.market import LOT
from propfirm.sim.webapi.calls import ApiError, Call, parse_logins, split_list
from propfirm.sim.world import World

DEALER_QUEUE_MAX = 128
FLAG_SKIP_MARGIN_CHECK = 0x400


@dataclass
class DealerRequest:
    id: int
    created: float
    request: dict[str, Any]
    events: list[dict[str, Any]] = field(default_factory=list)
    done: bool = False


def dealer_send_request(call: Call) -> Any:
    body = call.body_dict()
    if not body:
        raise ApiError(3, "the trade request must be a JSON object in the body")
    try:
        action = int(body.get("Action", 0))
    except (TypeError, ValueError):
        raise ApiError(3, "Action must be an integer") from None
    if not 200 <= action <= 255:
        raise ApiError(3, "only dealer actions (200-255) can be sent")
    if action != 200:
        raise ApiError(12002, "the simulator executes TA_DEALER_POS_EXECUTE (200) only")
    session = call.session
    session.expire_requests(call.result_ttl)
    if sum(1 for r in session.requests.values() if not r.done) >= DEALER_QUEUE_MAX:
        raise ApiError(10024)
    request = DealerRequest(id=session.next_request_id(), created=time.monotonic(), request=dict(body))
    session.requests[request.id] = request
    if not call.extra.get("hold"):
        execute_dealer_request(call.world, request, session.login)
    return {"ID": str(request.id)}


def _volume(body: dict[str, Any]) -> int:
    try:
        if body.get("VolumeExt") not in (None, "", "0", 0):
            ext = int(body["VolumeExt"])
            if ext % (10**8 // LOT):
                raise TradeError(10014, "VolumeExt finer than the simulator's 0.0001 lot")
            return ext // (10**8 // LOT)
        return int(body.get("Volume", 0))
    except (TypeError, ValueError):
        raise TradeError(10014, "invalid volume") from None


def execute_dealer_request(world: World, request: DealerRequest, dealer: int) -> None:
    """Carry out a TA_DEALER_POS_EXECUTE: close `Position` if given, else open a position."""
    body = request.request
    retcode, deal, order, price, volume, comment = 10009, 0, 0, Decimal(0), 0, "Request executed"
    position_ticket = 0
    with world.lock:
        try:
            login = int(body.get("Login", 0))
            if login not in world.accounts:
                raise TradeError(10013, f"account {login} not found")
            symbol = str(body.get("Symbol", ""))
            side = int(body.get("Type", -1))
            if side not in (0, 1):
                raise TradeError(10013, "Type must be 0 (buy) or 1 (sell)")
            volume = _volume(body)
            if volume <= 0:
                raise TradeError(10014, "invalid volume")
            price_order = body.get("PriceOrder") or None
            position_ticket = int(body.get("Position", 0) or 0)
            flags = int(body.get("Flags", 0) or 0)
            comment_in = str(body.get("Comment", "") or "")
            if position_ticket:
                position = world.accounts[login].positions.get(position_ticket)
                if position is None:
                    raise TradeError(10036, f"position {position_ticket} is not open")
                if symbol and symbol != position.symbol:
                    raise TradeError(10013, "Symbol does not match the position")
                if side == position.action:
                    raise TradeError(10013, "Type must be opposite to the position to close it")
                deal = world.close_position(
                    login,
                    position_ticket,
                    Decimal(volume) / LOT,
                    price_order,
                    comment=comment_in,
                    dealer=dealer,
                )
            else:
                if not symbol:
                    raise TradeError(10013, "Symbol is required")
                position_ticket = world.open_position(
                    login,
                    symbol,
                    side,
                    Decimal(volume) / LOT,
                    price_order,
                    comment=comment_in,
                    check_margin=not flags & FLAG_SKIP_MARGIN_CHECK,
                    dealer=dealer,
                )
                deal = world.accounts[login].deals[-1].ticket
            made = world.deals[deal]
            order, price = made.order, made.price
        except TradeError as exc:
            retcode, comment = exc.retcode, exc.message
        except (TypeError, ValueError):
            retcode, comment = 10013, "invalid request fields"
    result = {
        "ID": str(request.id),
        "Retcode": str(retcode),
        "DealID": str(deal),
        "OrderID": str(order),
        "Price": str(price),
        "Volume": str(volume if retcode == 10009 else 0),
        "VolumeExt": str((volume if retcode == 10009 else 0) * (10**8 // LOT)),
        "Comment": comment,
    }
    answer = {
        key: str(value) if not isinstance(value, (dict, list)) else value for key, value in body.items()
    }
    answer.update(
        {
            "ID": str(request.id),
            "ResultRetcode": str(retcode),
            "ResultDealer": str(dealer),
            "ResultDeal": str(deal),
            "ResultOrder": str(order),
            "ResultVolume": result["Volume"],
            "ResultVolumeExt": result["VolumeExt"],
            "ResultPrice": str(price),
            "ResultComment": comment,
            "Position": str(position_ticket),
        }
    )
    request.events.append({"result": result, "answer": answer})
    request.done = True


def dealer_get_request_result(call: Call) -> Any:
    session = call.session
    session.expire_requests(call.result_ttl)
    if not call.extra.get("hold"):
        for request in list(session.requests.values()):
            if not request.done:
                execute_dealer_request(call.world, request, session.login)
    ids = split_list(call.get("id"))
    if not ids:
        return {str(r.id): r.events for r in session.requests.values() if r.events}
    wanted = parse_logins(ids)
    known = {i: session.requests[i] for i in wanted if i in session.requests}
    if not known:
        raise ApiError(13, "no such request on this connection")
    return {str(i): r.events for i, r in known.items()}
