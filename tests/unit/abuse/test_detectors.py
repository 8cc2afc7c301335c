"""The detectors on deal streams made by hand (each rule's edge) and on the simulator's mix (honest
profiles with the scripted abusers planted: every abuser found, no honest account flagged)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from propfirm.domain.abuse.detectors import copy_trading, detect, grid, hedging, latency_arbitrage, martingale
from propfirm.domain.abuse.trades import TradeDeal, trades_of
from propfirm.sim.deal_stream import abusers, run_world, sizes, trade_deals

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)
EXPECTED = {"hedger": "hedging", "copier": "copy_trading", "scalper": "latency_arbitrage", "martingale": "martingale",
            "grid": "grid"}


class Book:
    """Deals written as trades: open at a minute, close at a later one."""

    def __init__(self) -> None:
        self.deals: list[TradeDeal] = []
        self.ticket = 1

    def trade(
        self,
        login: int,
        minute: float,
        held: float,
        side: str,
        lots: str,
        symbol: str = "EURUSD",
        price: str = "1.1000",
        close: str = "1.1010",
        profit: str = "10",
    ) -> None:
        position = self.ticket
        opened = T0 + timedelta(minutes=minute)
        out = "sell" if side == "buy" else "buy"
        self.deals.append(
            TradeDeal(
                "s", login, self.ticket, position, opened, side, "in", symbol, Decimal(lots), Decimal(price), Decimal(0)
            )
        )
        self.deals.append(
            TradeDeal(
                "s",
                login,
                self.ticket + 1,
                position,
                opened + timedelta(minutes=held),
                out,
                "out",
                symbol,
                Decimal(lots),
                Decimal(close),
                Decimal(profit),
            )
        )
        self.ticket += 2


def test_mirrored_opposite_trades_of_two_accounts_are_hedging() -> None:
    book = Book()
    for i in range(6):
        book.trade(1, i * 60, 30, "buy", "5", profit="500")
        book.trade(2, i * 60 + 0.5, 30, "sell", "5", profit="-520")
    [finding] = hedging(trades_of(book.deals))
    assert (finding.logins, finding.score) == ((1, 2), 1.0)
    assert finding.evidence["mirrored_trades"] == 6 and finding.evidence["net_of_both"] == "-120"
    assert len(finding.deals) == 24  # every deal of both accounts' mirrored trades


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"lots": "6"}, "another size"),
        ({"minute_offset": 2}, "opened two minutes apart"),
        ({"held": 45}, "closed fifteen minutes apart"),
        ({"side": "buy"}, "the same side: not a hedge"),
    ],
)
def test_what_is_not_a_hedge(change: dict, why: str) -> None:
    book = Book()
    for i in range(6):
        book.trade(1, i * 60, 30, "buy", "5")
        book.trade(
            2,
            i * 60 + change.get("minute_offset", 0.5),
            change.get("held", 30),
            change.get("side", "sell"),
            change.get("lots", "5"),
        )
    assert hedging(trades_of(book.deals)) == [], why


def test_a_few_coincidences_among_many_trades_are_not_a_finding() -> None:
    book = Book()
    for i in range(20):
        book.trade(1, i * 60, 30, "buy", "5")
        book.trade(2, i * 60 + 0.5, 30, "sell" if i < 6 else "buy", "5" if i < 6 else "2")
    assert hedging(trades_of(book.deals)) == []  # 6 of 20 mirrored: under half


def test_relative_size_compares_accounts_of_different_sizes() -> None:
    book = Book()
    for i in range(6):
        book.trade(1, i * 60, 30, "buy", "5")
        book.trade(2, i * 60, 30, "buy", "10")  # the same signal on a 200k account
        book.trade(3, i * 60 + 1, 30, "buy", "2.5")  # and on a 50k one, a minute later (the window: 60 s)
    sizes = {("s", 1): Decimal(100_000), ("s", 2): Decimal(200_000), ("s", 3): Decimal(50_000)}
    [ring] = copy_trading(trades_of(book.deals, sizes))
    assert ring.logins == (1, 2, 3) and ring.score == 1.0
    assert ring.evidence["median_lag_seconds"]["3"] == 60.0
    assert copy_trading(trades_of(book.deals)) == []  # without the sizes, 5, 10 and 2.5 lots differ


def test_short_winning_trades_are_latency_arbitrage_and_long_ones_are_not() -> None:
    book = Book()
    for i in range(10):
        book.trade(7, i * 30, 0.5, "buy", "1", profit="35" if i != 3 else "-5")
        book.trade(8, i * 30, 20, "buy", "1", profit="35")  # the same wins, held twenty minutes
    [finding] = latency_arbitrage(trades_of(book.deals))
    assert finding.logins == (7,) and finding.evidence["win_rate"] == 0.9 and finding.score == 0.9


def test_winners_closed_a_minute_after_they_opened_are_not_latency_arbitrage() -> None:
    """A martingale's first rung closed at its first profit, a round of the market later, is held too long for
    a stale-price fill (FTUK's "HFT" is 30 s or less): 30 s qualifies, 31 s does not."""
    book = Book()
    for i in range(10):
        book.trade(7, i * 30, 0.5, "buy", "1", profit="35")  # 30 s
        book.trade(8, i * 30, 31 / 60, "buy", "1", profit="35")
        book.trade(9, i * 30, 1, "buy", "1", profit="35")
    assert [f.logins for f in latency_arbitrage(trades_of(book.deals))] == [(7,)]


def test_doubling_against_a_loss_is_martingale() -> None:
    book = Book()
    for level, (price, lots) in enumerate([("1.1000", "1"), ("1.0980", "2"), ("1.0960", "4"), ("1.0940", "8")]):
        book.trade(9, level * 15, 120 - level * 15, "buy", lots, price=price)
    book.trade(10, 0, 200, "buy", "1", price="1.1000")  # adds at better prices: pyramiding, not martingale
    book.trade(10, 15, 185, "buy", "2", price="1.1020")
    book.trade(10, 30, 170, "buy", "4", price="1.1040")
    [finding] = martingale(trades_of(book.deals))
    assert finding.logins == (9,) and finding.evidence["longest"] == 4 and finding.score == 0.8


def test_a_martingale_adds_after_a_bounce_while_its_ladder_is_still_losing() -> None:
    """The third entry is above the second's price but under the ladder's average (1.09867): the position it
    doubles is still under water, so the ladder goes on. Above the average it is no longer against a loss."""
    book = Book()
    for level, (price, lots) in enumerate([("1.1000", "1"), ("1.0980", "2"), ("1.0985", "4")]):
        book.trade(9, level * 15, 120 - level * 15, "buy", lots, price=price)
    for level, (price, lots) in enumerate([("1.1000", "1"), ("1.0980", "2"), ("1.0990", "4")]):
        book.trade(10, level * 15, 120 - level * 15, "buy", lots, price=price)
    for level, (price, lots) in enumerate([("1.1000", "1"), ("1.1020", "2"), ("1.1015", "4")]):
        book.trade(11, level * 15, 120 - level * 15, "sell", lots, price=price)
    findings = martingale(trades_of(book.deals))
    assert [(f.logins, f.evidence["longest"]) for f in findings] == [((9,), 3), ((11,), 3)]


def test_same_size_entries_at_a_fixed_distance_while_the_others_are_open_are_a_grid() -> None:
    book = Book()
    # five buys of 1 lot every 20 pips down (within a quarter of the median step), all open together
    for level, price in enumerate(["1.1000", "1.0980", "1.0959", "1.0940", "1.0920"]):
        book.trade(11, level * 20, 200 - level * 20, "buy", "1", price=price)
    # the same prices at growing sizes: martingale's, not a grid
    for level, (price, lots) in enumerate([("1.1000", "1"), ("1.0980", "2"), ("1.0960", "4"), ("1.0940", "8")]):
        book.trade(12, level * 20, 200 - level * 20, "buy", lots, price=price)
    # even steps, but each closed before the next opens: one trade at a time, no ladder
    for level, price in enumerate(["1.1000", "1.0980", "1.0960", "1.0940", "1.0920"]):
        book.trade(13, level * 20, 10, "buy", "1", price=price)
    # four entries at uneven distances (20, 50, 10 pips): averaging down by feel, not a grid
    for level, price in enumerate(["1.1000", "1.0980", "1.0930", "1.0920"]):
        book.trade(14, level * 20, 200 - level * 20, "buy", "1", price=price)
    [finding] = grid(trades_of(book.deals))
    assert finding.logins == (11,) and finding.evidence["longest"] == 5 and finding.score == round(5 / 6, 3)
    [ladder] = finding.evidence["examples"]
    assert ladder["side"] == "buy" and ladder["spacing"] == "0.0020"
    assert [e["price"] for e in ladder["entries"]] == ["1.1000", "1.0980", "1.0959", "1.0940", "1.0920"]
    assert len(finding.deals) == 10  # the ladder's opening and closing deals
    assert [f.logins for f in martingale(trades_of(book.deals))] == [(12,)]


def test_a_grid_is_found_in_either_direction_and_cut_where_its_spacing_breaks() -> None:
    book = Book()
    # sells stepping up every 15 pips, then a fifth entry 60 pips away: a ladder of four, the fifth not in it
    for level, price in enumerate(["1.2000", "1.2015", "1.2030", "1.2045", "1.2105"]):
        book.trade(21, level * 10, 300 - level * 10, "sell", "2", symbol="GBPUSD", price=price)
    [finding] = grid(trades_of(book.deals))
    assert finding.evidence["longest"] == 4 and finding.evidence["examples"][0]["side"] == "sell"
    three = Book()
    for level, price in enumerate(["1.2000", "1.2015", "1.2030"]):
        three.trade(22, level * 10, 300, "sell", "2", price=price)
    assert grid(trades_of(three.deals)) == []  # three levels: under the minimum of four


def test_every_planted_abuser_is_found_and_no_honest_account_is_flagged() -> None:
    """The simulator's mix, 150 accounts for four simulated days (a hedging pair, a copy ring, a scalper,
    a martingale and a grid among the first-phase accounts)."""
    world = run_world(150, 4, seed=7)
    planted = abusers(world)
    assert sorted(set(planted.values())) == ["copier", "grid", "hedger", "martingale", "scalper"]
    findings = detect(trades_of(trade_deals(world), sizes(world)))
    for finding in findings:
        profiles = {planted.get(login, world.traders[login].profile) for login in finding.logins}
        assert profiles == {next(p for p, d in EXPECTED.items() if d == finding.detector)}, (finding.detector, profiles)
    found = {(f.detector, login) for f in findings for login in f.logins}
    assert {(EXPECTED[profile], login) for login, profile in planted.items()} <= found
