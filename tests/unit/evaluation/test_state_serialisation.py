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


def test_to_dict_since_copies_only_a_whole_text_of_this_version() -> None:
    """The earlier text is copied and patched: one of another version (or missing fields) would leave its
    gaps in the new one, so such a text is not reused and the state is written whole."""
    state = engine.new_challenge(PROGRAM, 7, T0, "s")
    event = Snapshot(time=T0 + timedelta(minutes=5), login=7, balance=Decimal(100000), equity=Decimal("99950.25"),
                     positions=(), server="s")
    after = engine.evaluate(PROGRAM, state, event).state
    older = {key: value for key, value in state.to_dict().items() if key not in ("day_value", "trade_values")}
    older["version"] = 2
    assert after.to_dict_since(state, older) == after.to_dict()
    # a changed field is written again, an unchanged one keeps the earlier text as it was
    text = state.to_dict()
    since = after.to_dict_since(state, text)
    assert since["equity"] == "99950.25" and since["phase_started_at"] is text["phase_started_at"]
    assert since["updated_at"] == since["last_snapshot_at"] == after.updated_at.isoformat()
