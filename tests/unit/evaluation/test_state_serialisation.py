"""The evaluator's fast serialisation of states gives exactly what `ChallengeState.to_dict()` gives."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from propfirm.domain import engine
from propfirm.domain.events import BalanceOperation, Deal, Position, Snapshot
from propfirm.domain.programs import load_example_programs
from propfirm.domain.state import ChallengeState

PROGRAM = load_example_programs()["two-step-100k"]
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def _events():
    t = T0
    for i in range(1, 400):
        t += timedelta(minutes=37)
        if i % 11 == 0:
            yield Deal(time=t, login=7, deal=i, entry="in", symbol="EURUSD", volume=Decimal("1.5"), profit=Decimal(0),
                       position=i, server="s")
        elif i % 13 == 0:
            yield Deal(time=t, login=7, deal=i, entry="out", symbol="EURUSD", volume=Decimal("1.5"),
                       profit=Decimal("120.5"), position=i - 2, server="s")
        elif i % 97 == 0:
            yield BalanceOperation(time=t, login=7, amount=Decimal("-250"), server="s")
        else:
            balance = Decimal(100000) + Decimal(i * 7)
            positions = (Position("EURUSD", Decimal("1.5"), "buy"),) if i % 3 else ()
            yield Snapshot(time=t, login=7, balance=balance, equity=balance - Decimal(i % 50), positions=positions,
                           server="s")


def test_to_dict_since_equals_to_dict_along_a_long_run() -> None:
    state = engine.new_challenge(PROGRAM, 7, T0, "s")
    text = state.to_dict()
    checked = 0
    for event in _events():
        after = engine.evaluate(PROGRAM, state, event).state
        full = after.to_dict()
        assert after.to_dict_since(state, text) == full
        assert list(after.to_dict_since(state, text)) == list(full)  # the same key order, the same JSON
        # what another process would do: the state parsed back from the JSON text
        parsed = ChallengeState.from_dict(json.loads(json.dumps(text)))
        assert engine.evaluate(PROGRAM, parsed, event).state.to_dict_since(parsed, text) == full
        state, text = after, full
        checked += 1
    assert checked > 300 and state.trading_days > 0
