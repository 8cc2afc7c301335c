"""`propfirm dev --faults`: the fault run's parts put into the local stack, and its end.

Under --faults the stack differs from a plain run in these ways only, each so a fault can be injected
or its outcome judged:
- the parts reach PostgreSQL through a `FaultProxy` (the run's own reads go direct);
- the parts share a `FaultySqs` client, the evaluator and the poller carry their crash traps;
- the consumers' queues have a visibility timeout of `VISIBILITY_TIMEOUT_SECONDS` (AWS: six times the
  function's timeout, 360 s): a crashed consumer's messages come back within the run. Recovery from a
  crash in AWS takes as much longer as that timeout is;
- the ground truth is written (to the run's folder unless --truth names a file), for `same_decisions`
  and the summary's `detection`;
- at the end the market is frozen and the system left to settle before the invariants are checked.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from propfirm.local.faults.health import IN_FLIGHT, HealthProbe
from propfirm.local.faults.injector import FaultInjector
from propfirm.local.faults.invariants import check_all
from propfirm.local.faults.proxy import FaultProxy, postgres_proxy
from propfirm.local.faults.spec import schedule
from propfirm.local.faults.sqs import FaultySqs
from propfirm.local.faults.traps import EvaluatorTrap, PollerTrap

log = logging.getLogger("propfirm.dev")

VISIBILITY_TIMEOUT_SECONDS = 10
RECOVERY_WAIT_SECONDS = 90.0  # at the end: how long the last faults may take to recover
SETTLE_SECONDS = 60.0  # then: how long in-flight work may take to finish
POLL_SECONDS = 1.0  # the local poller's interval (propfirm.local.poller)


class StackFaults:
    def __init__(self, options: Any, directory: Path) -> None:
        self.direct_url = options.database_url
        self.proxy: FaultProxy = postgres_proxy(options.database_url)
        truth = options.truth if options.truth is not None else directory / "truth.jsonl"
        self.options = dataclasses.replace(
            options, database_url=self.proxy.conninfo_for(options.database_url), truth=truth
        )
        self.plan = schedule(options.faults, options.duration)
        self.visibility_timeout = VISIBILITY_TIMEOUT_SECONDS
        self.evaluator_trap = EvaluatorTrap(options.seed)
        self.poller_trap = PollerTrap()
        self.sqs: FaultySqs | None = None
        self.injector: FaultInjector | None = None
        self.settled_seconds: float | None = None
        self.raw_sqs: Any = None

    def wrap_sqs(self, client: Any) -> FaultySqs:
        self.raw_sqs = client
        self.sqs = FaultySqs(client, self.options.seed)
        return self.sqs

    def probe(self, stack: Any) -> HealthProbe:
        return HealthProbe(
            redis_client=stack.redis,
            namespace=self.options.redis_namespace,
            server=self.options.server,
            sqs=self.raw_sqs,
            evaluation_queue=stack.aws.queues.evaluation,
            database_url=self.direct_url,
            evaluator=stack.evaluator,
            clock=stack.market.world.now,
        )

    def inject(self, stack: Any) -> None:
        from propfirm.local.faults.actions import FaultTargets
        from propfirm.local.poller import GATEWAY_TIMEOUT_SECONDS

        assert self.sqs is not None
        targets = FaultTargets(
            sqs=self.sqs,
            postgres=self.proxy,
            evaluator_trap=self.evaluator_trap,
            poller_trap=self.poller_trap,
            simulator=stack.market.simulator,
            redis_client=stack.redis,
            redis_namespace=self.options.redis_namespace,
            gateway_timeout=GATEWAY_TIMEOUT_SECONDS,
        )
        self.injector = FaultInjector(
            self.plan, targets.actions(), self.probe(stack), stack.stop_event, stack.market.world.now
        ).start()
        stack.notes["faults"] = ", ".join(str(p) for p in self.plan)

    def settle(self, stack: Any) -> None:
        """The market frozen (no new trades, no new breaches), the faults recovered from, then until
        nothing is in flight: queues empty, every due command sent and answered, no payout mid-way."""
        began = time.monotonic()
        stack.market.world.clock.set_speed(0)
        if self.injector is not None and not stack.stop_event.is_set():
            self.injector.wait(RECOVERY_WAIT_SECONDS)
        deadline = time.monotonic() + SETTLE_SECONDS
        probe = self.probe(stack)
        since = probe.read()
        while time.monotonic() < deadline and not stack.stop_event.is_set():
            try:
                if not self._in_flight(stack, probe, since):
                    self.settled_seconds = round(time.monotonic() - began, 2)
                    return
            except Exception:  # noqa: BLE001 - not settled yet; the invariants will say what is left
                pass
            time.sleep(0.25)
        log.warning("the run did not settle within %.0f s", SETTLE_SECONDS)

    def _in_flight(self, stack: Any, probe: HealthProbe, since: Any) -> list[str]:
        import psycopg

        reading = probe.read()
        left = [p for p in reading.problems(since) if not p.startswith(("nothing evaluated", "evaluation lag"))]
        queues = stack.aws.queues
        for url in (queues.evaluation, queues.commands, queues.payout_tasks):
            names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
            attributes = self.raw_sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
            if any(int(attributes.get(n, 0)) for n in names):
                left.append(f"messages on {url.rsplit('/', 1)[-1]}")
        with psycopg.connect(self.direct_url, autocommit=True) as conn:
            busy = conn.execute(
                f"SELECT count(*) FROM outbox WHERE server = %s AND {IN_FLIGHT}",
                (self.options.server, stack.market.world.now()),
            ).fetchone() or (0,)
            busy = busy[0]
            paying = conn.execute(
                "SELECT count(*) FROM payouts p JOIN challenges c ON c.id = p.challenge_id"
                " WHERE c.server = %s AND p.status IN ('approved', 'withdrawing')",
                (self.options.server,),
            ).fetchone() or (0,)
            paying = paying[0]
        if busy:
            left.append(f"{busy} commands in flight")
        if paying:
            left.append(f"{paying} payouts being paid")
        return left

    def summary(self, stack: Any) -> dict[str, Any]:
        faults = self.injector.summary() if self.injector is not None else []
        invariants = check_all(
            database_url=self.direct_url,
            server=self.options.server,
            world=stack.market.world,
            truth=self.options.truth,
            programs=stack.programs,
            # two poller cycles of simulated time: what the poller may not have seen before a reset
            poll_window=timedelta(seconds=2 * POLL_SECONDS * self.options.speed),
        )
        extra = {
            "sqs": self.sqs.counts() if self.sqs else {},
            "postgres_proxy": {"connections": self.proxy.connections, "reset": self.proxy.cuts},
            "evaluator_restarts": stack.evaluator.restarts if getattr(stack, "evaluator", None) else 0,
            "poller_restarts": stack.poller.restarts if getattr(stack, "poller", None) else 0,
            "settled_seconds": self.settled_seconds,
            # what the poller said it could not see (the admin system page shows the same list)
            "blind_intervals": self._blind(stack),
            # and each one checked against MT5's record of it afterwards (propfirm.poller.gap_review)
            "gap_reviews": self._gap_reviews(stack),
        }
        return {"faults": faults, "invariants": invariants, "fault_run": extra}

    def _blind(self, stack: Any) -> list[dict[str, Any]]:
        from propfirm.live.blind import recent
        from propfirm.live.keys import LiveKeys

        key = LiveKeys(self.options.redis_namespace).blind(self.options.server)
        return [
            {"seconds": i["seconds"], "failed_cycles": i["failed_cycles"], "cause": i["cause"]}
            for i in recent(stack.redis, key, count=50)
        ]

    def _gap_reviews(self, stack: Any) -> list[dict[str, Any]]:
        from propfirm.live.keys import LiveKeys
        from propfirm.poller.gap_review import recent

        key = LiveKeys(self.options.redis_namespace).gap_reviews(self.options.server)
        return [
            {name: r[name] for name in ("checked", "clear", "watched", "killed", "breached", "possible", "unchecked",
                                        "reason")}
            | {"to_review": [{"login": a["login"], "outcome": a["outcome"], "at": a["at"]} for a in r["accounts"]
                             if a["outcome"] in ("breached", "possible")]}
            for r in recent(stack.redis, key, count=50)
        ]

    def close(self) -> None:
        self.proxy.stop()
