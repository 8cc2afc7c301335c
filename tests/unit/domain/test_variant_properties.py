"""Invariants of the rule variants under random event streams (hypothesis):

- a limit given as an amount takes exactly the decisions of the same limit given as a percentage;
- stricter rules never pass sooner: a daily profit cap, profitable days, qualifying conditions on
  trading days; a best day judged against the winning days never passes later than against the net;
- qualifying conditions only ever count fewer trading days;
- a daily floor trailing the day's high is never below the floor from the equity at the reset.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st
from propfirm.domain.engine import evaluate, start
from propfirm.domain.events import Deal, Start
from propfirm.domain.programs import parse_program

from .test_properties import BASE, COMMON, build_events, event_specs, run

_PASSES = ("phase_passed", "funded")


def _program(trading_day: str = "opened", **phase: object):
    return parse_program(
        {
            "id": "variant",
            "account_size": "100000",
            "day_reset": {"time": "17:00", "zone": "America/New_York"},
            "trading_day": trading_day,
            "phases": [{"name": "p1", "group": "g", **phase}, {"name": "f", "group": "f", "funded": True}],
        }
    )


def _decisions(program, events) -> list[tuple]:
    return [
        (i, d.decision, d.reason, d.equity, d.limit)
        for i, (_, _, outcome) in enumerate(run(program, events))
        for d in outcome.decisions
    ]


def _first_pass(program, events) -> int | None:
    return next((i for i, decision, *_ in _decisions(program, events) if decision in _PASSES), None)


def _no_sooner(strict, loose, events) -> None:
    """`strict` passes no sooner than `loose` (both take the same loss decisions until one passes)."""
    s, lo = _first_pass(strict, events), _first_pass(loose, events)
    if s is not None:
        assert lo is not None and lo <= s, (lo, s)


base_rules = st.fixed_dictionaries(
    {
        "profit_target_pct": st.sampled_from([1, 2, 3]),
        "daily_loss_pct": st.sampled_from([2, 5]),
        "max_loss_pct": st.sampled_from([6, 10]),
        "max_loss_mode": st.sampled_from(["static", "trailing_intraday", "trailing_eod"]),
    }
)


@COMMON
@given(base_rules, event_specs)
def test_an_amount_takes_the_decisions_of_the_same_percentage(rules, specs):
    amounts = {
        "profit_target_amount": str(rules["profit_target_pct"] * 1000),
        "daily_loss_amount": str(rules["daily_loss_pct"] * 1000),
        "max_loss_amount": str(rules["max_loss_pct"] * 1000),
        "max_loss_mode": rules["max_loss_mode"],
    }
    events = build_events(specs)
    assert _decisions(_program(**rules), events) == _decisions(_program(**amounts), events)


@COMMON
@given(base_rules, st.sampled_from([20, 50, 100]), event_specs)
def test_a_daily_profit_cap_never_passes_sooner(rules, cap, specs):
    events = build_events(specs)
    _no_sooner(_program(**rules, daily_profit_cap_pct=cap), _program(**rules), events)


@COMMON
@given(base_rules, st.integers(1, 3), st.sampled_from(["0", "100", "1000"]), event_specs)
def test_profitable_days_never_pass_sooner(rules, days, threshold, specs):
    events = build_events(specs)
    strict = _program(**rules, min_profitable_days=days, profitable_day_amount=threshold) if threshold != "0" else (
        _program(**rules, min_profitable_days=days)
    )
    _no_sooner(strict, _program(**rules), events)


@COMMON
@given(base_rules, st.sampled_from([30, 50, 80]), event_specs)
def test_winning_days_consistency_never_passes_later_than_net(rules, share, specs):
    events = build_events(specs)
    net = _program(**rules, consistency_pct=share)
    winning = _program(**rules, consistency_pct=share, consistency_basis="winning_days")
    _no_sooner(net, winning, events)


@COMMON
@given(
    base_rules,
    st.integers(1, 3),
    st.one_of(st.none(), st.sampled_from(["0.5", "2"])),
    st.one_of(st.none(), st.sampled_from(["0.3", "1"])),
    st.one_of(st.none(), st.sampled_from([("50", None), ("100", "0.1"), (None, "0.5"), ("day", "200")])),
    st.sampled_from(["opened", "opened_and_closed", "any_deal"]),
    event_specs,
)
def test_qualifying_conditions_only_count_fewer_trading_days(rules, days, lots, result, trade, trading_day, specs):
    qualify = {}
    if lots is not None:
        qualify["qualifying_day_min_lots"] = lots
    if result is not None:
        qualify["qualifying_day_min_result_pct"] = result
    if trade is not None and trade[0] == "day":
        qualify["qualifying_day_min_value_pct"] = trade[1]
    elif trade is not None:
        value_pct, result_share = trade
        if value_pct is not None:
            qualify["qualifying_trade_min_value_pct"] = value_pct
        if result_share is not None:
            qualify["qualifying_trade_min_result_pct"] = result_share
    # each deal trades one lot of a EURUSD-like symbol: 110,000 in the account currency
    events = [replace(e, value=Decimal("110000.00")) if isinstance(e, Deal) else e for e in build_events(specs)]
    loose = _program(trading_day, **rules, min_trading_days=days)
    strict = _program(trading_day, **rules, min_trading_days=days, **qualify)
    loose_trace, strict_trace = run(loose, events), run(strict, events)
    for (_, _, a), (_, _, b) in zip(loose_trace, strict_trace, strict=True):
        if a.state.phase_index != b.state.phase_index or a.state.status != b.state.status:
            break  # one passed: the phases are no longer comparable
        assert b.state.trading_days <= a.state.trading_days
    _no_sooner(strict, loose, events)


@COMMON
@given(st.sampled_from(["1000", "3000.50"]), event_specs)
def test_the_intraday_high_floor_is_never_below_the_reset_equity_floor(amount, specs):
    high = _program(daily_loss_amount=amount, daily_loss_basis="intraday_high")
    equity = _program(daily_loss_amount=amount, daily_loss_basis="equity")
    events = build_events(specs)
    a = start(high, Start(BASE, 1, high.id))
    b = start(equity, Start(BASE, 1, equity.id))
    for event in events:
        if isinstance(event, tuple):  # a snapshot at a floor: the same concrete one for both
            from propfirm.domain.events import Snapshot

            t, balance, eq, listed, near = event
            event = Snapshot(t, 1, balance, b.daily_floor + near, listed)
        out_a, out_b = evaluate(high, a, event), evaluate(equity, b, event)
        a, b = out_a.state, out_b.state
        if a.status != "active" or b.status != "active":
            break
        assert a.daily_floor >= b.daily_floor
