"""`--start ISO`: the instant a simulated clock begins at, shared by `propfirm sim` and `propfirm dev`."""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime

START_HELP = (
    "the simulated clock's first instant, ISO 8601 with an offset (2026-03-02T09:00:00Z, "
    "2026-03-02T10:00+01:00) or a date (its 00:00 UTC); default: now. A run, a test or a demo "
    "started with it does not depend on the day it is started"
)


def instant(text: str) -> datetime:
    """An argparse type: a timezone-aware UTC datetime, or a clear error."""
    value = text.strip()
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), datetime.min.time(), tzinfo=UTC)
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO 8601 date or time (e.g. 2026-03-02T09:00:00Z)"
        ) from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} has no offset: say which instant it is (append Z for UTC, or +HH:MM)"
        )
    return moment.astimezone(UTC)


def add_start_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--start", type=instant, default=None, metavar="ISO", help=START_HELP)
