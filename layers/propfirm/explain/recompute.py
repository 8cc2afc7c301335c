"""A decision recomputed from its stored inputs with the rule engine (pure): the state before, the events
judged in order, the program version. The engine is deterministic, so the same inputs give the same
decision; a difference names the field that changed (the record, the engine or the program)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from propfirm.domain import engine
from propfirm.domain.decisions import Decision
from propfirm.domain.events import Event, Snapshot
from propfirm.domain.programs import Program
from propfirm.domain.state import ChallengeState
from propfirm.explain.attribution import attribute
from propfirm.explain.floors import floors_in_force
from propfirm.explain.inputs import event_from_json

COMPARED = ("decision", "reason", "equity", "limit")


class InputsError(ValueError):
    """Stored inputs that cannot be replayed (missing, or for another program)."""


@dataclass(frozen=True)
class Recomputed:
    decision: Decision | None  # None: the inputs no longer make this decision
    before: ChallengeState  # the state before the first event
    judged: ChallengeState  # the state right after the event that made the decision
    phase_index: int  # the phase the decision was taken in
    event: Event | None  # the event that made it
    events: list[Event]  # every event judged with it, in order

    def attribution(self) -> dict[str, Decimal]:
        """Up to the snapshot that made the decision; for a decision a deal or a balance operation made,
        up to the last snapshot judged with it (the equity that followed)."""
        until = self.event if isinstance(self.event, Snapshot) else None
        return attribute(self.before.balance, self.before.equity, self.events, until)

    def floors(self, program: Program) -> dict[str, Any]:
        return floors_in_force(program, self.phase_index, self.judged)


def recompute(program: Program, inputs: dict[str, Any]) -> Recomputed:
    """Replay `inputs` (see `propfirm.explain.inputs.decision_inputs`) and pick the decision they name."""
    try:
        before = ChallengeState.from_dict(inputs["state"])
        events = [event_from_json(line) for line in inputs["events"]]
        index = int(inputs["decision_index"])
    except (KeyError, TypeError, ValueError) as exc:
        raise InputsError(f"the stored inputs cannot be read: {exc}") from exc
    if inputs.get("program", {}).get("id") != program.id:
        raise InputsError(f"the inputs are for program {inputs.get('program')!r}, not {program.id!r}")
    state = before
    seen = 0
    for event in events:
        phase_index = state.phase_index
        outcome = engine.evaluate(program, state, event)
        for decision in outcome.decisions:
            if seen == index:
                return Recomputed(decision, before, outcome.state, phase_index, event, events)
            seen += 1
        state = outcome.state
    return Recomputed(None, before, state, state.phase_index, None, events)


def differences(stored: dict[str, Any], decision: Decision | None) -> list[str]:
    """The compared fields (decision, reason, equity, limit) that differ between the stored transition and
    the recomputed decision, as `field: stored X, recomputed Y`."""
    if decision is None:
        return [f"decision: stored {stored['decision']}, recomputed none (the inputs make no such decision)"]
    out = []
    recomputed = {
        "decision": decision.decision,
        "reason": decision.reason,
        "equity": decision.equity,
        "limit": decision.limit,
    }
    for name in COMPARED:
        mine, theirs = stored[name], recomputed[name]
        same = (
            mine == theirs
            if not isinstance(theirs, Decimal) or mine is None
            else Decimal(str(mine)) == theirs
        )
        if not same:
            out.append(f"{name}: stored {mine}, recomputed {theirs}")
    return out
