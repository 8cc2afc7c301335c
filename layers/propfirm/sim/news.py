"""The simulated market's news calendar: releases at fixed UTC times of every weekday, so that scripted
straddlers have news to straddle and the detectors and the evaluator's blackout have a calendar to read.

    releases(start, end) -> [Release]   # every release in [start, end), in time order (the detectors' type)
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import UTC, datetime, time, timedelta

from propfirm.domain.abuse.news import Release

# (UTC time of day, title, currencies): one European morning release and one American afternoon one
DAILY = (
    (time(9, 30), "UK economic data", ("GBP",)),
    (time(13, 30), "US economic data", ("USD",)),
)


def releases(start: datetime, end: datetime) -> list[Release]:
    out: list[Release] = []
    day = start.astimezone(UTC).date()
    while (midnight := datetime.combine(day, time(0), tzinfo=UTC)) < end:
        if day.weekday() < 5:
            for at, title, currencies in DAILY:
                instant = midnight.replace(hour=at.hour, minute=at.minute)
                if start <= instant < end:
                    out.append(Release(instant, title, currencies))
        day += timedelta(days=1)
    return out


def next_release(calendar: list[Release], now: datetime) -> Release | None:
    """The first release after `now` (calendar in time order)."""
    i = bisect_right(calendar, now, key=lambda r: r.at)
    return calendar[i] if i < len(calendar) else None
