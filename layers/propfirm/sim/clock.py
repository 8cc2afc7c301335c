"""The simulated clock and the trade server's time zone.

`SimClock.now()` is timezone-aware UTC. It runs `speed` times faster than real
time (0 = frozen, only `advance()` moves it), so a test crosses a day boundary
or a weekend in milliseconds with `clock.advance(timedelta(days=1))`.

MT5 stamps every record in *trade-server time*: Unix-style seconds of the
server's wall clock. `ServerZone` converts both ways. The default follows the
common broker convention "New York + 7 h" (GMT+2 in winter, GMT+3 in summer, so
that 00:00 server time is 17:00 in New York), DST included through zoneinfo.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_EPOCH = datetime(1970, 1, 1)
_SPEC = re.compile(
    r"^(?P<zone>[A-Za-z][A-Za-z0-9_/]*?)(?:(?P<sign>[+-])(?P<hours>\d{1,2})(?::(?P<minutes>\d\d))?)?$"
)


@dataclass(frozen=True)
class ServerZone:
    """The server's wall clock: the wall time of `base_zone`, shifted by `shift`.

    `ServerZone()` is New York + 7 h; `ServerZone.fixed(minutes)` a zone without DST.
    """

    base_zone: str = "America/New_York"
    shift: timedelta = timedelta(hours=7)

    @classmethod
    def fixed(cls, offset_minutes: int) -> ServerZone:
        return cls("UTC", timedelta(minutes=offset_minutes))

    @classmethod
    def parse(cls, spec: str) -> ServerZone:
        """`America/New_York+7` (the default), `UTC+2`, `Europe/Athens`, `UTC+5:30`: an IANA zone's
        wall clock, optionally shifted by hours[:minutes]."""
        match = _SPEC.match(spec.strip())
        if not match:
            raise ValueError(f"server zone {spec!r}: expected an IANA zone with an optional +H[:MM] shift")
        name, sign, hours, minutes = match.group("zone", "sign", "hours", "minutes")
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"server zone {spec!r}: unknown time zone {name!r}") from None
        shift = timedelta(hours=int(hours or 0), minutes=int(minutes or 0))
        return cls(name, -shift if sign == "-" else shift)

    @property
    def _zone(self) -> ZoneInfo:
        return ZoneInfo(self.base_zone)

    def wall(self, moment: datetime) -> datetime:
        """The naive server wall-clock time of a UTC instant."""
        return moment.astimezone(self._zone).replace(tzinfo=None) + self.shift

    def to_server(self, moment: datetime) -> int:
        """Server-time seconds (what MT5 puts in `Time`, `TimeCreate`, `from`/`to`)."""
        return int((self.wall(moment) - _EPOCH).total_seconds())

    def to_server_msc(self, moment: datetime) -> int:
        return int((self.wall(moment) - _EPOCH) / timedelta(milliseconds=1))

    def from_server(self, seconds: int) -> datetime:
        """The UTC instant of a server-time value (the earlier one when the wall time repeats)."""
        wall = _EPOCH + timedelta(seconds=int(seconds)) - self.shift
        return wall.replace(tzinfo=self._zone).astimezone(UTC)

    def offset_minutes(self, moment: datetime) -> int:
        """The server's current offset from GMT in minutes (120 or 180 for the default)."""
        return int((self.wall(moment) - moment.astimezone(UTC).replace(tzinfo=None)) / timedelta(minutes=1))

    def standard_offset_minutes(self, moment: datetime) -> int:
        """The offset without daylight saving: what `/api/time/get` reports as `TimeZone`."""
        dst = moment.astimezone(self._zone).dst() or timedelta(0)
        return self.offset_minutes(moment) - int(dst / timedelta(minutes=1))

    def has_dst(self, moment: datetime) -> bool:
        """Whether the zone observes daylight saving in `moment`'s year."""
        zone = self._zone
        year = moment.astimezone(zone).year
        return any(datetime(year, month, 1, tzinfo=zone).dst() for month in range(1, 13))

    def in_dst(self, moment: datetime) -> bool:
        return bool(moment.astimezone(self._zone).dst())


def wall_clock_start() -> datetime:
    """The default first instant of a simulated clock: now."""
    return datetime.now(UTC)


class SimClock:
    """Simulated UTC time: `start + advanced + speed * real elapsed`. Thread-safe.

    Without a `start` the clock begins at `SimClock.default_start()`, the wall clock. That is the one place
    the simulator reads the date; the test suite replaces it with a function that refuses, so that every
    test pins the instant it needs and none depends on the day it runs.
    """

    default_start: Callable[[], datetime] = staticmethod(wall_clock_start)

    def __init__(self, start: datetime | None = None, speed: float = 1.0) -> None:
        start = start or SimClock.default_start()
        if start.tzinfo is None:
            raise ValueError("the clock's start must be timezone-aware")
        if speed < 0:
            raise ValueError("speed must be >= 0")
        self._lock = threading.Lock()
        self._base = start.astimezone(UTC)
        self._real_base = time.monotonic()
        self._speed = float(speed)
        self._listeners: list[Callable[[], None]] = []

    def on_advance(self, callback: Callable[[], None]) -> None:
        """Call `callback` after every `advance()`/`set()` (the world settles its rollovers then)."""
        self._listeners.append(callback)

    def _notify(self) -> None:
        for callback in self._listeners:
            callback()

    @property
    def speed(self) -> float:
        return self._speed

    def set_speed(self, speed: float) -> None:
        if speed < 0:
            raise ValueError("speed must be >= 0")
        with self._lock:
            self._rebase()
            self._speed = float(speed)

    def _rebase(self) -> None:
        real = time.monotonic()
        self._base += timedelta(seconds=(real - self._real_base) * self._speed)
        self._real_base = real

    def now(self) -> datetime:
        with self._lock:
            elapsed = (time.monotonic() - self._real_base) * self._speed
            return self._base + timedelta(seconds=elapsed)

    def advance(self, delta: timedelta) -> datetime:
        """Move simulated time forward by `delta` at once; returns the new now."""
        if delta < timedelta(0):
            raise ValueError("the clock never goes backwards")
        with self._lock:
            self._rebase()
            self._base += delta
            result = self._base
        self._notify()
        return result

    def set(self, moment: datetime) -> None:
        """Jump to `moment` (forward only)."""
        if moment.tzinfo is None:
            raise ValueError("moment must be timezone-aware")
        with self._lock:
            self._rebase()
            if moment < self._base:
                raise ValueError("the clock never goes backwards")
            self._base = moment.astimezone(UTC)
        self._notify()
