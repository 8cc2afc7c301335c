"""`propfirm replay` on the rule variants (limits in money, winning-day consistency, the daily profit cap,
profitable and qualifying days, the per-trade loss limit, the daily floor trailing the day's high, exposure
caps), driven through program files and event files as an outside tool drives it. Each expectation is
worked out by hand from the documented rule and, where noted, a firm's published example.
"""

from __future__ import annotations

from .replay_harness import expect, replay, write_events
from .test_replay_contract import LOGIN, balance_op, deal, make_program, run, snap, start


def _phase1(program: dict, **fields: object) -> dict:
    """The program with phase1's loss and target rules replaced by `fields`."""
    for name in ("profit_target_pct", "daily_loss_pct", "max_loss_pct", "max_loss_mode"):
        program["phases"][0].pop(name, None)
    program["phases"][0].update(fields)
    return program


def test_money_limits_are_exact_on_a_150k_account(tmp_path):
    # Futures-style plans (Topstep 150K: $4,500 trailing; Apex EOD: $2,000 daily) give amounts no
    # percentage states exactly; the floor is to the cent.
    program = _phase1(make_program(size="150000"), daily_loss_amount="2000", max_loss_amount="4500",
                      profit_target_amount="9000")
    a, b = 1, 2
    events = [
        start("2026-03-02T08:00:00+00:00", login=a),
        start("2026-03-02T08:00:00+00:00", login=b),
        snap("2026-03-02T09:00:00+00:00", "150000.00", "148000.01", login=a),
        snap("2026-03-02T09:01:00+00:00", "150000.00", "148000.00", login=a),
        deal("2026-03-02T10:00:00+00:00", 1, "in", 1, login=b),
        deal("2026-03-02T11:00:00+00:00", 2, "out", 1, profit="9000.00", login=b),
        snap("2026-03-02T11:01:00+00:00", "159000.00", "159000.00", login=b, positions=[]),
    ]
    assert run(tmp_path, program, events) == [
        expect("2026-03-02T09:01:00+00:00", a, "failed", "phase1", "daily_loss", "148000.00", "148000.00"),
        expect("2026-03-02T11:01:00+00:00", b, "phase_passed", "phase1", "profit_target", "159000.00",
               "159000.00"),
    ]


def test_topstep_end_of_day_trailing_in_money_locked_at_the_start_balance(tmp_path):
    # Topstep MLL (help: "What is the Maximum Loss Limit?"): 50K, $2,000; closes 50,500 -> 50,000 -> 52,500
    # give 48,500 -> 48,500 -> 50,000 and the floor stays there.
    program = _phase1(make_program(size="50000", zone="America/Chicago", reset="17:00"),
                      max_loss_amount="2000", max_loss_mode="trailing_eod", trailing_lock=True)
    events = [
        start("2026-03-02T14:00:00+00:00"),
        snap("2026-03-02T21:00:00+00:00", "50500.00", "50500.00"),  # 15:00 Chicago: day 1's close
        snap("2026-03-03T21:00:00+00:00", "50000.00", "50000.00"),
        snap("2026-03-04T21:00:00+00:00", "52500.00", "52500.00"),
        snap("2026-03-05T15:00:00+00:00", "52500.00", "50000.01"),
        snap("2026-03-05T15:01:00+00:00", "52500.00", "50000.00"),
    ]
    assert run(tmp_path, program, events) == [
        expect("2026-03-05T15:01:00+00:00", LOGIN, "failed", "phase1", "max_loss", "50000.00", "50000.00"),
    ]


def _day(day: int, ticket: int, profit: str, balance: str, login: int = LOGIN) -> list[dict]:
    return [
        deal(f"2026-03-{day:02d}T09:00:00+00:00", ticket, "in", ticket, login=login),
        deal(f"2026-03-{day:02d}T10:00:00+00:00", ticket + 100, "out", ticket, profit=profit, login=login),
        snap(f"2026-03-{day:02d}T10:01:00+00:00", balance, balance, login=login, positions=[]),
    ]


