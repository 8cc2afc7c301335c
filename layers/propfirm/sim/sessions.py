"""Trading sessions per symbol: when the simulated server accepts trades in it, in server time.

A symbol's sessions are a weekly schedule as MT5 keeps it (`IMTConSymbolSession`: for each day of the
week, Sunday first as `ENUM_DAY_OF_WEEK`, a list of sessions, each `Open` and `Close` in minutes from the
server's midnight). The defaults are those of a typical retail CFD server on Eastern European time:

- FX majors: Monday 00:00 to Friday 23:55, no break;
- gold: Monday to Friday 01:00 to 23:55 (a daily break around the rollover);
- US30: Monday to Friday 01:00 to 23:15 and 23:30 to 24:00 (Friday until 23:00);
- GER40: Monday to Friday 03:15 to 23:00.

With sessions switched on (`World(trade_sessions=True)`, `propfirm sim --sessions`), an opening, a close
or a reversal outside its symbol's sessions is refused with retcode 10018 (`MARKET_CLOSED`), the dealer's
own requests included, and a stop-out leaves a position whose market is closed (there is no price to close
it at) for the next tick after the open. Prices keep their own clock (the market driver ticks on).
"""

from __future__ import annotations

from datetime import datetime

Session = tuple[int, int]  # open, close: minutes from the server's midnight, close exclusive
WeekSchedule = tuple[tuple[Session, ...], ...]  # seven days, Sunday first

_CLOSED: tuple[Session, ...] = ()
_DAY = 24 * 60


def _weekdays(monday: tuple[Session, ...], midweek: tuple[Session, ...], friday: tuple[Session, ...]) -> WeekSchedule:
    return (_CLOSED, monday, midweek, midweek, midweek, friday, _CLOSED)


FOREX = _weekdays(((0, _DAY),), ((0, _DAY),), ((0, 23 * 60 + 55),))
GOLD = _weekdays(((60, 23 * 60 + 55),), ((60, 23 * 60 + 55),), ((60, 23 * 60 + 55),))
US30 = _weekdays(
    ((60, 23 * 60 + 15), (23 * 60 + 30, _DAY)),
    ((60, 23 * 60 + 15), (23 * 60 + 30, _DAY)),
    ((60, 23 * 60),),
)
GER40 = _weekdays(((195, 23 * 60),), ((195, 23 * 60),), ((195, 23 * 60),))

ALWAYS: WeekSchedule = tuple(((0, _DAY),) for _ in range(7))

DEFAULT_SCHEDULES: dict[str, WeekSchedule] = {
    "EURUSD": FOREX,
    "GBPUSD": FOREX,
    "USDJPY": FOREX,
    "XAUUSD": GOLD,
    "US30": US30,
    "GER40": GER40,
}


def schedule_of(symbol: str) -> WeekSchedule:
    """A symbol's weekly sessions (an unknown symbol trades as FX does)."""
    return DEFAULT_SCHEDULES.get(symbol, FOREX)


def is_open(schedule: WeekSchedule, server_wall: datetime) -> bool:
    """Whether the market is open at `server_wall` (the server's wall clock, naive or not)."""
    day = (server_wall.weekday() + 1) % 7  # Python: Monday 0; MT5: Sunday 0
    minute = server_wall.hour * 60 + server_wall.minute
    return any(start <= minute < end for start, end in schedule[day])


def sessions_record(schedule: WeekSchedule) -> list[list[dict[str, str]]]:
    """The Web API's form of a schedule (`SessionsTrades`, `SessionsQuotes`): per day a list of sessions."""
    return [
        [
            {
                "Open": str(start),
                "OpenHours": str(start // 60),
                "OpenMinutes": str(start % 60),
                "Close": str(end),
                "CloseHours": str(end // 60),
                "CloseMinutes": str(end % 60),
            }
            for start, end in day
        ]
        for day in schedule
    ]
