"""The whole system on one machine: start every part in order, report, stop every part in reverse.

Order of start: PostgreSQL (migrations, programs) -> the simulated world (clock frozen) -> the run's
challenges registered -> moto (queues, Step Functions) -> the event bus's listeners and the payout
workflow (whose adapters the evaluator and the API are given) -> the simulator serving, its clock
running -> the evaluator and the outbox relay loops -> the poller -> the API -> payouts' loops (worker,
sweep, approver) and the trader desk. Everything runs in threads of this process and watches one stop
event; `stop()` sets it and joins each part, so a signal or the end of `--duration` leaves no thread or
port behind.

Size: the start order and the reverse stop of every part are `propfirm dev`'s contract, in one place; each
part's own wiring lives in its module (`local.functions`, `local.payouts`, `local.api`, `local.poller`, ...).
"""

from __future__ import annotations

import logging
import os
import resource
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import orjson
import redis

from propfirm.domain.programs import Program, load_example_programs, load_programs
from propfirm.live.keys import LiveKeys
from propfirm.local.api import ApiUnavailable, start_api
from propfirm.local.aws import LocalAws
from propfirm.local.database import list_news, phases_by_group, prepare_database, register_accounts, trader_email
from propfirm.local.desk import TraderDesk
from propfirm.local.functions import EvaluatorFunction
from propfirm.local.loops import Repeating
from propfirm.local.market import SimulatedMarket
from propfirm.local.options import DevOptions, without_password
from propfirm.local.payouts import LocalPayouts, PayoutsUnavailable
from propfirm.local.poller import PollerService
from propfirm.local.summary import count_run

log = logging.getLogger("propfirm.dev")
NEWS_DAYS = 120  # --news: the simulated calendar covers a run of this many simulated days


@dataclass
class Part:
    """A started part of the stack and how to stop it (after the stop event is set)."""

    name: str
    stop: Callable[[], object]