def test_best_day_against_winning_days_passes_where_net_profit_blocks_e8_numbers(tmp_path):
    # E8 Signature's days (intercom 11865587) +1,100, +900, -400, +1,500 at 45%: 1,395 of the net blocks,
    # 1,575 of the winning days does not.
    net = _phase1(make_program("acc-net"), profit_target_amount="3000", consistency_pct=45)
    winning = _phase1(make_program("acc-winning"), profit_target_amount="3000", consistency_pct=45,
                      consistency_basis="winning_days")
    a, b = 1, 2
    events = [start("2026-03-02T08:00:00+00:00", login=a, program="acc-net"),
              start("2026-03-02T08:00:00+00:00", login=b, program="acc-winning")]
    balances = ["101100.00", "102000.00", "101600.00", "103100.00"]
    for i, (profit, balance) in enumerate(zip(["1100.00", "900.00", "-400.00", "1500.00"], balances, strict=True)):
        events += _day(2 + i, 10 + i, profit, balance, login=a) + _day(2 + i, 20 + i, profit, balance, login=b)
    events.sort(key=lambda e: e["time"])
    assert run(tmp_path, [net, winning], events) == [
        expect("2026-03-05T10:01:00+00:00", b, "phase_passed", "phase1", "profit_target", "103100.00",
               "103000.00"),
    ]


def test_a_daily_profit_cap_raises_the_balance_a_pass_needs_hyrotrader_example(tmp_path):
    # HyroTrader (FAQ): 5k account, target 500, a day counts up to 40% of it (200); after +320, +100, +40,
    # +22, +18 only 380 counts, so the pass needs 120 more: limit 5,620 (the target plus the 120 above the cap).
    program = _phase1(make_program(size="5000"), profit_target_pct=10, daily_profit_cap_pct=40)
    events = [start("2026-03-02T08:00:00+00:00")]
    balance = 5000
    for i, profit in enumerate([320, 100, 40, 22, 18, 120]):
        balance += profit
        events += _day(2 + i, 10 + i, f"{profit}.00", f"{balance}.00")
    assert run(tmp_path, program, events) == [
        expect("2026-03-07T10:01:00+00:00", LOGIN, "phase_passed", "phase1", "profit_target", "5620.00", "5620.00"),
    ]


def test_profitable_days_and_qualifying_days_hold_the_pass_back(tmp_path):
    # The5ers: 3 profitable days of >= 0.5% (500); Xpert: a trading day moves the balance >= 0.5% either way.
    program = _phase1(make_program(), profit_target_pct=8, min_profitable_days=3, profitable_day_pct="0.5",
                      min_trading_days=4, qualifying_day_min_result_pct="0.5")
    events = [start("2026-03-02T08:00:00+00:00")]
    steps = [(600, "100600.00"), (400, "101000.00"), (7000, "108000.00"), (-600, "107400.00"),
             (600, "108000.00")]
    for i, (profit, balance) in enumerate(steps):
        events += _day(2 + i, 10 + i, f"{profit}.00", balance)
    # days: +600 (profitable, qualifies), +400 (neither), +7,000 (both), -600 (qualifies), +600 (both):
    # the fifth day brings 3 profitable and 4 trading days with the target met
    assert run(tmp_path, program, events) == [
        expect("2026-03-06T10:01:00+00:00", LOGIN, "phase_passed", "phase1", "profit_target", "108000.00",
               "108000.00"),
    ]


def test_qualifying_trades_hold_the_pass_back_hyrotrader_numbers(tmp_path):
    # HyroTrader ("Minimum trading days"): a day counts with a trade worth >= 5% of the initial balance whose
    # PnL is >= 1% of its value. 10,000: $600 in value, $90 realised counts; a $499 trade does not, a deal
    # whose value is not given never does, and a malformed value is refused with its line.
    program = _phase1(make_program(size="10000"), profit_target_pct=10, min_trading_days=2,
                      qualifying_trade_min_value_pct="5", qualifying_trade_min_result_pct="1")

    def trade(day: int, ticket: int, value: str | None, profit: str, balance: str) -> list[dict]:
        opened = deal(f"2026-03-{day:02d}T09:00:00+00:00", ticket, "in", ticket, volume="0.01")
        if value is not None:
            opened["value"] = value
        return [opened,
                deal(f"2026-03-{day:02d}T10:00:00+00:00", ticket + 100, "out", ticket, profit=profit, volume="0.01"),
                snap(f"2026-03-{day:02d}T10:01:00+00:00", balance, balance, positions=[])]

    events = [start("2026-03-02T08:00:00+00:00")]
    events += trade(2, 1, "600.00", "90.00", "10090.00")  # counts: 90 >= 6
    events += trade(3, 2, "499.00", "700.00", "10790.00")  # too small a trade
    events += trade(4, 3, None, "300.00", "11090.00")  # no value: the target is met, the days are not
    events += trade(5, 4, "5000.00", "-50.00", "11040.00")  # counts: a loss of 1% of the value
    assert run(tmp_path, program, events) == [
        expect("2026-03-05T10:01:00+00:00", LOGIN, "phase_passed", "phase1", "profit_target", "11040.00",
               "11000.00"),
    ]
    bad = events[:2] + [{**events[2], "value": 600}]
    result = replay(tmp_path / "programs", write_events(tmp_path, bad))
    assert result.status != 0 and "events.jsonl:3: value must be a decimal string" in result.stderr


