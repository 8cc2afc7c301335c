"""One account's events through the rule engine: the trade deals, the trader's balance operations, then the
snapshot, in time order, with the rules that decide whether the snapshot may be judged now (pure: no I/O)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from propfirm.domain import decisions as d
from propfirm.domain import engine
from propfirm.domain.events import BalanceOperation
from propfirm.domain.state import ACTIVE, ChallengeState
from propfirm.evaluation.accounts import Account, Judged, snapshot_event
from propfirm.evaluation.deals import ROLE_SYSTEM, ClassifiedDeal, to_event
from propfirm.evaluation.placement import place_snapshot
from propfirm.live.records import Snapshot


def judge(
    account: Account,
    snapshot: Snapshot | None,
    deals: list[ClassifiedDeal],
    deals_complete: datetime,
    news: engine.NewsCalendar = engine.NO_NEWS,
) -> Judged:
    """`news`: the releases a blackout is measured from. `deals_complete`: up to when the account's deals are
    all known with this message (its cycle's time, or the deal window's end while the poller catches up a
    backlog); `snapshot`: the account's latest in Redis, which a lagging evaluator may find from a later
    cycle."""
    before = account.state
    awaiting = account.awaiting_reset
    if before.status != ACTIVE:  # failed or passed for good: nothing more to judge (deals are stored)
        return Judged(account, before, before, [], snapshot, False, False, awaiting)
    if not deals and snapshot is not None and awaiting is None:
        return _snapshot_alone(account, snapshot, deals_complete, news)
    return in_time_order(account, snapshot, deals, deals_complete, news)


def in_time_order(
    account: Account,
    snapshot: Snapshot | None,
    deals: list[ClassifiedDeal],
    deals_complete: datetime,
    news: engine.NewsCalendar = engine.NO_NEWS,
) -> Judged:
    """`judge` for an active account in general: its events sorted by time, each through the engine."""
    before = account.state
    awaiting = account.awaiting_reset
    reset_time = None
    events: list[tuple[datetime, int, Any]] = []
    comments: set[str] = set()
    for c in deals:
        if c.role == ROLE_SYSTEM and awaiting is not None and c.system_command == awaiting:
            awaiting, reset_time = None, c.record.time  # the reset is done: judge snapshots again
            continue
        event = to_event(c, before.server, before.phase_started_at)
        if event is not None:
            events.append((event.time, 0, event))
            if isinstance(event, BalanceOperation):
                comments.add(c.record.comment)
    snapshot_judged = False
    if (
        snapshot is not None
        and awaiting is None
        and (reset_time is None or snapshot.time >= reset_time)
        and engine.no_reset_between(account.program, before, deals_complete, snapshot.time)
    ):
        events.append((snapshot.time, 1, snapshot_event(snapshot)))
        snapshot_judged = True
    # else, for the last condition: a snapshot read past a day's reset that the known deals do not reach
    # yet (a later cycle's, found by a lagging evaluator; or this cycle's while the poller catches up a
    # backlog of deals) is left to a later message (the poller sends one for every snapshot it writes,
    # and names every account again within its heartbeat). Deals dated before the reset may still wait
    # in the queue behind this message, and the day must close on all of them: judged now, the reset
    # would take the balance without them and keep it (the high-water mark, the next day's basis)
    events.sort(key=lambda e: (e[0], e[1]))
    if snapshot_judged and events[-1][1] == 0:  # deals dated after the snapshot: does its balance hold them?
        events = place_snapshot(account.program, before, events)
    state = before
    decisions: list[tuple[d.Decision, ChallengeState, ChallengeState]] = []
    deals_applied = False
    for _, order, event in events:
        outcome = engine.evaluate(account.program, state, event, news)
        if order == 0:
            deals_applied = True
        elif outcome.ignored:
            snapshot_judged = False
        for decision in outcome.decisions:
            decisions.append((decision, state, outcome.state))
        state = outcome.state
    return Judged(
        account, before, state, decisions, snapshot, snapshot_judged, deals_applied, awaiting,
        applied_comments=frozenset(comments), events=[e for _, _, e in events] if decisions else [],
    )


def _snapshot_alone(
    account: Account, snapshot: Snapshot, deals_complete: datetime, news: engine.NewsCalendar
) -> Judged:
    """`judge` for the common message of an active account: its snapshot and no deal (no ordering to do)."""
    before = account.state
    if not engine.no_reset_between(account.program, before, deals_complete, snapshot.time):
        return Judged(account, before, before, [], snapshot, False, False, None)  # left to a later message
    event = snapshot_event(snapshot)
    outcome = engine.evaluate(account.program, before, event, news)
    after = outcome.state
    if not outcome.decisions:
        return Judged(account, before, after, [], snapshot, not outcome.ignored, False, None)
    decisions = [(decision, before, after) for decision in outcome.decisions]
    return Judged(account, before, after, decisions, snapshot, not outcome.ignored, False, None, events=[event])
