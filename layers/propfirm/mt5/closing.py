"""Closing positions, shared by both gateways.

- `close_confirmed`: one position, each attempt confirmed (the dealer's result, or the position read back)
  before another is sent: a close is never sent twice blindly.
- `close_each`: every position of an account, each tried even when one fails; the failure raised carries
  what was closed (`error.closed`), so a caller never repeats those.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from propfirm.mt5.errors import (
    RET_REQUEST_DONE,
    RET_REQUEST_DONE_PARTIAL,
    RET_REQUEST_POSITION_CLOSED,
    Mt5Error,
    Rejected,
    Timeout,
    from_retcode,
)
from propfirm.mt5.models import ClosedPosition, Position
from propfirm.mt5.protocol import RETRYABLE_CLOSE_CODES

# results after which the position is read back: partial fill, retryable, already closed
READ_BACK_CODES = RETRYABLE_CLOSE_CODES | {RET_REQUEST_DONE_PARTIAL, RET_REQUEST_POSITION_CLOSED}


@dataclass(frozen=True, slots=True)
class CloseAttempt:
    """What one attempt learnt: the dealer's `retcode` (None: no result), whether the connection was `lost`
    meanwhile, and with RET_REQUEST_DONE the position as `closed`."""

    retcode: int | None
    lost: bool = False
    closed: ClosedPosition | None = None


def close_confirmed(
    position: Position,
    attempts: int,
    attempt: Callable[[Position], CloseAttempt],
    read_back: Callable[[Position, bool], Position | None],
    wait_seconds: float,
) -> ClosedPosition:
    """Close `position` in up to `attempts` confirmed attempts. `attempt` sends a close (or waits again for
    one still queued) and keeps its own bookkeeping of requests in flight; `read_back(position, lost)` is
    the position as the server shows it now (None: closed). No result and no lost connection: the request
    is still queued, and Timeout says so (calling again confirms it without sending it again). A refusal
    the position does not explain raises the retcode's error."""
    current = position
    for _ in range(attempts):
        outcome = attempt(current)
        if outcome.retcode is None and not outcome.lost:
            raise Timeout(
                f"close of position {current.ticket} is queued on the server and not confirmed within "
                f"{wait_seconds}s; calling again confirms it without re-sending"
            )
        if outcome.retcode == RET_REQUEST_DONE and outcome.closed is not None:
            return outcome.closed
        if outcome.retcode is not None and outcome.retcode not in READ_BACK_CODES:
            raise from_retcode(outcome.retcode, f"close of position {current.ticket}")
        # outcome unknown, partial fill, stale price or already closed: the position decides
        after = read_back(current, outcome.lost)
        if after is None:
            return ClosedPosition(current.ticket, current.symbol, current.volume, None, None, "readback")
        current = after
    raise Rejected(f"position {position.ticket} still open after {attempts} confirmed attempts")


def close_each(
    positions: Iterable[Position],
    close_one: Callable[[Position], ClosedPosition],
    login: int,
    closed: list[ClosedPosition],
) -> list[ClosedPosition]:
    """Close each position with `close_one`, appending to `closed`; raise after trying them all."""
    failures: list[tuple[int, Mt5Error]] = []
    for position in positions:
        try:
            closed.append(close_one(position))
        except Mt5Error as exc:
            failures.append((position.ticket, exc))
    if failures:
        ticket, first = failures[0]
        # the first failure's type: Timeout (still queued, call again) or Rejected/… (refused)
        error = type(first)(
            f"could not close {len(failures)} position(s) of {login}; first {ticket}: {first}",
            first.retcode,
        )
        error.closed = closed  # type: ignore[attr-defined]
        raise error
    return closed
