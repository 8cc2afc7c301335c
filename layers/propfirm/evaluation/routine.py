"""The routine part of a message: saves, points, statistics and warnings in one transaction; the live
writes (cache, floors) that follow."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from propfirm.domain.floors import EquityFloor
from propfirm.domain.warnings import warning_for
from propfirm.evaluation.accounts import Judged
from propfirm.evaluation.events import warning_event
from propfirm.evaluation.live import CachedChallenge, LiveWrite
from propfirm.evaluation.policy import SavePolicy
from propfirm.evaluation.report import EvaluationReport
from propfirm.live.records import FloorRecord, iso_utc_shared
from propfirm.store.challenges import RoutineSave
from propfirm.store.deals import DealRow
from propfirm.store.events import DomainEvent
from propfirm.store.statistics import DayClose, DayOpen, EquityPoint
from propfirm.store.uow import UnitOfWork

log = logging.getLogger("propfirm.evaluation")


def _floor_json(level: Decimal, floor: EquityFloor, version: int) -> dict[str, Any]:
    """What `FloorRecord.as_json()` gives for this floor, built cheaply to compare with the published one
    (when the two formats ever differ, the floor is merely rewritten)."""
    return {
        "v": 1,
        "level": str(level),
        "expires_at": iso_utc_shared(floor.expires_at),  # a program's accounts share it
        "reason": floor.reason,
        "breach_at": floor.breach_at,
        "action": floor.action,
        "version": version,
    }


class RoutineSaver:
    """The rest of a message in one transaction (routine state saves, the deals they applied, equity points,
    daily statistics, early warnings), and the Redis writes after it (cache and floors)."""

    def __init__(self, uow_factory: Callable[[], UnitOfWork], policy: SavePolicy, warning_share: Decimal) -> None:
        self.uow_factory = uow_factory
        self.policy = policy
        # early warnings: the share of a loss limit left that warns, and the warnings this container has
        # recorded (the event id dedups across containers; this spares the statement)
        self.warning_share = warning_share
        self.warned: set[str] = set()

    def save(
        self, judged: list[Judged], orphans: list[DealRow], report: EvaluationReport
    ) -> tuple[list[LiveWrite], list[int]]:
        """One transaction: routine state saves, the deals they applied, equity points, daily statistics.
        Returns the Redis writes, and the challenges whose save lost a version race while deals were
        applied to them (those deals are not stored: the message must come back)."""
        saves: list[RoutineSave] = []
        warnings: list[DomainEvent] = []
        points: list[EquityPoint] = []
        opened: list[DayOpen] = []
        closed: list[DayClose] = []
        for j in judged:
            a, before, after = j.account, j.before, j.after
            report.judged += 1 if j.snapshot_judged else 0
            unsaved = a.unsaved + (1 if j.snapshot_judged else 0)
            if not j.decisions and (
                self.policy.must_save(before, after, j.deals_applied, unsaved)
                or j.awaiting_reset != a.awaiting_reset
            ):
                saves.append(
                    RoutineSave(
                        a.challenge_id,
                        a.version,
                        after.to_dict(),
                        after.status,
                        after.phase_index,
                        j.awaiting_reset,
                    )
                )
            else:
                a.unsaved = unsaved if not j.decisions else 0
            if (
                j.snapshot_judged
                and j.snapshot is not None
                and self.policy.keeps_point(
                    a.point, j.snapshot.time, j.snapshot.equity, a.program.account_size
                )
            ):
                points.append(
                    EquityPoint(a.challenge_id, j.snapshot.time, j.snapshot.balance, j.snapshot.equity)
                )
                a.point = (j.snapshot.time, j.snapshot.equity)
            if j.snapshot_judged and j.snapshot is not None and not j.decisions:
                warning = self._warning(j)
                if warning is not None:
                    warnings.append(warning)
            if after.day_label != before.day_label:
                closed.append(
                    DayClose(
                        a.challenge_id,
                        before.day_label,
                        before.balance,
                        before.equity,
                        before.balance - before.day_start_balance - before.day_ops,
                    )
                )
                opened.append(
                    DayOpen(
                        a.challenge_id,
                        after.day_label,
                        after.day_start_balance,
                        before.equity,
                        after.daily_floor,
                    )
                )
        conflicts: list[int] = []
        lost: list[int] = []
        with_rows = [j for j in judged if j.deal_rows]
        if saves or points or opened or orphans or with_rows or warnings:
            with self.uow_factory() as uow:
                saved, conflicts = uow.challenges.save_many(saves)
                uow.events.add(warnings)
                refused = set(conflicts)
                lost = [j.account.challenge_id for j in with_rows if j.account.challenge_id in refused]
                uow.deals.upsert(
                    orphans + [r for j in with_rows if j.account.challenge_id not in refused for r in j.deal_rows]
                )
                uow.statistics.add_points(points)
                uow.statistics.close_days(closed)
                uow.statistics.open_days(opened)
                uow.commit()
            for j in judged:
                if j.account.challenge_id in saved:
                    j.account.version, j.account.unsaved = saved[j.account.challenge_id], 0
            report.routine_saves += len(saved)
            report.conflicts += len(conflicts)
        return [self._live_write(j, j.account.challenge_id in conflicts) for j in judged], lost

    def _warning(self, j: Judged) -> DomainEvent | None:
        """The trader's early warning this snapshot calls for, once per rule and day (None: none due)."""
        assert j.snapshot is not None
        a = j.account
        share = a.program.warning_share(self.warning_share)
        if not share:
            return None
        warning = warning_for(a.program, j.after, j.floor(), j.snapshot.equity, share)
        if warning is None:
            return None
        event = warning_event(
            challenge_id=a.challenge_id, login=a.login, server=j.after.server, warning=warning,
            time=j.snapshot.time,
        )
        if event.event_id in self.warned:
            return None
        if len(self.warned) > 100_000:  # a long-lived container: forget, the event id still dedups
            self.warned.clear()
        self.warned.add(event.event_id)
        return event

    def _live_write(self, j: Judged, conflicted: bool) -> LiveWrite:
        a, after = j.account, j.after
        if conflicted:
            log.warning(
                "routine save lost a version race; cache dropped", extra={"challenge_id": a.challenge_id}
            )
            return LiveWrite(a.login, None)
        floor = j.floor()
        write = LiveWrite(a.login, None)
        hold = j.floor_hold
        if hold is not None and hold.comment in j.applied_comments:
            write.clear_hold, hold = True, None  # the engine has judged the withdrawal: its floor is true
        published = None
        if floor is not None and not j.floor_hold_unreadable:  # an unreadable hold: no floor, not a high one
            # a withdrawal on its way: the true floor is lower by its amount (propfirm.live.holds)
            level = floor.level if hold is None else floor.level - hold.amount
            published = _floor_json(level, floor, a.version)
            if published != a.floor or not j.floor_present:  # changed, new version, or lost from Redis
                record = dataclasses.replace(FloorRecord.from_equity_floor(floor, a.version), level=level)
                write.floor, published = record, record.as_json()
            else:
                published = a.floor  # unchanged: nothing to write
        elif a.floor is not None or j.floor_present:
            write.delete_floor = True  # no floor applies any more (failed, passed the last phase)
        write.cache = CachedChallenge(
            challenge_id=a.challenge_id,
            version=a.version,
            program_id=a.program_id,
            program_version=a.program_version,
            # the cached state's text is reused for every field the events left as they were
            state=after.to_dict() if a.state_json is None else after.to_dict_since(a.state, a.state_json),
            decoded=after,
            unsaved=a.unsaved,
            floor=published,
            point=a.point,
            awaiting_reset=j.awaiting_reset,
            pending_kill=a.pending_kill,
        )
        return write
