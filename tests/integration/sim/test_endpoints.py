"""Each endpoint's record shape (documented field names, numbers as strings) and return codes."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from decimal import Decimal

from tests.integration.sim.conftest import all_strings, code, ok

USER_FIELDS = {
    "Login",
    "Group",
    "Rights",
    "Registration",
    "Name",
    "FirstName",
    "LastName",
    "Email",
    "Comment",
    "Leverage",
    "Balance",
    "Credit",
    "BalancePrevDay",
    "EquityPrevDay",
    "BalancePrevMonth",
    "EquityPrevMonth",
    "LeadSource",
    "LeadCampaign",
    "ApiData",
}
ACCOUNT_FIELDS = {
    "Login",
    "CurrencyDigits",
    "Balance",
    "Credit",
    "Margin",
    "MarginFree",
    "MarginLevel",
    "MarginLeverage",
    "Profit",
    "Storage",
    "Floating",
    "Equity",
    "SOActivation",
    "BlockedCommission",
}
POSITION_FIELDS = {
    "Position",
    "Login",
    "Symbol",
    "Action",
    "Digits",
    "ContractSize",
    "TimeCreate",
    "TimeUpdate",
    "TimeCreateMsc",
    "PriceOpen",
    "PriceCurrent",
    "Volume",
    "VolumeExt",
    "Profit",
    "Storage",
    "Reason",
    "Comment",
}
DEAL_FIELDS = {
    "Deal",
    "Login",
    "Order",
    "Action",
    "Entry",
    "Reason",
    "Time",
    "TimeMsc",
    "Symbol",
    "Price",
    "PricePosition",
    "Volume",
    "VolumeExt",
    "Profit",
    "Storage",
    "Commission",
    "PositionID",
    "Comment",
    "ContractSize",
    "Digits",
}
NEW_USER = {
    "PassMain": "Main#Pass1",
    "PassInvestor": "Inv#Pass12",
    "Group": "challenge\\phase1",
    "Leverage": "100",
    "FirstName": "Ada",
    "LastName": "Lovelace",
    "Email": "ada@example.com",
    "Rights": "483",
    "Comment": "challenge 17",
}


def test_user_add_allocates_a_login_and_returns_the_user(sim, client) -> None:
    user = ok(client.post("/api/user/add", json=NEW_USER))
    assert USER_FIELDS <= set(user) and all_strings(user)
    assert user["Group"] == "challenge\\phase1" and user["FirstName"] == "Ada" and user["Rights"] == "483"
    assert user["Balance"] == "0.00" and user["Leverage"] == "100" and int(user["Login"]) > 0
    assert ok(client.get("/api/user/get", params={"login": user["Login"]})) == user
    assert ok(client.get("/api/user/total")) == {"Total": "1"}
    assert ok(client.get("/api/user/group", params={"login": user["Login"]})) == {
        "Group": "challenge\\phase1"
    }


def test_user_add_return_codes(sim, client) -> None:
    assert code(client.post("/api/user/add", json={**NEW_USER, "Group": "nowhere\\x"})) == 8
    assert code(client.post("/api/user/add", json={**NEW_USER, "Login": "555001"})) == 0
    assert code(client.post("/api/user/add", json={**NEW_USER, "Login": "555001"})) == 3004
    assert code(client.post("/api/user/add", json={**NEW_USER, "PassMain": "short"})) == 3006
    assert code(client.post("/api/user/add", json={**NEW_USER, "PassMain": "nosymbols123A"})) == 3006
    assert code(client.post("/api/user/add", json={**NEW_USER, "Leverage": "900"})) == 3
    no_name = {k: v for k, v in NEW_USER.items() if k not in ("FirstName", "LastName")}
    assert code(client.post("/api/user/add", json=no_name)) == 3
    assert code(client.post("/api/user/add", json={k: v for k, v in NEW_USER.items() if k != "Group"})) == 3


def test_user_add_from_the_query_string(sim, client) -> None:
    user = ok(
        client.get(
            "/api/user/add",
            params={
                "group": "challenge\\phase2",
                "name": "Query User",
                "leverage": 50,
                "pass_main": "Main#Pass1",
            },
        )
    )
    assert user["Group"] == "challenge\\phase2" and user["Leverage"] == "50" and user["Name"] == "Query User"


def test_user_update_moves_groups_and_changes_rights(sim, client) -> None:
    login = sim.world.create_account("challenge\\phase1", balance="100000")
    moved = ok(client.get("/api/user/update", params={"login": login, "group": "challenge\\phase2"}))
    assert moved["Group"] == "challenge\\phase2"
    assert sim.world.account(login).group == "challenge\\phase2"
    disabled = ok(client.post("/api/user/update", params={"login": login}, json={"Rights": str(0x163 | 0x4)}))
    assert int(disabled["Rights"]) & 0x4
    assert code(client.get("/api/user/update", params={"login": 999999, "rights": 1})) == 13
    assert code(client.get("/api/user/update", params={"login": login, "group": "missing\\g"})) == 8
    assert code(client.get("/api/user/get", params={"login": 999999})) == 13
    assert code(client.get("/api/user/get")) == 3


def test_group_escaping_in_the_query(sim, client) -> None:
    sim.world.create_account("challenge\\phase1", balance="1000")
    plain = ok(client.get("/api/user/logins", params={"group": "challenge\\phase1"}))
    escaped = ok(client.get("/api/user/logins", params={"group": "challenge\\\\phase1"}))
    assert plain == escaped and len(plain) == 1 and all_strings(plain)


def test_batches_by_login_and_group_masks(sim, client) -> None:
    world = sim.world
    a = world.create_account("challenge\\phase1", balance="100000")
    b = world.create_account("challenge\\phase2", balance="50000")
    c = world.create_account("funded\\standard", balance="200000")
    users = ok(client.get("/api/user/get_batch", params={"login": f"{a},{b},424242"}))
    assert [u["Login"] for u in users] == [str(a), str(b)]
    by_mask = ok(client.get("/api/user/get_batch", params={"group": "challenge\\*"}))
    assert {u["Login"] for u in by_mask} == {str(a), str(b)}
    excluded = ok(client.get("/api/user/logins", params={"group": "*,!challenge\\phase2"}))
    assert set(excluded) == {str(a), str(c)}
    states = ok(client.get("/api/user/account/get_batch", params={"group": "funded\\*"}))
    assert len(states) == 1 and ACCOUNT_FIELDS <= set(states[0]) and all_strings(states[0])
    assert states[0]["Balance"] == "200000.00" and states[0]["Equity"] == "200000.00"
    assert code(client.get("/api/user/get_batch", params={"login": a, "group": "*"})) == 3
    assert code(client.get("/api/user/get_batch")) == 3
    paged = ok(client.get("/api/user/account/get_batch", params={"group": "*", "offset": 1, "total": 1}))
    assert len(paged) == 1
    post_body = ok(client.post("/api/user/account/get_batch", json={"login": [a, c]}))
    assert [s["Login"] for s in post_body] == [str(a), str(c)]


def test_account_state_follows_prices(sim, client) -> None:
    world = sim.world
    login = world.create_account("challenge\\phase1", balance="100000")
    world.set_price("EURUSD", "1.10000")
    world.open_position(login, "EURUSD", "buy", "1.00")  # at the ask 1.10012, commission 3.50
    world.set_price("EURUSD", "1.10512")
    state = ok(client.get("/api/user/account/get", params={"login": login}))
    assert state["Balance"] == "99996.50"
    assert state["Profit"] == "500.00" and state["Floating"] == "500.00"
    assert state["Equity"] == "100496.50"
    assert Decimal(state["Margin"]) == Decimal("1105.12")  # 100,000 EUR at 1.10512 / 100
    assert code(client.get("/api/user/account/get", params={"login": 12345})) == 13


def test_positions_endpoints(sim, client) -> None:
    world = sim.world
    login = world.create_account("challenge\\phase1", balance="100000")
    tickets = [
        world.open_position(login, "EURUSD", "buy", "0.10"),
        world.open_position(login, "XAUUSD", "sell", "1"),
    ]
    batch = ok(client.get("/api/position/get_batch", params={"login": login}))
    assert [p["Position"] for p in batch] == [str(t) for t in tickets]
    assert POSITION_FIELDS <= set(batch[0]) and all_strings(batch)
    assert batch[0]["Volume"] == "1000" and batch[0]["VolumeExt"] == "10000000" and batch[0]["Action"] == "0"
    assert batch[1]["ContractSize"] == "100.00" and batch[1]["Action"] == "1"
    assert ok(client.get("/api/position/get_batch", params={"ticket": tickets[1]}))[0]["Symbol"] == "XAUUSD"
    assert (
        len(ok(client.get("/api/position/get_batch", params={"group": "challenge\\*", "symbol": "EURUSD"})))
        == 1
    )
    assert ok(client.get("/api/position/get_total", params={"login": login})) == {"Total": "2"}
    page = ok(client.get("/api/position/get_page", params={"login": login, "offset": 1, "total": 500}))
    assert [p["Position"] for p in page] == [str(tickets[1])]
    assert code(client.get("/api/position/get_batch")) == 3


def test_deals_endpoints_in_server_time(sim, client) -> None:
    world = sim.world
    login = world.create_account("challenge\\phase1", balance="100000")
    ticket = world.open_position(login, "EURUSD", "buy", "1")
    world.clock.advance(timedelta(minutes=5))
    world.close_position(login, ticket)
    server_now = world.server_time()
    # the server's zone is New York + 7 h: GMT+2 on 2 March 2026
    assert server_now - int(world.clock.now().timestamp()) == 2 * 3600
    deals = ok(client.get("/api/deal/get_batch", params={"login": login, "from": 0, "to": server_now}))
    assert [d["Entry"] for d in deals] == ["0", "0", "1"]  # balance, IN, OUT
    assert DEAL_FIELDS <= set(deals[1]) and all_strings(deals)
    assert deals[0]["Action"] == "2" and deals[0]["Profit"] == "100000.00"
    assert deals[1]["PositionID"] == deals[2]["PositionID"] == str(ticket)
    assert deals[2]["Time"] == str(server_now)
    assert code(client.get("/api/deal/get_batch", params={"login": login})) == 3
    later = ok(
        client.get("/api/deal/get_batch", params={"group": "*", "from": server_now - 60, "to": server_now})
    )
    assert [d["Entry"] for d in later] == ["1"]
    assert ok(client.get("/api/deal/get_total", params={"login": login, "from": 0, "to": server_now})) == {
        "Total": "3"
    }
    page = ok(
        client.get(
            "/api/deal/get_page",
            params={"login": login, "from": 0, "to": server_now, "offset": 2, "total": 100},
        )
    )
    assert [d["Deal"] for d in page] == [deals[2]["Deal"]]
    assert ok(client.get("/api/deal/get", params={"ticket": deals[2]["Deal"]})) == deals[2]
    assert code(client.get("/api/deal/get", params={"ticket": 1})) == 13


def test_balance_operations(sim, client) -> None:
    login = sim.world.create_account("challenge\\phase1", balance="1000")
    answer = ok(
        client.get(
            "/api/trade/balance",
            params={"login": login, "type": 2, "balance": "250.50", "comment": "deposit"},
        )
    )
    assert set(answer) == {"Ticket"} and answer["Ticket"].isdigit()
    assert sim.world.account(login).balance == Decimal("1250.50")
    assert (
        code(client.get("/api/trade/balance", params={"login": login, "type": 2, "balance": "-5000"}))
        == 10019
    )
    assert code(client.get("/api/trade/balance", params={"login": login, "type": 99, "balance": "1"})) == 3
    assert (
        code(
            client.get(
                "/api/trade/balance", params={"login": login, "type": 2, "balance": "1", "comment": "x" * 32}
            )
        )
        == 3
    )
    assert (
        code(client.get("/api/trade/balance", params={"login": login, "type": 2, "balance": "2e9"})) == 4005
    )
    assert code(client.get("/api/trade/balance", params={"login": 1, "type": 2, "balance": "1"})) == 13
    ok(client.get("/api/trade/balance", params={"login": login, "type": 3, "balance": "500"}))
    assert sim.world.account(login).credit == Decimal("500")
    deal = ok(client.get("/api/deal/get", params={"ticket": answer["Ticket"]}))
    assert deal["Action"] == "2" and deal["Profit"] == "250.50" and deal["Comment"] == "deposit"


def test_groups_time_and_common(sim, client) -> None:
    group = ok(client.get("/api/group/get", params={"group": "challenge\\phase1"}))
    assert group["Group"] == "challenge\\phase1" and group["Currency"] == "USD" and group["MarginMode"] == "2"
    assert all_strings({k: v for k, v in group.items() if k not in ("Commissions", "Symbols")})
    groups = ok(client.get("/api/group/get", params={"mask": "challenge\\*"}))
    assert [g["Group"] for g in groups] == ["challenge\\phase1", "challenge\\phase2"]
    assert code(client.get("/api/group/get", params={"group": "nope"})) == 13
    time_config = ok(client.get("/api/time/get"))
    assert time_config["TimeZone"] == "120" and time_config["Daylight"] == "1"
    assert time_config["DaylightState"] == "0"  # 2 March: New York is on standard time
    server = ok(client.get("/api/time/server"))["Time"]
    assert server == f"{sim.world.server_time()} 2026.03.02 12:00:00"
    sim.world.clock.advance(timedelta(days=10))  # past the US switch to summer time on 8 March
    summer = ok(client.get("/api/time/get"))
    assert summer["TimeZone"] == "120" and summer["DaylightState"] == "1"
    assert ok(client.get("/api/time/server"))["Time"].endswith("2026.03.12 13:00:00")  # GMT+3 now
    common = ok(client.get("/api/common/get"))
    assert common["TotalUsers"] == "0" and "LimitAccounts" in common


def test_group_configuration_add_change_list_and_delete(sim, client) -> None:
    body = {"Group": "contract\\netting", "Currency": "EUR", "MarginMode": "0", "DemoLeverage": "30",
            "MarginStopOut": "30.00", "Commissions": [{"Tiers": [{"Mode": "1", "Value": "2.50"}]}]}
    made = ok(client.post("/api/group/add", json=body))
    assert (made["Group"], made["Currency"], made["MarginMode"], made["DemoLeverage"], made["MarginStopOut"]) == (
        "contract\\netting", "EUR", "0", "30", "30.00")
    assert made["Commissions"][0]["Tiers"][0]["Value"] == "2.50"
    changed = ok(client.post("/api/group/add", json={"Group": "contract\\netting", "LimitPositions": "5"}))
    assert (changed["LimitPositions"], changed["Currency"]) == ("5", "EUR")  # the rest kept
    total = int(ok(client.get("/api/group/total"))["Total"])
    assert total == len(sim.world.groups) and total >= 2
    names = [ok(client.get("/api/group/next", params={"index": i}))["Group"] for i in range(total)]
    assert names == sorted(names) and "contract\\netting" in names
    assert code(client.get("/api/group/next", params={"index": total})) == 13
    login = sim.world.create_account("contract\\netting", balance="1000")
    # a group holding accounts keeps what their money was booked under, and is not deleted
    assert code(client.post("/api/group/add", json={"Group": "contract\\netting", "Currency": "USD"})) == 3
    assert code(client.get("/api/group/delete", params={"group": "contract\\netting"})) == 3
    assert code(client.post("/api/group/add", json={"Group": "x", "MarginMode": "1"})) == 3
    sim.world.delete_account(login)
    assert client.get("/api/group/delete", params={"group": "contract\\netting"}).json()["retcode"] == "0 Done"
    assert code(client.get("/api/group/get", params={"group": "contract\\netting"})) == 13
    assert code(client.get("/api/group/delete", params={"group": "contract\\netting"})) == 13


def test_unknown_path_is_404_json(sim, client) -> None:
    response = client.get("/api/no/such")
    assert response.status_code == 404 and response.json()["retcode"].startswith("11 ")


def test_passwords_and_delete(sim, client) -> None:
    user = ok(client.post("/api/user/add", json=NEW_USER))
    login = user["Login"]
    check = {"login": login, "type": "main"}
    assert code(client.post("/api/user/check_password", params=check, json={"password": "Main#Pass1"})) == 0
    assert (
        code(client.post("/api/user/check_password", params=check, json={"password": "Nope#Pass1"})) == 3006
    )
    assert ok(client.post("/api/user/change_password", params=check, json={"password": "New#Pass99"})) is None
    assert code(client.post("/api/user/check_password", params=check, json={"password": "New#Pass99"})) == 0
    assert code(client.post("/api/user/change_password", params=check, json={"password": "weak"})) == 3006
    investor = {"login": login, "type": "investor"}
    assert (
        code(client.post("/api/user/check_password", params=investor, json={"password": "Inv#Pass12"})) == 0
    )
    assert (
        code(
            client.post(
                "/api/user/change_password",
                params={"login": login, "type": "x"},
                json={"password": "New#Pass99"},
            )
        )
        == 3
    )
    assert (
        code(client.post("/api/user/change_password", params={"login": 1}, json={"password": "A#bcdef12"}))
        == 13
    )
    busy = sim.world.create_account("challenge\\phase1", balance="1000")
    sim.world.open_position(busy, "EURUSD", "buy", "0.01")
    assert code(client.get("/api/user/delete", params={"login": busy})) == 3008
    assert ok(client.get("/api/user/delete", params={"login": login})) is None
    assert code(client.get("/api/user/get", params={"login": login})) == 13
    assert code(client.get("/api/user/delete", params={"login": login})) == 13


def test_symbols_and_incremental_quotes(sim, client) -> None:
    eurusd = ok(client.get("/api/symbol/get", params={"symbol": "EURUSD"}))
    assert (
        eurusd["ContractSize"] == "100000.00"
        and eurusd["Digits"] == "5"
        and eurusd["Path"] == "Forex\\Major\\EURUSD"
    )
    gold = ok(client.get("/api/symbol/get", params={"symbol": "XAUUSD"}))
    assert gold["ContractSize"] == "100.00" and gold["Digits"] == "2"
    majors = ok(client.get("/api/symbol/get", params={"symbol": "Forex\\Major\\*,!USDJPY"}))
    assert [s["Symbol"] for s in majors] == ["EURUSD", "GBPUSD"]
    assert code(client.get("/api/symbol/get", params={"symbol": "NOPE"})) == 13
    sim.world.set_price("EURUSD", "1.11111")
    first = client.get("/api/tick/last", params={"symbol": "EURUSD,GBPUSD", "trans_id": 0}).json()
    assert first["retcode"] == "0 Done" and first["trans_id"].isdigit()
    assert [t["Symbol"] for t in first["answer"]] == ["EURUSD", "GBPUSD"]
    assert first["answer"][0]["Bid"] == "1.11111" and first["answer"][0]["Ask"] == "1.11123"
    assert all_strings(first["answer"])
    unchanged = client.get(
        "/api/tick/last", params={"symbol": "EURUSD,GBPUSD", "trans_id": first["trans_id"]}
    )
    assert unchanged.json()["answer"] == []
    sim.world.set_price("GBPUSD", "1.30000")
    changed = client.get("/api/tick/last", params={"symbol": "EURUSD,GBPUSD", "trans_id": first["trans_id"]})
    assert [t["Symbol"] for t in changed.json()["answer"]] == ["GBPUSD"]
    assert code(client.get("/api/tick/last")) == 3


def test_symbol_configuration_add_from_a_source_change_and_delete(sim, client) -> None:
    body = {"Symbol": "EURUSD.pro", "Source": "EURUSD", "Path": "Forex\\Pro\\EURUSD.pro", "Spread": "2",
            "SwapLong": "-3.10"}
    made = ok(client.post("/api/symbol/add", json=body))
    assert (made["Symbol"], made["Path"], made["Spread"], made["SwapLong"], made["Digits"]) == (
        "EURUSD.pro", "Forex\\Pro\\EURUSD.pro", "2", "-3.10", "5")
    assert made["ContractSize"] == "100000.00" and made["CurrencyProfit"] == "USD"  # the source's settings
    assert "EURUSD.pro" in ok(client.get("/api/symbol/list"))
    assert [s["Symbol"] for s in ok(client.get("/api/symbol/get", params={"symbol": "Forex\\Pro\\*"}))] == [
        "EURUSD.pro"]
    # quoted from the source's mid at its own spread, tick after tick
    market = sim.world.market
    for _ in range(3):
        sim.world.step()
        mid = market.bid("EURUSD") + market.specs["EURUSD"].spread / 2
        assert abs(market.bid("EURUSD.pro") + market.specs["EURUSD.pro"].spread / 2 - mid) <= Decimal("0.00001")
    quoted = ok(client.get("/api/tick/last", params={"symbol": "EURUSD.pro", "trans_id": 0}))
    assert quoted[0]["Bid"] == f"{market.bid('EURUSD.pro'):.5f}"
    # a symbol with open positions keeps what values them; its spread may change
    login = sim.world.create_account("challenge\\phase1", balance="10000")
    sim.world.open_position(login, "EURUSD.pro", "buy", "0.10")
    assert code(client.post("/api/symbol/add", json={"Symbol": "EURUSD.pro", "Digits": "4"})) == 3
    assert ok(client.post("/api/symbol/add", json={"Symbol": "EURUSD.pro", "Spread": "5"}))["Spread"] == "5"
    assert code(client.get("/api/symbol/delete", params={"symbol": "EURUSD.pro"})) == 3
    sim.world.close_all(login)
    # bad input and the market's own symbols
    assert code(client.post("/api/symbol/add", json={"Symbol": "NEW1"})) == 3  # no source to quote it
    assert code(client.post("/api/symbol/add", json={"Symbol": "NEW1", "Source": "EURUSD.pro"})) == 3
    assert code(client.post("/api/symbol/add", json={"Symbol": "NEW1", "Source": "EURUSD", "Digits": "x"})) == 3
    assert code(client.get("/api/symbol/delete", params={"symbol": "EURUSD"})) == 3
    assert code(client.get("/api/symbol/delete", params={"symbol": "NOPE"})) == 13
    assert client.get("/api/symbol/delete", params={"symbol": "EURUSD.pro"}).json()["retcode"] == "0 Done"
    assert code(client.get("/api/symbol/get", params={"symbol": "EURUSD.pro"})) == 13
    assert "EURUSD.pro" not in ok(client.get("/api/symbol/list"))


def test_an_added_symbol_leaves_the_market_paths_of_the_seed():
    from propfirm.sim.market import Market

    plain, extended = Market(seed=7), Market(seed=7)
    extended.configure(dataclasses.replace(extended.specs["XAUUSD"], name="GOLD", spread_points=10), "XAUUSD")
    for _ in range(50):
        plain.step()
        extended.step()
    assert all(plain.bid(name) == extended.bid(name) for name in plain.specs)
    assert extended.bid("GOLD") == plain.bid("XAUUSD") + plain.specs["XAUUSD"].spread / 2 - Decimal("0.05")


def test_chart_bars_of_the_bid_minute_by_minute(sim, client) -> None:
    world = sim.world
    start = world.server_time()
    first = start // 60 * 60
    for bid in ("1.10000", "1.09800", "1.10300", "1.10100"):  # four quotes in one minute
        world.set_price("EURUSD", bid)
    world.clock.advance(timedelta(minutes=1))
    world.set_price("EURUSD", "1.09500")
    bars = ok(client.get("/api/chart/get", params={"symbol": "EURUSD", "from": first, "to": first + 60,
                                                  "data": "dohlct"}))
    # the minute opened with the run's first quote (EURUSD's start bid), then the four set here
    assert bars == [[str(first), "1.08500", "1.10300", "1.08500", "1.10100", "5"],
                    [str(first + 60), "1.09500", "1.09500", "1.09500", "1.09500", "1"]]
    assert ok(client.get("/api/chart/get", params={"symbol": "EURUSD", "from": first + 60,
                                                  "to": first + 60}))[0] == [str(first + 60)] + ["1.09500"] * 4
    assert code(client.get("/api/chart/get", params={"symbol": "NOPE", "from": 0, "to": 1})) == 13
    assert code(client.get("/api/chart/get", params={"symbol": "EURUSD", "from": 5, "to": 1})) == 3
    assert code(client.get("/api/chart/get", params={"symbol": "EURUSD", "from": 0, "to": 1, "data": "dx"})) == 3


def test_bar_history_is_bounded_by_its_window():
    from propfirm.sim.bars import BarHistory

    history = BarHistory(keep_minutes=60)
    for minute in range(600):
        history.record("EURUSD", minute * 60_000, Decimal("1.1") + Decimal(minute) / 10_000)
    kept = history.bars("EURUSD", 0, 10**9)
    assert len(kept) == 61 and kept[0].minute == 539 * 60 and kept[-1].minute == 599 * 60