def test_a_day_counts_once_the_value_it_opened_reaches_the_share_of_the_size(tmp_path):
    program = _phase1(make_program(size="10000"), profit_target_pct=1, min_trading_days=2,
                      qualifying_day_min_value_pct="100")

    def opened(day: int, ticket: int, value: str, profit: str, balance: str) -> list[dict]:
        return [{**deal(f"2026-03-{day:02d}T09:00:00+00:00", ticket, "in", ticket, volume="0.09"), "value": value},
                deal(f"2026-03-{day:02d}T10:00:00+00:00", ticket + 100, "out", ticket, profit=profit, volume="0.09"),
                snap(f"2026-03-{day:02d}T10:01:00+00:00", balance, balance, positions=[])]

    events = [start("2026-03-02T08:00:00+00:00")]
    events += opened(2, 1, "10000.00", "50.00", "10050.00")  # counts
    events += opened(3, 2, "9999.99", "60.00", "10110.00")  # a cent short
    events += opened(4, 3, "12000.00", "-5.00", "10105.00")  # counts: the second day, the target met
    assert run(tmp_path, program, events) == [
        expect("2026-03-04T10:01:00+00:00", LOGIN, "phase_passed", "phase1", "profit_target", "10105.00",
               "10100.00"),
    ]


def test_the_per_trade_limit_reads_floating_results_and_closed_deals(tmp_path):
    # Blue Guardian's Guardian Shield (2% floating loss on a trade); a restriction variant, and a position
    # closed in two parts whose deals add up to the limit.
    fail = _phase1(make_program("acc-fail"), max_trade_loss_pct=2)
    restrict = _phase1(make_program("acc-restrict"), max_trade_loss_amount="1000", max_trade_loss_action="restrict")
    a, b = 1, 2
    events = [
        start("2026-03-02T08:00:00+00:00", login=a, program="acc-fail"),
        start("2026-03-02T08:00:00+00:00", login=b, program="acc-restrict"),
        snap("2026-03-02T09:00:00+00:00", "100000.00", "98000.01", login=a,
             positions=[{"symbol": "EURUSD", "volume": "1.00", "type": "buy", "profit": "-1999.99"}]),
        snap("2026-03-02T09:01:00+00:00", "100000.00", "98000.00", login=a,
             positions=[{"symbol": "EURUSD", "volume": "1.00", "type": "buy", "profit": "-2000.00"}]),
        deal("2026-03-02T10:00:00+00:00", 1, "in", 7, login=b, volume="2.00"),
        deal("2026-03-02T10:30:00+00:00", 2, "out", 7, profit="-600.00", login=b),
        deal("2026-03-02T10:31:00+00:00", 3, "out", 7, profit="-400.00", login=b),
        snap("2026-03-02T10:32:00+00:00", "99000.00", "99000.00", login=b, positions=[]),
        snap("2026-03-02T10:33:00+00:00", "99000.00", "99000.00", login=b, positions=[]),
    ]
    assert run(tmp_path, [fail, restrict], events) == [
        expect("2026-03-02T09:01:00+00:00", a, "failed", "phase1", "max_trade_loss", "98000.00", "2000.00"),
        expect("2026-03-02T10:32:00+00:00", b, "restricted", "phase1", "max_trade_loss", "99000.00", "1000.00"),
    ]


def test_a_daily_floor_trailing_the_days_high_moves_with_deposits(tmp_path):
    program = _phase1(make_program(), daily_loss_amount="3000", daily_loss_basis="intraday_high")
    events = [
        start("2026-03-02T08:00:00+00:00"),
        snap("2026-03-02T09:00:00+00:00", "100000.00", "102500.00"),  # the day's high: floor 99,500
        balance_op("2026-03-02T09:30:00+00:00", "-1000.00", "withdrawal"),  # floor 98,500
        snap("2026-03-02T10:00:00+00:00", "99000.00", "98500.01"),
        snap("2026-03-02T10:01:00+00:00", "99000.00", "98500.00"),
    ]
    assert run(tmp_path, program, events) == [
        expect("2026-03-02T10:01:00+00:00", LOGIN, "failed", "phase1", "daily_loss", "98500.00", "98500.00"),
    ]


