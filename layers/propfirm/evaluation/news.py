"""The news calendar the rule engine measures a program's blackout against (`news_blackout_minutes`), read
from PostgreSQL (`news_events`, kept through the admin API) and kept per container for `ttl_seconds`.

Read only for programs that have a blackout, so an evaluator whose programs have none never queries it. The
calendar holds the releases from `lookback` before the trade server's now on: a deal judged later than that
(a backlog of more than `lookback`) is judged without the older releases.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta

from propfirm.domain.engine import NO_NEWS, NewsCalendar
from propfirm.domain.programs import Program
from propfirm.store.news import NewsStore
from propfirm.store.uow import UnitOfWork

DEFAULT_TTL_SECONDS = 60.0
DEFAULT_LOOKBACK = timedelta(days=30)


def has_blackout(program: Program) -> bool:
    return any(phase.news_blackout_minutes is not None for phase in program.phases)


class NewsSource:
    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        clock: Callable[[], datetime],
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        lookback: timedelta = DEFAULT_LOOKBACK,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.ttl_seconds = ttl_seconds
        self.lookback = lookback
        self.monotonic = monotonic
        self._calendar: NewsCalendar = NO_NEWS
        self._read_at: float | None = None
        self._needs: dict[tuple[str, int | None], bool] = {}  # (program id, version) -> has a blackout

    def for_program(self, program: Program) -> NewsCalendar:
        """The calendar for judging this program's events: empty when no phase of it has a blackout."""
        key = (program.id, program.version)
        needs = self._needs.get(key)
        if needs is None:
            needs = self._needs[key] = has_blackout(program)
        return self.calendar() if needs else NO_NEWS

    def calendar(self) -> NewsCalendar:
        now = self.monotonic()
        if self._read_at is None or now - self._read_at >= self.ttl_seconds:
            since = self.clock() - self.lookback
            with self.uow_factory().autocommitting() as uow:
                self._calendar = NewsCalendar(NewsStore(uow).times_since(since))
            self._read_at = now
        return self._calendar
