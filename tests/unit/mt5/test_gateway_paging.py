"""Group pages for positions and deals stay correct when a server ignores `offset`/`total`."""

from __future__ import annotations

import httpx
from propfirm.mt5.webapi import GatewayOptions, WebApiGateway

from tests.unit.mt5.test_transport import Peer, transport_for


def position(ticket: int) -> dict[str, str]:
    return {
        "Position": str(ticket),
        "Login": "5",
        "Symbol": "EURUSD",
        "Action": "0",
        "Volume": "100",
        "PriceOpen": "1.1",
        "TimeCreate": "1767607200",
    }


def gateway_over(peer: Peer, page_size: int) -> WebApiGateway:
    peer.routes["/api/time/get"] = lambda r: httpx.Response(
        200, json={"retcode": "0 Done", "answer": {"TimeZone": "120", "Daylight": "0", "DaylightState": "0"}}
    )
    return WebApiGateway(transport_for(peer), "s", GatewayOptions(page_size=page_size))


def test_a_server_answering_everything_at_once_is_read_once() -> None:
    peer = Peer()
    peer.routes["/api/position/get_batch"] = lambda r: httpx.Response(
        200, json={"retcode": "0 Done", "answer": [position(t) for t in range(1, 6)]}
    )
    gateway = gateway_over(peer, page_size=2)
    assert [p.ticket for p in gateway.positions(["g"])] == [1, 2, 3, 4, 5]
    assert [r.url.path for r in peer.log].count("/api/position/get_batch") == 1


def test_a_server_repeating_the_same_page_is_not_read_forever() -> None:
    peer = Peer()
    peer.routes["/api/position/get_batch"] = lambda r: httpx.Response(
        200, json={"retcode": "0 Done", "answer": [position(1), position(2)]}
    )
    gateway = gateway_over(peer, page_size=2)
    assert [p.ticket for p in gateway.positions(["g"])] == [1, 2]
    assert [r.url.path for r in peer.log].count("/api/position/get_batch") == 2


def test_a_paging_server_is_read_page_by_page() -> None:
    peer = Peer()
    records = [position(t) for t in range(1, 6)]

    def page(request: httpx.Request) -> httpx.Response:
        offset, total = int(request.url.params["offset"]), int(request.url.params["total"])
        assert request.url.params["group"] == "g"
        return httpx.Response(200, json={"retcode": "0 Done", "answer": records[offset : offset + total]})

    peer.routes["/api/position/get_batch"] = page
    gateway = gateway_over(peer, page_size=2)
    assert [p.ticket for p in gateway.positions(["g"])] == [1, 2, 3, 4, 5]
    assert [r.url.path for r in peer.log].count("/api/position/get_batch") == 3


def test_group_reads_ask_for_a_groups_positions_in_one_request_without_paging() -> None:
    peer = Peer()

    def whole(request: httpx.Request) -> httpx.Response:
        assert "offset" not in request.url.params and "total" not in request.url.params
        tickets = [1, 2, 3, 2, 4, 5]  # a server repeating a record: read once
        return httpx.Response(200, json={"retcode": "0 Done", "answer": [position(t) for t in tickets]})

    peer.routes["/api/position/get_batch"] = whole
    peer.routes["/api/time/get"] = lambda r: httpx.Response(
        200, json={"retcode": "0 Done", "answer": {"TimeZone": "120", "Daylight": "0", "DaylightState": "0"}}
    )
    gateway = WebApiGateway(transport_for(peer), "s", GatewayOptions(page_size=2, account_reads="group"))
    assert [p.ticket for p in gateway.positions(["g"])] == [1, 2, 3, 4, 5]
    assert [r.url.path for r in peer.log].count("/api/position/get_batch") == 1
