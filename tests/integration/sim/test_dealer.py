"""Dealer requests: TA_DEALER_POS_EXECUTE opens and closes, results live on the connection."""

from __future__ import annotations

from decimal import Decimal

from tests.integration.sim.conftest import code, login, new_client, ok


def send(client, body: dict) -> str:
    return ok(client.post("/api/dealer/send_request", json=body))["ID"]


def result(client, request_id: str) -> dict:
    events = ok(client.get("/api/dealer/get_request_result", params={"id": request_id}))[request_id]
    assert len(events) == 1
    return events[0]


def test_open_and_close_a_position(sim, client) -> None:
    world = sim.world
    account = world.create_account("challenge\\phase1", balance="100000")
    world.set_price("EURUSD", "1.10000")
    open_id = send(
        client,
        {
            "Action": "200",
            "SourceLogin": str(sim.manager_login),
            "Login": str(account),
            "Symbol": "EURUSD",
            "Type": "0",
            "Volume": "10000",
            "PriceOrder": "1.10012",
            "TypeFill": "0",
            "Digits": "5",
        },
    )
    opened = result(client, open_id)
    assert opened["result"]["Retcode"] == "10009" and opened["answer"]["ResultRetcode"] == "10009"
    ticket = opened["answer"]["Position"]
    assert ticket == opened["result"]["OrderID"] and int(ticket) in world.account(account).positions
    world.set_price("EURUSD", "1.10212")
    close_id = send(
        client,
        {
            "Action": "200",
            "SourceLogin": str(sim.manager_login),
            "Login": str(account),
            "Symbol": "EURUSD",
            "Type": "1",
            "Volume": "10000",
            "Position": ticket,
            "PriceOrder": "1.10212",
            "TypeFill": "0",
            "Digits": "5",
        },
    )
    closed = result(client, close_id)
    assert closed["result"]["Retcode"] == "10009" and closed["result"]["Price"] == "1.10212"
    deal = ok(client.get("/api/deal/get", params={"ticket": closed["result"]["DealID"]}))
    assert deal["Entry"] == "1" and deal["Profit"] == "200.00" and deal["PositionID"] == ticket
    assert world.account(account).positions == ()
    assert world.account(account).balance == Decimal("100000") + Decimal("200") - Decimal("7.00")


def test_request_errors_come_back_as_results(sim, client) -> None:
    world = sim.world
    account = world.create_account("challenge\\phase1", balance="100000")
    base = {"Action": "200", "Login": str(account), "Symbol": "EURUSD", "Type": "0", "Volume": "10000"}
    assert result(client, send(client, {**base, "Position": "777"}))["result"]["Retcode"] == "10036"
    assert result(client, send(client, {**base, "Volume": "0"}))["result"]["Retcode"] == "10014"
    assert result(client, send(client, {**base, "Symbol": "NOPE"}))["result"]["Retcode"] == "10013"
    assert result(client, send(client, {**base, "Volume": "100000000"}))["result"]["Retcode"] == "10019"
    assert result(client, send(client, {**base, "Login": "4"}))["result"]["Retcode"] == "10013"
    assert code(client.post("/api/dealer/send_request", json={**base, "Action": "1"})) == 3
    assert code(client.post("/api/dealer/send_request", content=b"not json")) == 3


def test_trade_disabled_cannot_open_but_a_dealer_close_works(sim, client) -> None:
    world = sim.world
    account = world.create_account("challenge\\phase1", balance="100000")
    ticket = world.open_position(account, "GBPUSD", "sell", "2")
    ok(client.get("/api/user/update", params={"login": account, "rights": 0x163 | 0x4}))
    base = {"Action": "200", "Login": str(account), "Symbol": "GBPUSD", "Volume": "20000"}
    refused = result(client, send(client, {**base, "Type": "0"}))
    assert refused["result"]["Retcode"] == "10017"
    closed = result(client, send(client, {**base, "Type": "0", "Position": str(ticket)}))
    assert closed["result"]["Retcode"] == "10009"
    assert world.account(account).positions == ()


def test_partial_close_and_oversized_close(sim, client) -> None:
    world = sim.world
    account = world.create_account("challenge\\phase1", balance="100000")
    ticket = world.open_position(account, "EURUSD", "buy", "1")
    base = {"Action": "200", "Login": str(account), "Symbol": "EURUSD", "Type": "1", "Position": str(ticket)}
    assert result(client, send(client, {**base, "Volume": "20000"}))["result"]["Retcode"] == "10038"
    assert result(client, send(client, {**base, "VolumeExt": "40000000"}))["result"]["Retcode"] == "10009"
    position = ok(client.get("/api/position/get_batch", params={"ticket": ticket}))[0]
    assert position["Volume"] == "6000"


def test_results_belong_to_the_connection(sim, client) -> None:
    account = sim.world.create_account("challenge\\phase1", balance="100000")
    request_id = send(
        client, {"Action": "200", "Login": str(account), "Symbol": "EURUSD", "Type": "0", "Volume": "100"}
    )
    everything = ok(client.get("/api/dealer/get_request_result"))
    assert list(everything) == [request_id]
    with new_client(sim) as other:
        login(other, sim.manager_login, sim.manager_password)
        assert code(other.get("/api/dealer/get_request_result", params={"id": request_id})) == 13


def test_queue_limit_and_pending_results(sim, client) -> None:
    account = sim.world.create_account("challenge\\phase1", balance="1000000")
    sim.faults.hold_dealer_requests()
    body = {"Action": "200", "Login": str(account), "Symbol": "EURUSD", "Type": "0", "Volume": "100"}
    ids = [send(client, body) for _ in range(128)]
    assert ok(client.get("/api/dealer/get_request_result", params={"id": ids[0]})) == {ids[0]: []}
    assert code(client.post("/api/dealer/send_request", json=body)) == 10024
    sim.faults.clear()
    done = ok(client.get("/api/dealer/get_request_result", params={"id": ",".join(ids[:3])}))
    assert [events[0]["result"]["Retcode"] for events in done.values()] == ["10009"] * 3
    assert len(sim.world.account(account).positions) == 128
    assert code(client.post("/api/dealer/send_request", json=body)) == 0
