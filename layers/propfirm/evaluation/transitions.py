"""One writer of a challenge's transition: its row, the commands its decision plans, its domain event.

The evaluator's decisions (`evaluation.recording`) and an operator's overrides (`operations.overrides`)
both write through `write_transition`, so a transition means the same wherever it came from: the same
commands reach MT5, the same event reaches the bus and every integration on it. The caller owns the rest
of its transaction (the state saved with the version check, its audit rows) and adds the commands and
the event this returns to the outbox and the event table in that same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from propfirm.domain.decisions import Decision
from propfirm.domain.programs import Program
from propfirm.evaluation.commands import plan_commands
from propfirm.evaluation.events import plan_event
from propfirm.store.events import DomainEvent
from propfirm.store.outbox import OutboxCommand
from propfirm.store.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class Transition:
    """The row: what was decided (`kind`, `reason`), on what figures, when, and the state it produced."""

    challenge_id: int
    number: int
    from_phase: int
    to_phase: int | None
    kind: str
    reason: str
    equity: Decimal
    limit: Decimal | None
    decided_at: datetime
    state_version: int
    evidence: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Consequences:
    """What the transition does on MT5 and tells the bus: planned from `decision` (for an operator's
    reset, a pass into the same phase), with `announce` False for no event (a phase restarted by hand is
    no rule's decision)."""

    decision: Decision
    program: Program
    program_id: str
    program_version: int
    next_phase: int | None
    balance: Decimal
    next_reset: datetime
    issued_at: datetime
    announce: bool = True


@dataclass(frozen=True, slots=True)
class Written:
    commands: list[OutboxCommand]
    event: DomainEvent | None
    reset_command_id: str | None  # the balance reset whose deal the challenge now waits for



def write_transition(uow: UnitOfWork, transition: Transition, consequences: Consequences | None) -> Written:
    """Add the transition's row; plan its commands and event (none without `consequences`: an account not
    yet on MT5). The caller adds what is returned to the outbox and the events, in its transaction."""
    written = Written([], None, None)  # a list of its own: the caller may add to it
    t = transition
    if consequences is not None:
        c = consequences
        planned = plan_commands(
            challenge_id=t.challenge_id,
            transition_no=t.number,
            decision=c.decision,
            program=c.program,
            next_phase=c.next_phase,
            balance=c.balance,
            next_reset=c.next_reset,
            issued_at=c.issued_at,
        )
        event = None
        if c.announce:
            event = plan_event(
                challenge_id=t.challenge_id,
                transition_no=t.number,
                decision=c.decision,
                from_phase=t.from_phase,
                to_phase=t.to_phase,
                program_id=c.program_id,
                program_version=c.program_version,
            )
        written = Written(planned.commands, event, planned.reset_command_id)
    uow.challenges.add_transition(
        challenge_id=t.challenge_id,
        transition_no=t.number,
        from_phase=t.from_phase,
        to_phase=t.to_phase,
        decision=t.kind,
        reason=t.reason,
        equity=t.equity,
        limit=t.limit,
        decided_at=t.decided_at,
        state_version=t.state_version,
        evidence=t.evidence,
    )
    return written
