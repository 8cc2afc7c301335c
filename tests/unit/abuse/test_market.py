"""The deal stream's fills as the market's prices: a trade filled better than the other accounts' fills of
the same symbol and side that moment is on a stale quote; the latency-arbitrage finding says how many of
its short trades were."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from propfirm.domain.abuse.detectors import latency_arbitrage
from propfirm.domain.abuse.market import MarketFills
from propfirm.domain.abuse.trades import trades_of
from propfirm.sim.deal_stream import abusers, run_world, sizes, trade_deals

from tests.unit.abuse.test_detectors import Book


def test_a_fill_better_than_the_others_of_that_moment_is_measured_by_how_much() -> None:
    book = Book()
    for i in range(8):
        minute = i * 30
        book.trade(7, minute, 0.5, "buy", "1", price="1.0990", close="1.1000", profit="10")  # the stale buyer
        book.trade(8, minute, 20, "buy", "1", price="1.1000", close="1.1010", profit="10")  # the market
        book.trade(9, minute, 20, "buy", "1", price="1.1002", close="1.1010", profit="8")
        book.trade(10, minute, 20, "sell", "1", price="1.0995", close="1.0990", profit="5")  # another side
    trades = trades_of(book.deals)
    market = MarketFills(trades)
    stale = next(x for x in trades if x.login == 7)
    assert market.gap(stale) == Decimal("0.0011")  # the median of 1.1000 and 1.1002, less 1.0990
    assert market.gap(next(x for x in trades if x.login == 8)) == Decimal("-0.0004")  # 1.0996, less 1.1000
    lone = next(x for x in trades if x.login == 10)
    assert market.gap(lone) is None  # nobody else sold then
    assert market.gap(stale, window=timedelta(0)) == Decimal("0.0011")  # the same second
    [finding] = latency_arbitrage(trades)
    evidence = finding.evidence["against_the_market"]
    assert (finding.logins, evidence["compared"], evidence["filled_better_than_the_market"]) == ((7,), 8, 8)
    assert evidence["largest"][0]["better_by"] == "0.0011"


def test_the_simulators_scalper_is_filled_better_than_the_market_and_honest_traders_are_not() -> None:
    world = run_world(150, 4, seed=7)
    planted = abusers(world)
    trades = trades_of(trade_deals(world), sizes(world))
    [finding] = latency_arbitrage(trades)
    assert planted[finding.logins[0]] == "scalper"
    evidence = finding.evidence["against_the_market"]
    assert evidence["compared"] >= 20 and evidence["filled_better_than_the_market"] == evidence["compared"]
    market = MarketFills(trades)
    gaps = [g for x in trades if x.login not in planted and (g := market.gap(x)) is not None]
    assert len(gaps) > 1000 and sum(1 for g in gaps if g > 0) < 0.05 * len(gaps)  # 50 of 2,154 in this run