@dataclass
class DevStack:
    options: DevOptions
    stop_event: threading.Event = field(default_factory=threading.Event)
    parts: list[Part] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)  # optional parts: "on" or why they are off
    extra_ports: dict[str, int] = field(default_factory=dict)
    api: Any = None
    payouts: Any = None
    loops: list[Repeating] = field(default_factory=list)
    embedded: dict[str, str] = field(default_factory=dict)  # "PostgreSQL"/"Redis" -> the embedded one in use

    def __post_init__(self) -> None:
        self.redis = redis.Redis.from_url(self.options.redis_url)
        # PostgreSQL as the run's own reads see it (the summary, the invariants): never through the
        # fault proxy, which the parts use under --faults
        self.store_url = self.options.database_url
        self.faults: Any = None  # propfirm.local.faults.wiring.StackFaults under --faults

    def start(self) -> DevStack:
        o = self.options
        self.started = time.monotonic()
        # every name the parts read from the environment, set before the first thread starts (glibc's
        # setenv races with getenv in other threads); moto's names are set by LocalAws before its thread
        os.environ["MT5_SERVER_NAME"] = o.server
        os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")  # no metrics sink locally
        self.directory = o.directory()
        self.programs = self._programs()
        prepare_database(o.database_url, o.programs)
        if o.faults:
            from propfirm.local.faults.wiring import StackFaults

            self.faults = StackFaults(o, self.directory)
            self.parts.append(Part("fault-proxy", self.faults.close))
            self.options = o = self.faults.options  # the parts reach PostgreSQL through the proxy

        self.market = SimulatedMarket(
            o.accounts,
            o.seed,
            o.speed,
            o.programs,
            port=o.sim_port,
            tls=o.tls,
            cert_dir=self.directory,
            start_time=o.start,
            abusers=o.abusers,
            sessions=o.sessions,
            netting=o.netting,
            news_days=NEWS_DAYS if o.news else 0,
        )
        self.market.build()
        if o.news:  # the simulated market's releases, as the risk desk would list them
            list_news(o.database_url, self.market.world.news, self.market.world.now())
        self.challenges = self._register_challenges()
        self.truth = None
        if o.truth is not None:  # from now on: the accounts registered in a first phase start here
            from propfirm.sim.truth import TruthWriter, first_phase_starts

            world = self.market.world
            with world.lock:
                self.truth = TruthWriter(world, o.truth, o.server, first_phase_starts(world, self.programs))
                world.observer = self.truth
            self.parts.append(Part("truth", self._close_truth))

        self.aws = LocalAws(visibility_timeout=self.faults.visibility_timeout if self.faults else None).start()
        self.parts.append(Part("moto", self.aws.stop))
        assert self.aws.queues is not None
        self.sqs = self.aws.client("sqs")
        if self.faults is not None:
            self.sqs = self.faults.wrap_sqs(self.sqs)

        # made while the simulated clock is still frozen, so the poller starts as soon after the clock as ever
        self.event_bus = self._start_integrations()  # before their senders: they stop after them, and drain
        self._build_payouts()  # before the evaluator and the API, which are handed its workflow
        self.market.start()
        self.parts.append(Part("simulator", self.market.stop))

        self.evaluator = EvaluatorFunction(
            sqs=self.sqs,
            evaluation_queue=self.aws.queues.evaluation,
            command_queue=self.aws.queues.commands,
            endpoint=self.aws.endpoint,
            database_url=o.database_url,
            redis_client=self.redis,
            redis_namespace=o.redis_namespace,
            clock=self.market.world.now,
            event_bus=self.event_bus,
            trap=self.faults.evaluator_trap if self.faults else None,
            payouts=self.payouts.ports if self.payouts else None,
        )
        self.parts.append(Part("evaluator", self.evaluator.close))
        # stopped in reverse: after the poller and the evaluator's loop, before the evaluator closes
        self.parts.append(Part("evaluator-drain", self.evaluator.drain))
        self._loop("evaluator-loop", self.evaluator.drive, pause=0.0)
        self._loop("outbox-relay", self.evaluator.relay, pause=1.0)

        self.poller = PollerService(
            simulator=self.market.simulator,
            server=o.server,
            redis_client=self.redis,
            redis_url=o.redis_url,
            redis_namespace=o.redis_namespace,
            sqs=self.sqs,
            evaluation_queue=self.aws.queues.evaluation,
            command_queue=self.aws.queues.commands,
            programs=list(self.programs.values()),
            stop=self.stop_event,
            speed=o.speed,
            trap=self.faults.poller_trap if self.faults else None,
        )
        self.poller.start()
        self.parts.append(Part("poller", self.poller.join))
        self._start_api()
        self._start_payouts()
        self._start_abuse_scan()
        if self.faults is not None:
            self.faults.inject(self)
        return self

    def _start_abuse_scan(self) -> None:
        """The near-line abuse detection: the run's deals scanned every few seconds, and once more at the
        stop (after the evaluator has stored the last deals), on the simulated time line."""
        from propfirm.local.abuse import LocalAbuseScan

        self.abuse = LocalAbuseScan(self.store_url, self.options.server, self.market.world.now)
        self.parts.append(Part("abuse-scan", self.abuse.close))
        self._loop("abuse-scan", self.abuse.scan, pause=5.0)
        self.notes["abuse"] = (
            "scans the run's deals every 5 s (hedging, copy trading, latency arbitrage, martingale, grid)"
        )

    def _register_challenges(self) -> dict[int, int]:
        """Funded accounts first, as funded `funded_days` simulated days ago (the clock then jumps that
        far: no trading in between), so their payout windows can open within a short run; then the
        evaluation accounts, starting now."""
        o = self.options
        groups = phases_by_group(self.programs)
        accounts = self.market.account_groups()
        funded_groups = {name for name, where in groups.items() if where.funded}
        funded = [(login, group) for login, group in accounts if group.lower() in funded_groups]
        others = [(login, group) for login, group in accounts if group.lower() not in funded_groups]
        start = self.market.challenge_start()
        challenges = register_accounts(o.database_url, o.server, funded, self.programs, start)
        days = self.funded_days()
        if days:
            self.market.world.clock.advance(timedelta(days=days))
        challenges.update(
            register_accounts(o.database_url, o.server, others, self.programs, self.market.world.now())
        )
        return challenges

    def funded_days(self) -> int:
        if self.options.funded_days is not None:
            return self.options.funded_days
        return max(
            (p.payout_min_days or 0 for prog in self.programs.values() for p in prog.phases if p.funded),
            default=0,
        )

    def _start_api(self) -> None:
        o = self.options
        try:
            self.api = start_api(
                port=o.api_port,
                database_url=o.database_url,
                redis_url=o.redis_url,
                redis_namespace=o.redis_namespace,
                server=o.server,
                clock=self.market.world.now,
                payouts=self.payouts.ports if self.payouts else None,
            )
        except ApiUnavailable as exc:
            self.api = None
            self.notes["api"] = f"off: {exc}"
            return
        except OSError as exc:
            raise RuntimeError(
                f"the API cannot listen on 127.0.0.1:{o.api_port} ({exc.strerror or exc}): "
                "choose another port with --api-port (0: a free one)"
            ) from exc
        self.parts.append(Part("api", self.api.stop))
        self.extra_ports["api"] = self.api.port
        self.notes["api"] = self.api.url

    def _build_payouts(self) -> None:
        """The workflow in moto and the worker's adapters; its loops start later (`_start_payouts`)."""
        o = self.options
        assert self.aws.queues is not None
        try:
            self.payouts = LocalPayouts(
                sfn=self.aws.client("stepfunctions"),
                sqs=self.sqs,
                tasks_queue=self.aws.queues.payout_tasks,
                command_queue=self.aws.queues.commands,
                database_url=o.database_url,
                redis_url=o.redis_url,
                redis_namespace=o.redis_namespace,
                clock=self.market.world.now,
                approve_after_seconds=2 * o.speed,  # two real seconds awaiting approval: visible in the API
                event_bus=self.event_bus,
                events_client=self.aws.client("events") if self.event_bus else None,
            )
        except PayoutsUnavailable as exc:
            self.payouts = None
            self.notes["payouts"] = f"off: {exc}"
            return
        self.parts.append(Part("payouts", self.payouts.close))

    def _start_payouts(self) -> None:
        o = self.options
        if self.payouts is None:
            return
        self._loop("payouts-worker", self.payouts.work, pause=0.5)
        self._loop("payouts-sweep", self.payouts.sweep, pause=5.0)
        self.notes["payouts"] = f"state machine {self.payouts.flow.state_machine_arn}"
        if o.auto_approve:
            self._loop("auto-approver", self.payouts.approve, pause=1.0)
            self.notes["auto_approver"] = "on (payouts awaiting approval 2 s are approved)"
        else:
            self.notes["auto_approver"] = "off: approve with POST /admin/payouts/{id}/approve"
        if self.api is None:
            self.notes["trader_desk"] = "off: no API"
            return
        if not o.trader_desk:
            self.notes["trader_desk"] = "off: request payouts with POST /challenges/{id}/payouts"
            return
        self.desk = TraderDesk(self.api.url, o.database_url, o.server)
        self.parts.append(Part("trader-desk", self.desk.close))
        self._loop("trader-desk", self.desk.step, pause=1.0)
        self.notes["trader_desk"] = "on (funded traders request payouts over HTTP once eligible)"

    def _start_integrations(self) -> str | None:
        """The event bus when something listens to it (--webhook, a notification channel in the environment):
        each listener with its rule, queue and function; the bus's name (None: no bus, events stay pending)."""
        from propfirm.local.notifications import notification_settings

        self.webhooks: Any = None
        self.notifications: Any = None
        notify = notification_settings(self.store_url)
        if not self.options.webhook and notify is None:
            return None
        from propfirm.local.bus import create_bus

        bus = create_bus(self.aws.client("events"))
        if self.options.webhook:
            self._start_webhooks()
        if notify is not None:
            self._start_notifications(notify)
        return bus

    def _start_notifications(self, settings: Any) -> None:
        from propfirm.local.bus import route_to_queue
        from propfirm.local.notifications import LocalNotifications

        events = self.aws.client("events")
        queue_url = route_to_queue(events, self.sqs, "notification-events", "propfirm-to-notifications")
        ses = self.aws.client("ses")
        notifications = LocalNotifications(sqs=self.sqs, queue_url=queue_url, settings=settings, ses=ses)
        self.notifications = notifications
        self.parts.append(Part("notifications", notifications.close))
        self._loop("notifications", notifications.drive, pause=0.0)
        self.notes["notifications"] = f"on: {', '.join(notifications.channels)}"

    def _start_webhooks(self) -> None:
        """--webhook: its rule and queue, the webhooks function."""
        from propfirm.local.bus import route_to_queue
        from propfirm.local.webhooks import QUEUE, RULE, LocalWebhooks

        o = self.options
        assert o.webhook is not None
        queue_url = route_to_queue(self.aws.client("events"), self.sqs, QUEUE, RULE)
        webhooks = LocalWebhooks(
            sqs=self.sqs, queue_url=queue_url, database_url=self.store_url, url=o.webhook, server=o.server,
            run_id=o.run_id,
        )
        self.webhooks = webhooks
        self.parts.append(Part("webhooks", webhooks.close))
        self._loop("webhooks", webhooks.drive, pause=0.0)
        self._loop("webhooks-retry", webhooks.retry, pause=1.0)
        source = "$PROPFIRM_OUTBOUND_WEBHOOK_SECRET" if webhooks.secret_from_environment else "a run's secret"
        endpoint = webhooks.endpoint_id
        self.notes["webhooks"] = f"every event to {o.webhook} (endpoint {endpoint}), signed with {source}"

    def _programs(self) -> dict[str, Program]:
        return load_programs(self.options.programs) if self.options.programs else load_example_programs()

    def _loop(self, name: str, step: Callable[[], object], pause: float) -> Repeating:
        loop = Repeating(name, step, self.stop_event, pause=pause).start()
        self.loops.append(loop)
        self.parts.append(Part(name, loop.join))
        return loop

    def failure(self) -> str | None:
        """Why the run ended early, if a part died (a loop's failing step is retried, never fatal)."""
        poller = getattr(self, "poller", None)
        if poller is not None and poller.error is not None:
            return f"the poller stopped: {type(poller.error).__name__}: {poller.error}"
        return None

    # -- while it runs -------------------------------------------------------------------------------
    def wait(
        self, duration: float | None, tick: Callable[[], None] | None = None, every: float = 5.0
    ) -> None:
        """Until `duration` seconds have passed or the stop event is set (a signal, a part that died).

        The main thread sleeps in short steps instead of waiting on the event: a signal handler that
        sets the event while this thread is inside `Event.wait` would deadlock on the event's lock."""
        deadline = None if duration is None else time.monotonic() + duration
        next_tick = time.monotonic() + every
        while not self.stop_event.is_set():
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                return
            if tick is not None and now >= next_tick:
                next_tick += every
                tick()
            time.sleep(0.1)

    def cycles(self) -> int:
        """The poller's last completed cycle, as its heartbeat in Redis says."""
        raw = self.redis.get(LiveKeys(self.options.redis_namespace).heartbeat(self.options.server))
        return int(orjson.loads(raw).get("cycle", 0)) if raw else 0

    def summary(self) -> dict[str, Any]:
        o = self.options
        counts = count_run(self.store_url, o.server)
        others = [t for t in threading.enumerate() if t is not threading.main_thread() and t.is_alive()]
        counts.update(
            cycles=self.cycles(),
            cycle_ms=self.poller.cycle_times() if getattr(self, "poller", None) else {},
            evaluation_lag_ms=self.evaluator.lag.milliseconds() if getattr(self, "evaluator", None) else {},
            evaluation_drained=self.evaluator.drained if getattr(self, "evaluator", None) else 0,
            simulated_days=round(self.market.simulated_days(), 2),
            market_ticks={
                "run": self.market.driver.ticks,
                "dropped": self.market.driver.dropped,
                "trader_rounds_bunched": self.market.driver.rounds_bunched,
            },
            simulated_start=self.market.clock_start.isoformat(),
            simulated_end=self.market.world.now().isoformat(),
            duration_seconds=round(time.monotonic() - self.started, 1),
            speed=o.speed,
            seed=o.seed,
            server=o.server,
            database=self.summary_database(),
            redis_namespace=o.redis_namespace,
            embedded=dict(self.embedded),
            run_dir=str(self.directory),
            auto_approve=o.auto_approve,
            parts=dict(self.notes),
            app=self.app_url,
            ports=self.ports(),
            threads_left=sorted(t.name for t in others if not _moto_interpreter(t)),
            workflow_threads=sum(1 for t in others if _moto_interpreter(t)),
            loop_errors={loop.name: loop.errors for loop in self.loops if loop.errors},
            max_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        )
        abuse = getattr(self, "abuse", None)
        if abuse is not None:
            counts["abuse"] = {"findings": abuse.findings()}
        notifications = getattr(self, "notifications", None)
        if notifications is not None:
            counts["notifications"] = notifications.counts()
        webhooks = getattr(self, "webhooks", None)
        if webhooks is not None:
            counts["webhooks"] = webhooks.counts()
        if self.faults is not None:
            counts.update(self.faults.summary(self))
        return counts

    def settle(self) -> None:
        """Under --faults, at the end of the run: the market frozen, the last faults recovered from, the
        system left to finish what is in flight, so the invariants are checked on a settled system."""
        if self.faults is not None:
            self.faults.settle(self)

    def _close_truth(self) -> None:
        world = self.market.world
        with world.lock:
            world.observer = None
            if self.truth is not None:
                self.truth.close()

    def detection(self) -> dict[str, Any] | None:
        """The live breaches against the truth (propfirm.local.detection), once the run has stopped."""
        if self.options.truth is None:
            return None
        from propfirm.local.detection import detection

        return detection(self.options.truth, self.programs, self.store_url, self.options.server)

    @property
    def app_url(self) -> str | None:
        """The dashboards (the web app under the API's /app/), or None when the API is off."""
        return f"{self.api.url}/app/" if self.api is not None else None

    def sign_in_links(self, ttl: int = 12 * 3600) -> dict[str, str]:
        """The app's URL with `#token=<JWT>` for an admin, a support user and a sample trader (the funded
        example's), as `propfirm token` would mint them; empty when the API is off."""
        from propfirm.api.tokens import mint
        from propfirm.domain.roles import Role

        url = self.app_url
        if url is None:
            return {}
        _, email, sub = self.example_trader()
        return {
            "admin": f"{url}#token={mint(Role.ADMIN, email='admin@example.com', ttl=ttl)}",
            "support": f"{url}#token={mint(Role.SUPPORT, email='support@example.com', ttl=ttl)}",
            "trader": f"{url}#token={mint(Role.TRADER, email=email, sub=sub or None, ttl=ttl)}",
        }

    def summary_database(self) -> str:
        return without_password(self.store_url)

    def example_trader(self) -> tuple[int, str, str]:
        """A funded account's login, its trader's email and sub (for the banner's example), else the first."""
        from propfirm.api.tokens import recorded_sub

        groups = phases_by_group(self.programs)
        accounts = self.market.account_groups()
        funded = [login for login, group in accounts if getattr(groups.get(group.lower()), "funded", False)]
        login = (funded or [login for login, _ in accounts])[0]
        email = trader_email(self.options.server, login)
        return login, email, recorded_sub(self.store_url, email) or ""

    def ports(self) -> dict[str, int]:
        ports = {"simulator": self.market.simulator.port, "moto": self.aws.port}
        ports.update(self.extra_ports)
        return ports

    def status_line(self) -> str:
        """One line of live progress: simulated time, the poller's cycle and its time, the evaluation
        lag (from the poller's send to the end of the evaluation), the accounts, the payouts."""
        s = count_run(self.store_url, self.options.server)
        cycle = self.poller.cycle_times()
        lag = self.evaluator.lag.milliseconds()
        cycle_time = f" ({cycle['last']:.0f} ms)" if cycle else ""
        lag_text = f"{lag['last'] / 1000:.1f} s" if lag else "-"
        return (
            f"sim {self.market.world.now():%Y-%m-%d %H:%M} (day {self.market.simulated_days():.1f}) · "
            f"cycle {self.cycles()}{cycle_time} · eval lag {lag_text} · "
            f"accounts {s['accounts']}: active {s['active']}, passed {s['passed']}, failed {s['failed']}, "
            f"funded {s['funded']} · restricted {s['restricted']} · "
            f"payouts requested {s['payouts_requested']}, paid {s['payouts_paid']}"
        )

    # -- stop ----------------------------------------------------------------------------------------
    def stop(self) -> list[str]:
        """Stop every part, last started first; the names of parts that did not stop in time."""
        self.stop_event.set()
        stuck = []
        for part in reversed(self.parts):
            try:
                if part.stop() is False:
                    stuck.append(part.name)
            except Exception:
                log.exception("stopping %s failed", part.name)
                stuck.append(part.name)
        self.parts.clear()
        return stuck


def _moto_interpreter(thread: threading.Thread) -> bool:
    """A daemon thread of moto's Step Functions interpreter: an execution still waiting for its task
    token (a payout awaiting approval when the run ended) keeps one until the process exits."""
    target = getattr(thread, "_target", None)
    return thread.daemon and (getattr(target, "__module__", "") or "").startswith("moto.")


def forget_redis_keys(client: redis.Redis, namespace: str) -> int:
    """Remove the run's keys (PostgreSQL keeps its record; Redis is a cache); returns how many."""
    removed = 0
    batch: list[bytes] = []
    for key in client.scan_iter(match=f"{namespace}*", count=1000):
        batch.append(key)
        if len(batch) >= 1000:
            removed += client.unlink(*batch)
            batch.clear()
    if batch:
        removed += client.unlink(*batch)
    return removed
