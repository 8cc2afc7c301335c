"""What the evaluator holds of one account while a message is judged: its challenge (`Account`) and what
the engine made of its events (`Judged`); the engine's view of a polled snapshot."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from propfirm.domain import decisions as d
from propfirm.domain import engine
from propfirm.domain.events import Position
from propfirm.domain.events import Snapshot as SnapshotEvent
from propfirm.domain.floors import EquityFloor
from propfirm.domain.programs import Program
from propfirm.domain.state import ChallengeState
from propfirm.live.holds import FloorHold
from propfirm.live.records import PositionSummary, Snapshot
from propfirm.store.deals import DealRow


@dataclass
class Account:
    """One account's challenge while a message is judged."""

    login: int
    challenge_id: int
    version: int
    transitions: int
    program_id: str
    program_version: int
    program: Program
    state: ChallengeState
    unsaved: int
    floor: dict[str, Any] | None
    point: Any
    awaiting_reset: str | None
    pending_kill: dict[str, Any] | None
    state_json: dict[str, Any] | None = None  # `state.to_dict()` when known (the cache): reused when saving


@dataclass
class Judged:
    """What the engine made of one account's events."""

    account: Account
    before: ChallengeState
    after: ChallengeState
    decisions: list[tuple[d.Decision, ChallengeState, ChallengeState]]  # (decision, state before, after)
    snapshot: Snapshot | None
    snapshot_judged: bool
    deals_applied: bool
    awaiting_reset: str | None
    floor_present: bool = True
    applied_comments: frozenset[str] = frozenset()  # comments of the balance operations judged now
    floor_hold: FloorHold | None = None  # a withdrawal on its way (propfirm.live.holds)
    floor_hold_unreadable: bool = False
    deal_rows: list[DealRow] = field(default_factory=list)  # stored with the state that applied them
    events: list[Any] = field(default_factory=list)  # the engine events judged, in order (a decision's inputs)
    _floor: Any = field(default=None, repr=False)  # (the floor,) once computed

    def floor(self) -> EquityFloor | None:
        """The floor the state after the events sets: computed once, shared by the early warning and the
        live write."""
        if self._floor is None:
            self._floor = (engine.equity_floor(self.account.program, self.after),)
        return self._floor[0]


def position_of(p: PositionSummary) -> Position:
    """The engine's view of a polled position: its floating result is profit and swap together."""
    if p.profit is None:
        return Position(p.symbol, p.volume, p.side, None, p.value)
    return Position(p.symbol, p.volume, p.side, p.profit + (p.swap or 0), p.value)


def snapshot_event(s: Snapshot) -> SnapshotEvent:
    positions = None if s.positions is None else tuple(position_of(p) for p in s.positions)
    return SnapshotEvent(
        time=s.time, login=s.login, balance=s.balance, equity=s.equity, positions=positions, server=s.server
    )
