"""Where a polled snapshot belongs among the deals of its message.

The poller stamps a snapshot with the server's time at its cycle's start, then reads the account states,
then the deals. A deal closed while the states were read is dated after the stamp, yet the balance read
may already hold it. The poller holds such an account's snapshot back for one cycle, but not two in a row
(an account dealing in every read must still be judged on its equity), so a snapshot can arrive with deals
of its own message dated after it. Judged at its stamp, the engine would add those deals on top of a
balance that holds them: counted twice until the next snapshot, and kept for good if a day closes first
(the next day's floor, a trailing high-water mark).

The balance says which of those late deals the read holds: exactly the first k of them (in time order)
when the balance the engine expects at the stamp, plus their results, equals the snapshot's. The snapshot
is then judged right after the k-th, as what it is: a read made after those deals.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

from propfirm.domain import engine
from propfirm.domain.events import BalanceOperation, Deal
from propfirm.domain.events import Snapshot as SnapshotEvent
from propfirm.domain.programs import Program
from propfirm.domain.state import ChallengeState

# (time, order, event): order 0 for deals and balance operations, 1 for the snapshot
TimedEvent = tuple[Any, int, Any]


def _balance_effect(event: Any) -> Decimal:
    if isinstance(event, Deal):
        return event.profit + event.commission + event.swap
    if isinstance(event, BalanceOperation):
        return event.amount
    return Decimal(0)


def expected_balance(state: ChallengeState) -> Decimal:
    """The balance the engine holds now: the last snapshot's and what came since."""
    return state.balance + state.ops_since_snapshot + state.deals_since_snapshot


def late_deals_held(expected: Decimal, snapshot_balance: Decimal, late: list[Any]) -> int:
    """How many of the `late` events (dated after the snapshot, in time order) its balance already holds:
    0 when it holds none (or the balances do not tell), else the fewest that make the sums meet."""
    if snapshot_balance == expected:
        return 0
    running = expected
    for count, event in enumerate(late, start=1):
        running += _balance_effect(event)
        if running == snapshot_balance:
            return count
    return 0


def place_snapshot(program: Program, before: ChallengeState, events: list[TimedEvent]) -> list[TimedEvent]:
    """`events` (sorted, one snapshot among them) with the snapshot moved after the late deals its balance
    holds, and re-dated to the last of them; unchanged when it holds none."""
    at = next((i for i, (_, order, _) in enumerate(events) if order == 1), None)
    if at is None or at == len(events) - 1:
        return events
    late = [event for _, _, event in events[at + 1:]]
    state = before
    for _, _, event in events[:at]:
        state = engine.evaluate(program, state, event).state
    snapshot: SnapshotEvent = events[at][2]
    held = late_deals_held(expected_balance(state), snapshot.balance, late)
    if held == 0:
        return events
    last = late[held - 1]
    moved = (last.time, 1, dataclasses.replace(snapshot, time=last.time))
    return [*events[:at], *events[at + 1: at + 1 + held], moved, *events[at + 1 + held:]]
