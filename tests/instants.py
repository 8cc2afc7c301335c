"""Named instants for tests that need a simulated or judged time: the suite never reads today's date.

Each says what it is, so a test states the day it needs (a weekday for trading, a weekend, a reset, a
daylight-saving change) instead of inheriting whatever day the machine's clock shows.
"""

from __future__ import annotations

from datetime import UTC, datetime

# Monday 2 March 2026, 10:00 UTC: 12:00 server time (GMT+2), a trading weekday well inside the Prague day.
MONDAY_MORNING = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
# Monday 5 January 2026, 09:00 UTC: the first trading weekday of a month, far from any DST change.
MONDAY_JANUARY = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
# Saturday 5 December 2026, 12:00 UTC: the market is closed and the scripted traders do not trade.
SATURDAY = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
