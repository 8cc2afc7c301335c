"""What MT5 itself defines, the same through the Web API and the Manager API: volume units, user rights,
and trade-server time. Both adapters import these from here, never from each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from propfirm.mt5.errors import ProtocolError

VOLUME_UNIT = Decimal(10_000)  # `Volume`: 1/10,000 lot
VOLUME_EXT_UNIT = Decimal(100_000_000)  # `VolumeExt`: 1/100,000,000 lot
USER_RIGHT_ENABLED = 0x1
USER_RIGHT_PASSWORD = 0x2
USER_RIGHT_TRADE_DISABLED = 0x4
USER_RIGHT_TRAILING = 0x20
USER_RIGHT_EXPERT = 0x40
USER_RIGHT_REPORTS = 0x100
DEFAULT_USER_RIGHTS = (
    USER_RIGHT_ENABLED | USER_RIGHT_PASSWORD | USER_RIGHT_TRAILING | USER_RIGHT_EXPERT | USER_RIGHT_REPORTS
)  # 0x163, the official library's default
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

TA_DEALER_POS_EXECUTE = 200  # the dealer request that opens or closes a position
ORDER_FILL_FOK = 0
MAX_COMMENT = 31  # MT5 comments hold 32 characters including the terminator
MAX_BALANCE_OPERATION = Decimal(1_000_000_000)
# dealer result codes that mean "still in the queue / being processed"
IN_PROGRESS_CODES = frozenset({0, 10001, 10002, 10003, 10008})
# failures after which the position is still open and a fresh attempt (new price) is sensible
RETRYABLE_CLOSE_CODES = frozenset({10004, 10005, 10012, 10020, 10021})


def volume_units(volume_lots: Decimal) -> tuple[int, int]:
    """(Volume, VolumeExt) for a volume in lots."""
    return int(volume_lots * VOLUME_UNIT), int(volume_lots * VOLUME_EXT_UNIT)


@dataclass(frozen=True, slots=True)
class ServerClock:
    """Converts trade-server seconds to UTC.

    With `zone` (an IANA zone and a shift, e.g. America/New_York + 7 h for brokers that run
    GMT+2/GMT+3) every timestamp gets the offset that applied at that moment; otherwise the
    server's current offset (from /api/time/get) is applied to all of them, which is exact
    unless a record predates a DST change."""

    offset: timedelta
    zone: str | None = None
    shift: timedelta = timedelta(0)

    def to_utc(self, server_seconds: int) -> datetime:
        try:
            wall = _EPOCH + timedelta(seconds=server_seconds)
        except OverflowError:  # a reply's time no calendar holds: bad input, refused as any other
            raise ProtocolError(f"server time out of range: {server_seconds!r}") from None
        if self.zone is None:
            return wall - self.offset
        naive = (wall - self.shift).replace(tzinfo=None)
        return naive.replace(tzinfo=ZoneInfo(self.zone)).astimezone(UTC)

    def to_utc_msc(self, server_msc: int) -> datetime:
        seconds, millis = divmod(server_msc, 1000)
        return self.to_utc(seconds) + timedelta(milliseconds=millis)

    def to_server(self, moment: datetime) -> int:
        """Server seconds for a UTC instant (for `from`/`to` query parameters)."""
        if moment.tzinfo is None:
            raise ValueError("times passed to MT5 must be timezone-aware")
        if self.zone is None:
            wall = moment.astimezone(UTC) + self.offset
        else:
            wall = moment.astimezone(ZoneInfo(self.zone)).replace(tzinfo=UTC) + self.shift
        return int((wall - _EPOCH).total_seconds())
