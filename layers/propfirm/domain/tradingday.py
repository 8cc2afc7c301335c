"""Trading days: a day starts at the program's reset time in its IANA zone, DST included.

Reset instants are computed with zoneinfo only when a day boundary is crossed; the engine keeps
the next reset instant in the state, so telling whether an event is still in the same trading day
is a single datetime comparison.

Choices where the design is silent, written down so that they are not rediscovered:
- A reset time that does not exist on a spring-forward day (e.g. 02:30 in Prague) happens at the
  same UTC offset as before the change (i.e. one hour later on the wall clock); an ambiguous one on
  the autumn day happens at its first occurrence (fold=0).
- A trading day is labelled with the local date most of its hours fall in: the reset's own date when
  the reset is before noon (00:00 Prague: Saturday's day runs Sat 00:00-Sun 00:00), the following date
  when it is at or after noon (17:00 New York: Friday 17:00-Saturday 17:00 is Saturday's day), the
  usual convention of futures sessions. The weekend rule and day counting use these labels.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

_ONE_DAY = timedelta(days=1)


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


class DayClock:
    """The trading-day calendar of one program: reset time of day and zone."""

    __slots__ = ("reset", "zone", "_label_shift")

    def __init__(self, reset: time, zone_name: str) -> None:
        self.reset = reset.replace(tzinfo=None)
        self.zone = zone(zone_name)
        self._label_shift = 1 if self.reset >= time(12, 0) else 0

    def reset_on(self, local_day: date) -> datetime:
        """The reset instant (UTC) of the given local calendar date."""
        return datetime.combine(local_day, self.reset, tzinfo=self.zone).astimezone(UTC)

    def day_start(self, instant: datetime) -> datetime:
        """The last reset at or before `instant` (UTC): the start of its trading day."""
        local_day = instant.astimezone(self.zone).date()
        start = self.reset_on(local_day)
        if start > instant:
            start = self.reset_on(local_day - _ONE_DAY)
        return start

    def next_reset(self, instant: datetime) -> datetime:
        """The first reset strictly after `instant` (UTC)."""
        local_day = instant.astimezone(self.zone).date()
        candidate = self.reset_on(local_day)
        if candidate <= instant:
            candidate = self.reset_on(local_day + _ONE_DAY)
        return candidate

    def label(self, day_start: datetime) -> date:
        """The trading day's name (a local date) for the day starting at `day_start`."""
        return day_start.astimezone(self.zone).date() + timedelta(days=self._label_shift)

    def day_of(self, instant: datetime) -> tuple[date, datetime, datetime]:
        """(label, start, next reset) of the trading day holding `instant`."""
        start = self.day_start(instant)
        return self.label(start), start, self.next_reset(instant)

    def add_days(self, instant: datetime, days: int) -> datetime:
        """`instant` plus whole calendar days on the program's wall clock (DST-aware), as UTC."""
        local = instant.astimezone(self.zone)
        return (local + timedelta(days=days)).astimezone(UTC)
