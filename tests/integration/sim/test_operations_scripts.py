"""What real Web API client scripts call, answered as a real server would: open orders (none: market
execution), orders in history (one per trade deal), paging with `total=0` or no `total`, the counts'
documented `Total`, the symbol list, and every user field surviving a write and a read."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from tests.integration.sim.conftest import all_strings, code, ok
from tests.integration.sim.test_endpoints import NEW_USER


def test_a_disable_then_delete_pending_orders_script_finds_nothing_to_delete(sim, client) -> None:
    login = sim.world.create_account("challenge\\phase1", balance="100000")
    sim.world.open_position(login, "EURUSD", "buy", "0.10")
    assert ok(client.post("/api/user/update", json={"Login": str(login), "Rights": "4"}))  # trading disabled
    assert ok(client.get("/api/order/get_total", params={"login": login})) == {"Total": "0"}
    assert ok(client.get("/api/order/get_page", params={"login": login, "offset": 0, "total": 100})) == []
    assert ok(client.get("/api/order/get_batch", params={"login": login})) == []
    assert ok(client.get("/api/order/get_batch", params={"group": "challenge\\*"})) == []
    assert code(client.get("/api/order/get", params={"ticket": 7})) == 13
    assert code(client.get("/api/order/delete", params={"ticket": "73339,73340"})) == 13
    assert code(client.post("/api/order/cancel", json=[1012, 4034])) == 13
    assert code(client.get("/api/order/delete")) == 3
    assert code(client.get("/api/order/get_total", params={"login": 1})) == 13  # no such account


def test_orders_in_history_are_the_filled_orders_behind_the_deals(sim, client) -> None:
    world = sim.world
    login = world.create_account("challenge\\phase1", balance="100000")
    ticket = world.open_position(login, "EURUSD", "buy", "1")
    world.clock.advance(timedelta(minutes=5))
    world.close_position(login, ticket)
    now = world.server_time()
    deals = ok(client.get("/api/deal/get_batch", params={"login": login, "from": 0, "to": now}))
    trades = [d for d in deals if d["Action"] in ("0", "1")]
    window = {"login": login, "from": 0, "to": now}
    assert ok(client.get("/api/history/get_total", params=window)) == {"Total": str(len(trades))}
    orders = ok(client.get("/api/history/get_page", params={**window, "offset": 0, "total": 100}))
    assert [o["Order"] for o in orders] == [d["Order"] for d in trades]
    assert all_strings(orders)
    first = orders[0]
    assert first["State"] == "4" and first["Type"] == "0" and first["PositionID"] == str(ticket)
    assert first["VolumeInitial"] == "10000" and first["VolumeCurrent"] == "0"
    assert first["TimeDone"] == trades[0]["Time"] and first["PriceOrder"] == trades[0]["Price"]
    assert orders[1]["Type"] == "1"  # the closing sell
    assert ok(client.get("/api/history/get", params={"ticket": first["Order"]})) == first
    assert ok(client.get("/api/history/get_batch", params={"ticket": first["Order"]})) == [first]
    assert len(ok(client.get("/api/history/get_batch", params={"group": "challenge\\*", "from": 0, "to": now}))) == 2
    assert code(client.get("/api/history/get", params={"ticket": 999_999})) == 13
    assert code(client.get("/api/history/get_total", params={"login": login})) == 3  # from and to required


def test_paging_with_total_zero_or_absent_never_hides_records(sim, client) -> None:
    world = sim.world
    login = world.create_account("challenge\\phase1", balance="100000")
    tickets = [world.open_position(login, "EURUSD", "buy", "0.01") for _ in range(3)]
    for params in ({"offset": 0, "total": 0}, {"offset": 0}, {}):
        page = ok(client.get("/api/position/get_page", params={"login": login, **params}))
        assert [p["Position"] for p in page] == [str(t) for t in tickets], params
    assert len(ok(client.get("/api/position/get_batch", params={"login": login, "total": 0}))) == 3
    assert len(ok(client.get("/api/position/get_page", params={"login": login, "offset": 2, "total": 0}))) == 1
    many = world.create_account("challenge\\phase1", balance="1000000")
    for _ in range(120):
        world.open_position(many, "EURUSD", "buy", "0.01")
    assert len(ok(client.get("/api/position/get_page", params={"login": many, "total": 0}))) == 100  # the cap


def test_counts_use_the_documented_total_key(sim, client) -> None:
    login = sim.world.create_account("challenge\\phase1", balance="100000")
    for path, params in (
        ("/api/position/get_total", {"login": login}),
        ("/api/order/get_total", {"login": login}),
        ("/api/deal/get_total", {"login": login, "from": 0, "to": sim.world.server_time()}),
        ("/api/symbol/total", {}),
        ("/api/user/total", {}),
    ):
        answer = ok(client.get(path, params=params))
        assert list(answer) == ["Total"] and answer["Total"].isdigit(), path


def test_symbol_maintenance_scripts_can_list_count_and_walk_the_symbols(sim, client) -> None:
    names = ok(client.get("/api/symbol/list"))
    assert names == sorted(sim.world.market.specs) and "EURUSD" in names
    assert ok(client.get("/api/symbol/total")) == {"Total": str(len(names))}
    walked = [ok(client.get("/api/symbol/next", params={"index": i}))["Symbol"] for i in range(len(names))]
    assert walked == names
    two = ok(client.get("/api/symbol/next", params={"index": 0, "count": 2}))
    assert [s["Symbol"] for s in two] == names[:2]
    assert ok(client.get("/api/symbol/get", params={"symbol": names[0]})) == two[0]
    assert code(client.get("/api/symbol/next", params={"index": len(names)})) == 13
    assert code(client.get("/api/symbol/next")) == 3


def test_every_user_field_survives_a_write_and_a_read(sim, client) -> None:
    fields = {
        "MQID": "A1B2C3D4", "TradeAccounts": "ECN=1001", "LimitOrders": "50", "LimitPositions": "20",
        "Country": "Czechia", "City": "Prague", "State": "CZ", "ZIPCode": "11000", "Address": "Main 1",
        "Phone": "+420123", "ID": "P-77", "Status": "verified", "Company": "Ada Ltd", "Account": "ACC-9",
        "MiddleName": "B", "Language": "2", "Color": "255", "Agent": "0", "LeadSource": "ads",
        "LeadCampaign": "winter",
    }
    user = ok(client.post("/api/user/add", json={**NEW_USER, **fields}))
    stored = ok(client.get("/api/user/get", params={"login": user["Login"]}))
    assert {k: stored[k] for k in fields} == fields
    changed = {"MQID": "FFEE0011", "LimitPositions": "5", "City": "Brno"}
    ok(client.post("/api/user/update", json={"Login": user["Login"], **changed}))
    again = ok(client.get("/api/user/get", params={"login": user["Login"]}))
    assert {k: again[k] for k in changed} == changed
    assert again["Country"] == "Czechia"  # what the update did not name stays
    by_query = ok(client.get("/api/user/update", params={"login": user["Login"], "mqid": "00AA"}))
    assert by_query["MQID"] == "00AA"


def test_daily_reports_give_each_days_end_of_day_balance_and_its_movements(sim, client) -> None:
    world = sim.world
    login = world.create_account("challenge\\phase1", balance="100000")
    world.clock.advance(timedelta(hours=1))
    ticket = world.open_position(login, "EURUSD", "buy", "1")
    world.clock.advance(timedelta(hours=1))
    world.close_position(login, ticket)
    world.balance(login, "-500", 2, "payout 1")
    held = world.open_position(login, "XAUUSD", "sell", "0.10")  # open over the rollover
    world.clock.advance(timedelta(days=2))  # two server midnights
    world.settle()
    window = {"login": login, "from": 0, "to": world.server_time()}
    reports = ok(client.get("/api/daily/get", params=window))
    assert len(reports) == 2 and all_strings(reports)
    first, second = reports
    deals = ok(client.get("/api/deal/get_batch", params=window))
    out = next(d for d in deals if d["Entry"] == "1")
    assert first["DailyProfit"] == out["Profit"] and first["DailyBalance"] == "99500.00"  # deposit, payout
    assert first["Balance"] == ok(client.get("/api/user/get", params={"login": login}))["Balance"]
    assert first["BalancePrevDay"] == "100000.00"  # as the account was opened
    assert second["BalancePrevDay"] == first["Balance"] and second["DailyProfit"] == "0.00"
    assert int(second["DatetimePrev"]) < int(second["Timestamp"]) // 10_000_000 - 11_644_473_600
    assert [p["Position"] for p in first["PositionAdd"]] == [str(held)] and first["OrderAdd"] == []
    equity = sum(Decimal(first[k]) for k in ("Balance", "Credit", "Profit", "ProfitStorage"))
    assert Decimal(first["ProfitEquity"]) == equity
    light = ok(client.get("/api/daily/get_light", params=window))
    assert "PositionAdd" not in light[0] and light[0]["Balance"] == first["Balance"]
    batch = ok(client.get("/api/daily/get_batch", params={**window, "login": f"{login},1"}))
    assert [r["Timestamp"] for r in batch] == [r["Timestamp"] for r in reports]
    page = ok(client.get("/api/daily/get_page", params={**window, "offset": 1, "total": 0}))
    assert [r["Timestamp"] for r in page] == [second["Timestamp"]]
    assert ok(client.get("/api/daily/get", params={**window, "to": 0})) == []
    assert code(client.get("/api/daily/get", params={"login": login})) == 3  # from and to required


def test_offset_past_the_end_is_an_empty_page_not_an_error(sim, client) -> None:
    login = sim.world.create_account("challenge\\phase1", balance="100000")
    sim.world.open_position(login, "EURUSD", "buy", "0.01")
    assert ok(client.get("/api/position/get_page", params={"login": login, "offset": 5, "total": 10})) == []
    window = {"login": login, "from": 0, "to": sim.world.server_time(), "offset": 9, "total": 10}
    assert ok(client.get("/api/deal/get_page", params=window)) == []
    assert ok(client.get("/api/history/get_page", params=window)) == []