def test_exposure_caps_restrict_per_class_of_symbols_e8_operational_limits(tmp_path):
    program = make_program(phase1={"exposure_caps": [{"name": "metals", "symbols": ["XAU*"], "max_lots": 20}]})

    def gold(lots: str) -> list[dict]:
        return [{"symbol": "XAUUSD", "volume": lots, "type": "buy"},
                {"symbol": "EURUSD", "volume": "30", "type": "sell"}]

    events = [
        start("2026-03-02T08:00:00+00:00"),
        snap("2026-03-02T09:00:00+00:00", "100000.00", "100000.00", positions=gold("20")),
        snap("2026-03-02T09:01:00+00:00", "100000.00", "100000.00", positions=gold("20.5")),
        snap("2026-03-02T09:02:00+00:00", "100000.00", "100000.00", positions=gold("25")),
    ]
    assert run(tmp_path, program, events) == [
        expect("2026-03-02T09:01:00+00:00", LOGIN, "restricted", "phase1", "exposure_cap", "100000.00", "20"),
    ]


def test_an_exposure_cap_on_value_reads_each_positions_value(tmp_path):
    # Finotive's notional exposure: the positions' value summed against a share of the size (here crypto at
    # most 20% of 100,000). A position without "value" adds nothing; a negative one is refused.
    program = make_program(phase1={"exposure_caps": [{"name": "crypto", "symbols": ["BTC*", "ETH*"],
                                                      "max_value_pct": "20"}]})

    def crypto(btc: str, eth: str | None) -> list[dict]:
        held = [{"symbol": "BTCUSD", "volume": "0.2", "type": "buy", "value": btc},
                {"symbol": "ETHUSD", "volume": "3", "type": "sell"}]
        if eth is not None:
            held[1]["value"] = eth
        return held

    events = [
        start("2026-03-02T08:00:00+00:00"),
        snap("2026-03-02T09:00:00+00:00", "100000.00", "100000.00", positions=crypto("19000.00", None)),
        snap("2026-03-02T09:01:00+00:00", "100000.00", "100000.00", positions=crypto("19000.00", "1000.00")),
        snap("2026-03-02T09:02:00+00:00", "100000.00", "100000.00", positions=crypto("19000.00", "1000.01")),
    ]
    assert run(tmp_path, program, events) == [
        expect("2026-03-02T09:02:00+00:00", LOGIN, "restricted", "phase1", "exposure_cap", "100000.00", "20000"),
    ]
    bad = events[:1] + [snap("2026-03-02T09:00:00+00:00", "100000.00", "100000.00", positions=crypto("-1.00", None))]
    result = replay(tmp_path / "programs", write_events(tmp_path, bad))
    assert result.status == 2 and "events.jsonl:2: positions[0].value must be zero or more" in result.stderr


def test_a_contradictory_program_is_refused_with_file_line_and_field(tmp_path):
    folder = tmp_path / "programs"
    folder.mkdir()
    (folder / "bad.yaml").write_text(
        "id: bad\naccount_size: '50000'\nphases:\n  - group: g\n    daily_loss_pct: 4\n    daily_loss_amount: '2000'\n"
    )
    result = replay(folder, write_events(tmp_path, [start("2026-03-02T08:00:00+00:00", program="bad")]))
    assert result.status == 2
    assert "bad.yaml:6: phases[0].daily_loss_amount: give either daily_loss_pct or daily_loss_amount" in result.stderr


def test_a_position_profit_that_is_not_money_is_refused_with_its_line(tmp_path):
    folder = tmp_path / "programs"
    folder.mkdir()
    (folder / "p.yaml").write_text("id: p\naccount_size: '50000'\nphases:\n  - group: g\n")
    events = [start("2026-03-02T08:00:00+00:00", program="p"),
              snap("2026-03-02T09:00:00+00:00", "1.00", "1.00",
                   positions=[{"symbol": "EURUSD", "volume": "1", "type": "buy", "profit": -3}])]
    result = replay(folder, write_events(tmp_path, events))
    assert result.status == 2 and ":2:" in result.stderr and "positions[0].profit" in result.stderr, result.stderr
