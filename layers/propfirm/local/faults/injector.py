"""Injects the planned faults into the running local stack, each at its time, and measures for each how
long the system took to be healthy again (`health`), from the moment the fault ended.

Each fault runs in a thread of its own (an outage lasts seconds; others may start meanwhile), and so does
the wait for its recovery. What each fault does, and how long it lasts, is in `FAULTS` below and in the
documentation's table (docs/faults.md).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from propfirm.local.faults.health import HealthProbe
from propfirm.local.faults.spec import FaultName, PlannedFault

log = logging.getLogger("propfirm.dev")

OUTAGE_SECONDS = 5.0  # postgres-outage, mt5-restart (down), sqs-outage
WINDOW_SECONDS = 8.0  # duplicate, reorder: how long every delivery is doubled or groups are held
BURST_SECONDS = 3.0  # mt5-busy, mt5-slow: how long every request is answered busy or late
CRASH_WAIT_SECONDS = 30.0  # evaluator-crash: how long the trap waits for a transition to die in
RECOVERY_LIMIT_SECONDS = 120.0


@dataclass
class FaultRecord:
    name: str
    planned_at: float
    started: float = 0.0  # monotonic
    ended: float | None = None  # monotonic; None while it lasts
    recovered: float | None = None  # monotonic; when the stack was first healthy again
    simulated_time: str | None = None
    detail: str = ""
    _done: threading.Event = field(default_factory=threading.Event, repr=False)

    def as_json(self, run_started: float) -> dict[str, Any]:
        return {
            "name": self.name,
            "at_seconds": round(self.started - run_started, 2) if self.started else None,
            "simulated_time": self.simulated_time,
            "lasted_seconds": round(self.ended - self.started, 2) if self.ended is not None else None,
            "recovered": self.recovered is not None,
            "recovery_seconds": round(self.recovered - self.ended, 2)
            if self.recovered is not None and self.ended is not None
            else None,
            "detail": self.detail,
        }


class FaultInjector:
    """`actions` maps each fault name to a function that injects it and returns when it is over (with a
    line of detail): the stack's own wiring provides them (`propfirm.local.faults.actions`)."""

    def __init__(
        self,
        planned: list[PlannedFault],
        actions: dict[FaultName, Callable[[], str]],
        probe: HealthProbe,
        stop: threading.Event,
        simulated_now: Callable[[], Any],
    ) -> None:
        self.planned = planned
        self.actions = actions
        self.probe = probe
        self.stop_event = stop
        self.simulated_now = simulated_now
        self.records: list[FaultRecord] = []
        self._threads: list[threading.Thread] = []
        self.started = 0.0

    def start(self) -> FaultInjector:
        self.started = time.monotonic()
        for plan in self.planned:
            record = FaultRecord(plan.name.value, plan.at or 0.0)
            self.records.append(record)
            thread = threading.Thread(target=self._inject, args=(plan, record), name=f"fault-{plan.name}", daemon=True)
            self._threads.append(thread)
            thread.start()
        return self

    def _inject(self, plan: PlannedFault, record: FaultRecord) -> None:
        if self.stop_event.wait(max(0.0, self.started + (plan.at or 0.0) - time.monotonic())):
            record.detail = "not injected: the run ended first"
            record._done.set()
            return
        record.started = time.monotonic()
        record.simulated_time = self.simulated_now().isoformat()
        log.warning("fault %s injected", plan.name)
        try:
            record.detail = self.actions[plan.name]()
        except Exception as exc:  # the injection itself broke: say so, never hide it
            log.exception("injecting %s failed", plan.name)
            record.detail = f"injection failed: {type(exc).__name__}: {exc}"
        record.ended = time.monotonic()
        since = self._reading()
        deadline = record.ended + RECOVERY_LIMIT_SECONDS
        record.recovered = (
            self.probe.wait_healthy(since, deadline, stop=self.stop_event.is_set) if since is not None else None
        )
        log.warning("fault %s over; healthy again: %s", plan.name, record.recovered is not None)
        record._done.set()

    def _reading(self) -> Any:
        for _ in range(200):  # PostgreSQL may still be coming back: read until it answers
            try:
                return self.probe.read()
            except Exception:
                time.sleep(0.1)
        return None

    def active(self) -> bool:
        """True while a fault is being injected or its recovery awaited."""
        return any(not r._done.is_set() for r in self.records)

    def wait(self, seconds: float) -> bool:
        """Until every fault is over and recovered (or given up on), at most `seconds`."""
        deadline = time.monotonic() + seconds
        for record in self.records:
            if not record._done.wait(max(0.0, deadline - time.monotonic())):
                return False
        return True

    def summary(self) -> list[dict[str, Any]]:
        return [r.as_json(self.started) for r in self.records]
