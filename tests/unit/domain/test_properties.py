"""Invariants of the engine under random programs and random event streams (hypothesis).

- a static maximum-loss floor never moves within a phase; a trailing one never falls;
- a failed account takes no further decision;
- the equity floor is never above the true one: whenever the next snapshot's equity breaches the
  floor reported for the state just before it (and the floor has not expired), the engine fails
  or pauses the account at that snapshot; and, where the reported floor is exact (daily rule on
  live equity, no trailing on the closed balance), equity above it never fails on a loss floor;
- judging the same events twice gives the same decisions and states.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from propfirm.domain.engine import equity_floor, evaluate, start
from propfirm.domain.events import BalanceOperation, Deal, Position, Snapshot, Start
from propfirm.domain.programs import parse_program

from .helpers import T

BASE = T("2026-03-02 06:00")

phases = st.fixed_dictionaries(
    {"group": st.just("g")},
    optional={
        "profit_target_pct": st.sampled_from([3, 5, 10]),
        "min_trading_days": st.integers(0, 3),
        "consistency_pct": st.sampled_from([30, 50]),
        "daily_loss_pct": st.sampled_from([2, 3, 5]),
        "daily_loss_basis": st.sampled_from(["balance", "equity", "balance_or_equity", "initial"]),
        "daily_loss_reference": st.sampled_from(["initial", "day_start"]),
        "daily_loss_action": st.sampled_from(["fail", "pause"]),
        "daily_loss_open_pnl": st.booleans(),
        "daily_loss_evaluation": st.sampled_from(["intraday", "end_of_day"]),
        "max_loss_pct": st.sampled_from([4, 6, 10]),
        "max_loss_mode": st.sampled_from(["static", "trailing_intraday", "trailing_balance", "trailing_eod"]),
        "trailing_lock": st.booleans(),
        "trailing_lock_offset": st.sampled_from(["0", "500"]),
        "breach_at": st.sampled_from(["touch", "below"]),
        "max_days": st.integers(2, 10),
        "inactivity_days": st.integers(1, 5),
        "max_lots": st.sampled_from([1, 3]),
        "weekend_holding": st.booleans(),
        # the variants (programs.Phase.conflict refuses some combinations: `_consistent` resolves them)
        "profit_target_amount": st.sampled_from(["2500", "4000.01"]),
        "daily_loss_amount": st.sampled_from(["1250", "3000.50"]),
        "max_loss_amount": st.sampled_from(["2000", "4500"]),
        "consistency_basis": st.sampled_from(["net_profit", "winning_days"]),
        "daily_profit_cap_pct": st.sampled_from([30, 50]),
        "min_profitable_days": st.integers(0, 2),
        "profitable_day_amount": st.sampled_from(["100", "500"]),
        "qualifying_day_min_lots": st.sampled_from(["1", "2"]),
        "qualifying_day_min_result_pct": st.sampled_from(["0.5", "1"]),
        "max_trade_loss_amount": st.sampled_from(["500", "1500"]),
        "max_trade_loss_action": st.sampled_from(["fail", "restrict"]),
        "exposure_caps": st.just([{"name": "eur", "symbols": ["EUR*"], "max_lots": "2"}]),
        "intraday_high": st.booleans(),
    },
).map(lambda phase: _consistent(dict(phase)))


def _consistent(phase: dict) -> dict:
    """A phase the format accepts: where the draw holds both forms of a limit, or a switch without its rule,
    keep the one the format allows."""
    for pct, amount in (
        ("profit_target_pct", "profit_target_amount"),
        ("daily_loss_pct", "daily_loss_amount"),
        ("max_loss_pct", "max_loss_amount"),
    ):
        if pct in phase and amount in phase:
            del phase[amount]
    if "daily_loss_amount" in phase and phase.get("daily_loss_reference") == "day_start":
        del phase["daily_loss_reference"]
    if phase.pop("intraday_high", False) and ("daily_loss_pct" in phase or "daily_loss_amount" in phase):
        phase.update(daily_loss_basis="intraday_high", daily_loss_reference="initial",
                     daily_loss_evaluation="intraday", daily_loss_open_pnl=True)
    if "consistency_pct" not in phase:
        phase.pop("consistency_basis", None)
    if "profit_target_pct" not in phase and "profit_target_amount" not in phase:
        phase.pop("daily_profit_cap_pct", None)
    if not phase.get("min_profitable_days"):
        phase.pop("profitable_day_amount", None)
    if "max_trade_loss_amount" not in phase:
        phase.pop("max_trade_loss_action", None)
    return phase

programs = st.builds(
    lambda ps, zone, reset, trading_day: parse_program(
        {
            "id": "prop",
            "account_size": "100000",
            "day_reset": {"time": reset, "zone": zone},
            "trading_day": trading_day,
            "phases": [dict(p, name=f"p{i}") for i, p in enumerate(ps)],
        }
    ),
    st.lists(phases, min_size=1, max_size=3),
    st.sampled_from(["UTC", "Europe/Prague", "America/New_York"]),
    st.sampled_from(["00:00", "17:00", "22:00"]),
    st.sampled_from(["opened", "opened_and_closed", "any_deal"]),
)

money = st.integers(85_000_00, 115_000_00).map(lambda cents: Decimal(cents).scaleb(-2))
event_specs = st.lists(
    st.tuples(
        st.integers(0, 720),  # minutes after the previous event
        st.sampled_from(["snapshot", "snapshot", "snapshot", "deal", "balance"]),
        money,
        money,
        st.integers(1, 3),  # position id
        st.sampled_from(["in", "out"]),
        st.integers(-3000, 3000),  # balance operation amount
        st.one_of(st.none(), st.lists(st.sampled_from(["0.5", "1", "2"]), max_size=3)),
        # half the snapshots put equity right at the current floor: the boundary is what matters
        st.one_of(st.none(), st.sampled_from(["-1", "-0.01", "0", "0.01", "1"]).map(Decimal)),
    ),
    min_size=1,
    max_size=50,
)


def build_events(specs):
    """Events, where a snapshot may be a function of the state before it (equity at its floor)."""
    t = BASE
    events = []
    for minutes, kind, balance, equity, position, entry, amount, lots, near in specs:
        t = t + timedelta(minutes=minutes)
        if kind == "snapshot":
            # each listed position carries a floating result: the per-trade limit reads it
            listed = (
                None
                if lots is None
                else tuple(Position("EURUSD", Decimal(v), "buy", Decimal(amount) / 2) for v in lots)
            )
            if near is None:
                events.append(Snapshot(t, 1, balance, equity, listed))
            else:
                events.append((t, balance, equity, listed, near))
        elif kind == "deal":
            profit = Decimal(amount) if entry == "out" else Decimal(0)
            events.append(Deal(t, 1, len(events), entry, "EURUSD", Decimal(1), profit, position))
        else:
            events.append(BalanceOperation(t, 1, Decimal(amount)))
    return events


def run(program, events):
    state = start(program, Start(BASE, 1, program.id))
    trace = []  # (state before, event, outcome)
    for event in events:
        if isinstance(event, tuple):  # equity at the reported floor (or at the max floor) + offset
            t, balance, equity, listed, near = event
            floor = equity_floor(program, state)
            level = floor.level if floor is not None else state.max_floor
            event = Snapshot(t, 1, balance, level + near if level else equity, listed)
        outcome = evaluate(program, state, event)
        trace.append((state, event, outcome))
        state = outcome.state
    return trace


COMMON = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@COMMON
@given(programs, event_specs)
def test_static_floors_never_move_and_trailing_floors_never_fall(program, specs):
    for before, _event, outcome in run(program, build_events(specs)):
        after = outcome.state
        if after.phase_index != before.phase_index or not program.phases[before.phase_index].has_max_loss:
            continue
        if program.phases[before.phase_index].max_loss_mode == "static":
            assert after.max_floor == before.max_floor
        else:
            assert after.max_floor >= before.max_floor


@COMMON
@given(programs, event_specs)
def test_a_failed_account_takes_no_further_decision(program, specs):
    failed_seen = False
    for _before, _event, outcome in run(program, build_events(specs)):
        if failed_seen:
            assert outcome.decisions == ()
        kinds = [d.decision for d in outcome.decisions]
        if "failed" in kinds:
            assert kinds == ["failed"]  # a failing snapshot takes no other decision
            failed_seen = True


@COMMON
@given(programs, event_specs)
def test_the_reported_floor_is_never_above_the_true_one(program, specs):
    for before, event, outcome in run(program, build_events(specs)):
        if not isinstance(event, Snapshot) or before.status != "active" or outcome.ignored:
            continue  # (a snapshot at the instant of the last one is a redelivery: not judged again)
        floor = equity_floor(program, before)
        if floor is None or not floor.is_valid_at(event.time):
            continue
        phase = program.phases[before.phase_index]
        loss_decision = any(
            (d.decision == "failed") or (d.decision == "restricted" and d.reason == "daily_loss")
            for d in outcome.decisions
        )
        if floor.is_breached(event.equity, event.time):
            # a kill on the reported floor is never false
            assert loss_decision, (floor, event)
        exact = phase.max_loss_mode != "trailing_balance" and (
            not phase.has_daily_loss
            or (phase.daily_loss_open_pnl and phase.daily_loss_evaluation == "intraday")
        )
        if exact and not floor.is_breached(event.equity, event.time):
            assert not any(
                d.decision == "failed" and d.reason in ("daily_loss", "max_loss") for d in outcome.decisions
            )


@COMMON
@given(programs, event_specs)
def test_evaluate_never_changes_the_state_it_is_given(program, specs):
    """The evaluator hands `evaluate` the very state object it keeps decoded between cycles (no copy of
    its own): the engine must work on a copy, its containers included."""
    state = start(program, Start(BASE, 1, program.id))
    for event in build_events(specs):
        if isinstance(event, tuple):
            t, balance, equity, listed, _near = event
            event = Snapshot(t, 1, balance, equity, listed)
        text, open_positions = state.to_dict(), dict(state.open_positions)
        results, opened = dict(state.trade_results), set(state.opened_today)
        outcome = evaluate(program, state, event)
        assert state.to_dict() == text
        assert (state.open_positions, state.trade_results, state.opened_today) == (open_positions, results, opened)
        if not outcome.ignored:
            assert outcome.state is not state
            assert outcome.state.open_positions is not state.open_positions
            assert outcome.state.opened_today is not state.opened_today
        state = outcome.state


@COMMON
@given(programs, event_specs)
def test_replaying_the_same_events_twice_gives_the_same_decisions(program, specs):
    events = build_events(specs)
    first = run(program, events)
    second = run(program, events)
    assert [e for _, e, _ in first] == [e for _, e, _ in second]
    assert [o.decisions for _, _, o in first] == [o.decisions for _, _, o in second]
    assert first[-1][2].state == second[-1][2].state


@COMMON
@given(programs, event_specs)
def test_replay_and_evaluate_take_the_same_decisions(program, specs):
    """The replay's in-place fast path and the evaluator's `evaluate` are one engine."""
    from propfirm.replay import Replay

    events = [event for _, event, _ in run(program, build_events(specs))]  # concrete snapshots
    # strictly increasing instants: evaluate() treats a repeated instant as a redelivery
    distinct = [e for i, e in enumerate(events) if i == 0 or e.time > events[i - 1].time]
    by_evaluate = [d for _, _, o in run(program, distinct) for d in o.decisions]
    lines = [orjson.dumps({"type": "start", "time": BASE.isoformat(), "login": 1, "program": program.id})]
    for e in distinct:
        if isinstance(e, Snapshot):
            obj = {"type": "snapshot", "balance": str(e.balance), "equity": str(e.equity)}
            if e.positions is not None:
                obj["positions"] = [
                    {"symbol": p.symbol, "volume": str(p.volume), "type": p.type, "profit": str(p.profit)}
                    for p in e.positions
                ]
        elif isinstance(e, Deal):
            obj = {
                "type": "deal",
                "deal": e.deal,
                "entry": e.entry,
                "symbol": e.symbol,
                "volume": str(e.volume),
                "profit": str(e.profit),
                "position": e.position,
            }
        else:
            obj = {"type": "balance", "amount": str(e.amount)}
        lines.append(orjson.dumps({**obj, "time": e.time.isoformat(), "login": 1}))
    by_replay = []
    Replay({program.id: program}).feed(lines, "<events>", lambda decision, digits: by_replay.append(decision))
    assert by_replay == by_evaluate
