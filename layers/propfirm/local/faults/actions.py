"""What each fault does to the running local stack: one function per fault name, each returning when
the fault is over, with a line of detail for the summary.

| fault | how |
|---|---|
| duplicate | `FaultySqs`: every message received in the window is handed out twice (its first delete lost) |
| reorder | `FaultySqs`: half the message groups of each batch held back a few seconds |
| evaluator-crash | `EvaluatorTrap`: the next transition dies at a random step; a new container follows |
| poller-crash | `PollerTrap`: the poller dies on its next-but-one MT5 call; a new task starts from Redis |
| redis-flush | every key of the run's namespace deleted at once |
| postgres-outage | the `FaultProxy` in front of PostgreSQL resets every connection and refuses new ones |
| mt5-restart | the simulator goes away: sessions void, its port refusing connections, then back |
| mt5-slow | the simulator answers later than the gateway's timeout |
| mt5-busy | the simulator answers every request with retcode 12 (server busy) |
| sqs-outage | `FaultySqs`: every send refused with SQS's 503 |
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis

from propfirm.local.faults.injector import (
    BURST_SECONDS,
    CRASH_WAIT_SECONDS,
    OUTAGE_SECONDS,
    WINDOW_SECONDS,
)
from propfirm.local.faults.proxy import FaultProxy
from propfirm.local.faults.spec import FaultName
from propfirm.local.faults.sqs import FaultySqs
from propfirm.local.faults.traps import EvaluatorTrap, PollerTrap

BUSY_RETCODE = 12


@dataclass
class FaultTargets:
    sqs: FaultySqs
    postgres: FaultProxy
    evaluator_trap: EvaluatorTrap
    poller_trap: PollerTrap
    simulator: Any  # propfirm.sim.testing.Simulator
    redis_client: redis.Redis
    redis_namespace: str
    gateway_timeout: float

    def actions(self) -> dict[FaultName, Callable[[], str]]:
        return {
            FaultName.DUPLICATE: self.duplicate,
            FaultName.REORDER: self.reorder,
            FaultName.EVALUATOR_CRASH: self.evaluator_crash,
            FaultName.POLLER_CRASH: self.poller_crash,
            FaultName.REDIS_FLUSH: self.redis_flush,
            FaultName.POSTGRES_OUTAGE: self.postgres_outage,
            FaultName.MT5_RESTART: self.mt5_restart,
            FaultName.MT5_SLOW: self.mt5_slow,
            FaultName.MT5_BUSY: self.mt5_busy,
            FaultName.SQS_OUTAGE: self.sqs_outage,
        }

    def duplicate(self) -> str:
        before = self.sqs.duplicated
        self.sqs.duplicate = True
        time.sleep(WINDOW_SECONDS)
        self.sqs.duplicate = False
        return f"{self.sqs.duplicated - before} messages delivered twice over {WINDOW_SECONDS:g} s"

    def reorder(self) -> str:
        before = self.sqs.held
        self.sqs.reorder = True
        time.sleep(WINDOW_SECONDS)
        self.sqs.reorder = False
        return f"{self.sqs.held - before} messages held back behind later groups over {WINDOW_SECONDS:g} s"

    def evaluator_crash(self) -> str:
        crashes = len(self.evaluator_trap.crashes)
        step = self.evaluator_trap.arm()
        deadline = time.monotonic() + CRASH_WAIT_SECONDS
        while len(self.evaluator_trap.crashes) == crashes and time.monotonic() < deadline:
            time.sleep(0.05)
        if len(self.evaluator_trap.crashes) == crashes:
            self.evaluator_trap.step = None
            return f"armed {step}, but no transition came within {CRASH_WAIT_SECONDS:g} s"
        return f"the evaluator died {self.evaluator_trap.crashes[-1]} of a transition; a new container took over"

    def poller_crash(self) -> str:
        crashes = self.poller_trap.crashes
        self.poller_trap.arm()
        deadline = time.monotonic() + 10
        while self.poller_trap.crashes == crashes and time.monotonic() < deadline:
            time.sleep(0.02)
        if self.poller_trap.crashes == crashes:
            return "armed, but the poller made no MT5 call within 10 s"
        return "the poller died mid-cycle (between two MT5 calls) and was started again"

    def redis_flush(self) -> str:
        from propfirm.local.stack import forget_redis_keys

        removed = forget_redis_keys(self.redis_client, self.redis_namespace)
        return f"{removed} live keys deleted (the run's whole namespace)"

    def postgres_outage(self) -> str:
        cut = self.postgres.open_connections()
        self.postgres.outage(OUTAGE_SECONDS)
        return f"{cut} connections reset, new ones refused for {OUTAGE_SECONDS:g} s"

    def mt5_restart(self) -> str:
        sessions = self.simulator.server.connections
        self.simulator.restart(down_for=OUTAGE_SECONDS)
        return f"{sessions} sessions lost, connections refused for {OUTAGE_SECONDS:g} s"

    def mt5_slow(self) -> str:
        late = self.gateway_timeout + 1
        self.simulator.faults.set_latency(late)
        time.sleep(BURST_SECONDS)
        self.simulator.faults.set_latency(0)
        timeout = self.gateway_timeout
        return f"every answer {late:g} s late (the gateway gives up at {timeout:g} s) for {BURST_SECONDS:g} s"

    def mt5_busy(self) -> str:
        self.simulator.faults.set_error_rate(1.0, retcode=BUSY_RETCODE)
        time.sleep(BURST_SECONDS)
        self.simulator.faults.set_error_rate(0.0)
        return f"every request answered retcode {BUSY_RETCODE} (busy) for {BURST_SECONDS:g} s"

    def sqs_outage(self) -> str:
        """Sends refused for OUTAGE_SECONDS, and on until one was (a poller still backing off from an
        earlier fault sends nothing for a while), three times that at most."""
        before = self.sqs.refused_sends
        self.sqs.outage = True
        time.sleep(OUTAGE_SECONDS)
        deadline = time.monotonic() + 2 * OUTAGE_SECONDS
        while self.sqs.refused_sends == before and time.monotonic() < deadline:
            time.sleep(0.1)
        self.sqs.outage = False
        return f"{self.sqs.refused_sends - before} sends refused with 503"
