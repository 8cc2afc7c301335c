"""Closing every position of an account, shared by both gateways: each is tried even when one fails,
and the failure raised carries what was closed (`error.closed`), so a caller never repeats those."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from propfirm.mt5.errors import Mt5Error
from propfirm.mt5.models import ClosedPosition, Position


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
