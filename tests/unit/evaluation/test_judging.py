"""The judge's path for the common message (a snapshot and no deal) against its general path (every event
sorted by time through the engine): the same result for every kind of snapshot."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from propfirm.domain import engine
from propfirm.domain.programs import load_example_programs
from propfirm.evaluation.accounts import Account, Judged
from propfirm.evaluation.judging import in_time_order, judge
from propfirm.live.records import PositionSummary, Snapshot

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
PROGRAMS = load_example_programs()


def _account(program_id: str) -> Account:
    program = PROGRAMS[program_id]
    state = engine.new_challenge(program, 7, T0, "s")
    return Account(7, 1, 1, 0, program.id, 1, program, state, 0, None, None, None, None)


def _seen(j: Judged) -> tuple:
    return (j.after.to_dict(), j.before is j.account.state, [(d, b.to_dict(), a.to_dict()) for d, b, a in j.decisions],
            j.snapshot_judged, j.deals_applied, j.awaiting_reset, j.applied_comments, j.events)


def test_a_snapshot_alone_is_judged_as_the_general_path_judges_it() -> None:
    rng = random.Random(5)
    kinds = {"judged": 0, "ignored": 0, "left": 0, "decided": 0}
    for program_id in ("two-step-100k", "one-step-100k"):
        account = _account(program_id)
        t = T0
        for cycle in range(600):
            step = rng.choice([timedelta(minutes=23), timedelta(hours=5), timedelta(0), -timedelta(minutes=1)])
            t = max(T0, t + step)
            equity = Decimal(100000) + Decimal(rng.randint(-6000, 3000))
            positions = rng.choice([None, (), (PositionSummary("EURUSD", Decimal("1.50"), "buy"),)])
            snapshot = Snapshot("s", 7, cycle, t, Decimal(100000), equity, Decimal(0), Decimal(0), positions)
            # the deals known up to the cycle's time, or a backlog's end before a reset the snapshot is past
            complete = rng.choice([t, t - timedelta(hours=6)])
            fast = judge(account, snapshot, [], complete)
            general = in_time_order(account, snapshot, [], complete)
            assert _seen(fast) == _seen(general)
            last = account.state.last_snapshot_at
            ignored = last is not None and snapshot.time <= last and fast.after is account.state
            kinds["decided" if fast.decisions else "judged" if fast.snapshot_judged else "ignored" if ignored
                  else "left"] += 1
            account.state = fast.after
            if not account.state.active:
                account = _account(program_id)
                t = T0
    assert all(kinds.values()), kinds  # every kind of snapshot met
