"""The fault names of `propfirm dev --faults SPEC` and when each fault is injected.

SPEC is `all` or names separated by commas, each optionally `@SECONDS` after the start:
`duplicate,postgres-outage@12,mt5-restart`. Faults without a time are spread evenly over the run's
first two thirds (the last third is left to recover); without `--duration`, one every 15 seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class FaultName(StrEnum):
    DUPLICATE = "duplicate"  # every SQS message delivered twice
    REORDER = "reorder"  # message groups delivered late, out of order across groups (as SQS FIFO allows)
    EVALUATOR_CRASH = "evaluator-crash"  # the evaluator dies at a random step of a transition
    POLLER_CRASH = "poller-crash"  # the poller dies mid-cycle and is restarted
    REDIS_FLUSH = "redis-flush"  # every live key of the run gone
    POSTGRES_OUTAGE = "postgres-outage"  # connections cut and refused for some seconds
    MT5_RESTART = "mt5-restart"  # the trade server goes away: sessions lost, connections refused
    MT5_SLOW = "mt5-slow"  # answers later than the gateway's timeout
    MT5_BUSY = "mt5-busy"  # a burst of retcode 12 (server busy)
    SQS_OUTAGE = "sqs-outage"  # sends fail for some seconds


FIRST_AT = 0.15  # share of the run before the first fault: the stack settles first
LAST_AT = 0.65  # share of the run by which every fault has started: the rest is for recovery
EVERY_WITHOUT_DURATION = 15.0
FIRST_WITHOUT_DURATION = 10.0


class FaultSpecError(ValueError):
    """A SPEC that names no known fault, or a time that is not a number of seconds."""


@dataclass(frozen=True)
class PlannedFault:
    name: FaultName
    at: float | None = None  # seconds after the start; None: spread over the run

    def __str__(self) -> str:
        return self.name.value if self.at is None else f"{self.name.value}@{self.at:g}"


def parse_spec(text: str) -> tuple[PlannedFault, ...]:
    """`all` or `name[@seconds],...` -> the planned faults, in the order given."""
    items = [item.strip() for item in text.split(",") if item.strip()]
    if not items:
        raise FaultSpecError("no fault named: use `all` or names separated by commas")
    planned: list[PlannedFault] = []
    for item in items:
        name, _, at_text = item.partition("@")
        name = name.strip().lower()
        at = _seconds(item, at_text) if at_text else None
        if name == "all":
            planned.extend(PlannedFault(fault, at) for fault in FaultName)
            continue
        try:
            planned.append(PlannedFault(FaultName(name), at))
        except ValueError:
            known = ", ".join(f.value for f in FaultName)
            raise FaultSpecError(f"unknown fault {name!r}: known are all, {known}") from None
    return tuple(planned)


def _seconds(item: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise FaultSpecError(f"{item!r}: the time after @ must be seconds after the start") from None
    if not value >= 0 or value == float("inf"):
        raise FaultSpecError(f"{item!r}: the time after @ must be a non-negative number of seconds")
    return value


def schedule(planned: tuple[PlannedFault, ...], duration: float | None) -> list[PlannedFault]:
    """Every fault with its time, earliest first: the unset ones spread evenly over the run."""
    unset = [p for p in planned if p.at is None]
    times: list[float]
    if duration is None:
        times = [FIRST_WITHOUT_DURATION + i * EVERY_WITHOUT_DURATION for i in range(len(unset))]
    elif len(unset) == 1:
        times = [duration * FIRST_AT]
    else:
        span = duration * (LAST_AT - FIRST_AT)
        times = [duration * FIRST_AT + span * i / max(1, len(unset) - 1) for i in range(len(unset))]
    spread = iter(times)
    timed = [p if p.at is not None else PlannedFault(p.name, round(next(spread), 2)) for p in planned]
    return sorted(timed, key=lambda p: p.at or 0.0)
