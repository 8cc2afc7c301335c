"""The poller's loop: start-up checks, one cycle per interval, commands in between, clean shutdown.

- Start: every group the programs name must exist on the server (else `MissingGroups`, no start);
  the state (cycle, deal cursor, seen tickets) is loaded from Redis and the last cycle's deal-carrying
  messages are sent again (same deduplication ids).
- Cycle start times are `interval` apart; a cycle that overruns is logged and the next one starts at
  once, fresh (missed ticks are not caught up, so cycles never pile up).
- Between cycles, commands taken from the inbox run until the next cycle is due (at least one), and,
  with the tick path on (`POLLER_TICK_INTERVAL_SECONDS`), the last quotes are polled every interval and
  the accounts holding what moved are valued (`propfirm.poller.prices`).
- MT5, Redis or SQS trouble: the error is logged and counted, and the loop waits with exponential
  backoff and jitter before trying again (the gateway re-authenticates by itself on the next call).
- Stop (SIGTERM/SIGINT set the event): the cycle and the command in flight finish, then it exits.

Size: the loop and its recovery (start-up checks, cycle timing, commands between cycles, backoff, shutdown)
share one state; the cycle's own steps live in `cycle`, `prices` and `triggers`, the blind-interval check in
`gap_check`.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import orjson
import redis
from botocore.exceptions import BotoCoreError, ClientError

from propfirm.domain.programs import Program, all_groups
from propfirm.live.blind import BlindIntervals, TickCoverage, blind_after
from propfirm.live.commands import CommandLedger
from propfirm.live.counting import RoundTrips
from propfirm.live.keys import LiveKeys
from propfirm.live.poller_state import PollerStateStore
from propfirm.live.records import parse_utc
from propfirm.mt5 import masks
from propfirm.mt5.backoff import Backoff
from propfirm.mt5.errors import AuthFailed, Mt5Error, Unsupported
from propfirm.mt5.port import Mt5Gateway
from propfirm.poller.changes import ChangeDetector
from propfirm.poller.collection import CollectionPacer
from propfirm.poller.commands import BadCommand, CommandExecutor
from propfirm.poller.cycle import CycleReport, PollCycle
from propfirm.poller.deals import DealTracker, to_ms
from propfirm.poller.fast_path import KillSwitch
from propfirm.poller.gap_review import GapInputs, GapReview, GapReviewer, review_messages
from propfirm.poller.inbox import CommandInbox
from propfirm.poller.observability import CycleMetrics, logger
from propfirm.poller.prices import PriceWatch, TickReport
from propfirm.poller.settings import PollerSettings
from propfirm.poller.startup import MissingGroups, missing_groups, watch_plan
from propfirm.poller.static_data import StaticDataCache
from propfirm.queues.sqs import Outgoing, SendFailed, SqsConsumer, SqsSender
from propfirm.sealing import Cipher, build_cipher

INFRA_ERRORS = (redis.RedisError, BotoCoreError, ClientError, SendFailed)


class Poller:
    def __init__(
        self,
        *,
        gateway: Mt5Gateway,
        redis_client: redis.Redis,
        sqs_client: Any,
        settings: PollerSettings,
        programs: Sequence[Program],
        clock: Callable[[], float] = time.monotonic,
        metrics: CycleMetrics | None = None,
        cipher: Cipher | None = None,
        tick_gateway: Mt5Gateway | None = None,
        open_session: Callable[[], Mt5Gateway] | None = None,
    ) -> None:
        self.gateway = gateway
        # a second MT5 session for the tick path's own thread; without it ticks are polled between cycles
        self.tick_gateway = tick_gateway
        # opens more MT5 sessions: the tick path's kill sessions (POLLER_KILL_SESSIONS; none without it)
        self.open_session = open_session
        self.kill_gateways: list[Mt5Gateway] = []
        self._tick_thread: threading.Thread | None = None
        self._tick_stop = threading.Event()  # this poller's tick thread only (a new poller has its own)
        self._tick_lock = threading.Lock()  # the tick counters, added to from the tick thread
        # opens the MT5 passwords a create_account command carries sealed (built on the first one)
        self._cipher = cipher
        self.settings = settings
        self.programs = list(programs)
        self.clock = clock
        self.metrics = metrics or CycleMetrics(settings.poller_metrics_flush_cycles)
        self.redis_round_trips = RoundTrips()
        self.sqs_requests = RoundTrips()
        keys = LiveKeys(settings.redis_namespace)
        self.store = PollerStateStore(redis_client, keys, gateway.server, round_trips=self.redis_round_trips,
                                      name=settings.poller_name)
        self.ledger = CommandLedger(redis_client, keys, self.redis_round_trips)
        self.sender = SqsSender(sqs_client, settings.evaluation_queue_url, self.sqs_requests)
        # the tick path values open positions: with it on, "auto" reads the positions of every watched group
        positions = settings.poller_positions
        if positions == "auto" and settings.poller_tick_interval_seconds > 0:
            positions = "always"
        self.plan = watch_plan(self.programs, settings.poller_groups, positions)
        self.static = StaticDataCache(gateway, settings.poller_static_refresh_seconds, clock)
        self.consumer = (SqsConsumer(sqs_client, settings.command_queue_url, self.sqs_requests)
                         if settings.command_queue_url else None)
        self.blind = BlindIntervals(redis_client, keys.blind(gateway.server, settings.poller_name),
                                    settings.poller_interval_seconds)
        # when the tick path polled cleanly: a slow cycle it watched through is blind only where it did not look
        self.coverage = TickCoverage(self.blind.wall)
        self._heartbeat_key = keys.heartbeat(gateway.server, settings.poller_name)
        self._keys = keys
        self.gaps: GapReviewer | None = None  # with the tick path: each blind interval checked after it
        self._reviews: ThreadPoolExecutor | None = None  # the checks' judging, off the cycle's thread
        # the reviews' messages, for the next cycle's outbox: the runner's, so a restarted cycle keeps them
        self._durable: deque[Outgoing] = deque()
        self._redis = redis_client
        self.cycle: PollCycle | None = None
        self.prices: PriceWatch | None = None
        self.ticks = TickReport()  # the tick polls since the last cycle (recorded with the next one)
        self.commands: CommandExecutor | None = None
        self.inbox: CommandInbox | None = None
        # full garbage collections between cycles, paced (installed while `run` runs)
        self.collector = (CollectionPacer(settings.poller_gc_seconds, clock) if settings.poller_gc_seconds > 0
                          else None)

    def cipher(self) -> Cipher:
        if self._cipher is None:
            self._cipher = build_cipher(self.settings.propfirm_credentials_kms_key_id)
        return self._cipher

    # -- start-up ------------------------------------------------------------------------------------
    def start(self, with_inbox: bool = True) -> None:
        self.static.refresh()
        missing = missing_groups(all_groups(self.programs), [g.name for g in self.static.groups.values()])
        if missing:
            raise MissingGroups(missing)
        unwatched = [g for g in all_groups(self.programs) if not masks.matches(g, self.plan.groups)]
        if unwatched:
            logger.warning("program groups outside POLLER_GROUPS are not polled", groups=unwatched)
        overlap_ms = self.settings.poller_deal_overlap_seconds * 1000
        state = self.store.load(overlap_ms)
        if state.cursor_ms is None:
            lookback = timedelta(seconds=self.settings.poller_deal_lookback_seconds)
            state.cursor_ms = to_ms(self.gateway.server_time().utc - lookback)
        tracker = DealTracker(overlap_ms, state.cursor_ms, state.seen,
                              window_ms=self.settings.poller_deal_window_seconds * 1000,
                              target_deals=self.settings.poller_deal_target)
        kill_switch = KillSwitch(self.gateway, self.gateway.server)
        if self.prices is not None:
            self.prices.close()  # a start after a failed one: the last watch's kill pool
        self.prices = None
        if self.settings.poller_tick_interval_seconds > 0:
            tick_gateway = self.tick_gateway or self.gateway
            self.prices = PriceWatch(
                gateway=tick_gateway,
                kill_switch=kill_switch if tick_gateway is self.gateway else kill_switch.over(tick_gateway),
                sender=self.sender,
                shard_count=self.settings.poller_shard_count,
                max_tick_age=timedelta(seconds=self.settings.poller_tick_max_age_seconds), clock=self.clock,
                kill_sessions=[(g, kill_switch.over(g)) for g in self._kill_sessions()],
            )
        self.gaps = None if self.prices is None else GapReviewer(
            gateway=self.gateway, client=self._redis, key=self._keys.gap_reviews(self.gateway.server,
                                                                                  self.settings.poller_name),
            groups=self.plan.groups, floor_key=lambda login: self._keys.floor(self.gateway.server, login),
            currency_of_login=self._currency_of_login, poller=self.settings.poller_name,
            send=self._durable.extend, max_message_bytes=self.settings.poller_message_max_bytes,
        )
        cycle = PollCycle(
            gateway=self.gateway, store=self.store, sender=self.sender, plan=self.plan,
            shard_count=self.settings.poller_shard_count,
            detector=ChangeDetector(self.settings.poller_heartbeat_seconds), tracker=tracker,
            kill_switch=kill_switch, last_cycle=state.cycle,
            max_message_bytes=self.settings.poller_message_max_bytes, clock=self.clock,
            prices=self.prices, currency_of=self._currency_of, durable=self._durable,
            positions_full_seconds=self.settings.poller_positions_full_seconds,
        )
        if state.outbox:
            self._resend_outbox([Outgoing.from_json(o) for o in state.outbox], tracker)
        self.cycle = cycle
        if self.consumer is not None:
            self.commands = CommandExecutor(self.gateway, self.ledger, self.sender,
                                            self.settings.poller_shard_count,
                                            lambda: self.cycle.groups_known if self.cycle else {},
                                            self.plan.groups, cipher=self.cipher)
            if with_inbox:
                self.inbox = CommandInbox(self.consumer, self.settings.poller_command_wait_seconds)
                self.inbox.start()
        logger.info("poller started", server=self.gateway.server, groups=self.plan.groups,
                    position_groups=self.plan.position_groups, cycle=state.cycle, cursor_ms=state.cursor_ms,
                    resent=len(state.outbox))

    def _kill_sessions(self) -> list[Mt5Gateway]:
        """The tick path's kill sessions, opened once (a restarted start keeps them; each logs in on its first
        request and again after MT5 dropped it, as any session here does)."""
        wanted = self.settings.poller_kill_sessions if self.open_session is not None else 0
        while len(self.kill_gateways) < wanted:
            assert self.open_session is not None
            self.kill_gateways.append(self.open_session())
        return self.kill_gateways

    def _currency_of_login(self, login: int) -> str:
        group = self.cycle.groups_known.get(login) if self.cycle is not None else None
        return self._currency_of(group) if group else "USD"

    def _currency_of(self, group: str) -> str:
        info = self.static.group(group)
        return info.currency if info is not None else "USD"

    def _resend_outbox(self, outbox: list[Outgoing], tracker: DealTracker) -> None:
        """The last deal messages may not have gone out: mark their deals seen and send them again now,
        before any new pipeline replaces the outbox (a failure here fails the start, outbox intact)."""
        tickets = {d["ticket"]: to_ms_iso(d["time"])
                   for m in outbox for d in orjson.loads(m.body).get("deals", [])}
        self.store.mark_seen(tickets)
        tracker.seen.update(tickets)
        self.sender.send(outbox)

    # -- one cycle -----------------------------------------------------------------------------------
    def run_cycle(self) -> CycleReport:
        assert self.cycle is not None, "start() first"
        wall, cpu = time.perf_counter(), time.thread_time()
        redis_before, sqs_before = self.redis_round_trips.count, self.sqs_requests.count
        report = self.cycle.run()
        duration, cpu_used = time.perf_counter() - wall, time.thread_time() - cpu
        self.metrics.record(duration_s=duration, cpu_s=cpu_used, accounts=report.accounts,
                            changed=report.changed, messages=report.messages,
                            sqs_requests=self.sqs_requests.count - sqs_before,
                            redis_round_trips=self.redis_round_trips.count - redis_before,
                            breaches=len(report.kills))
        if self.plan.position_groups:
            self.metrics.count("PositionsReadWhole", int(report.positions_whole))
            self.metrics.count("PositionsReadAgain", report.positions_read_again)
        if self.prices is not None:
            self._add_ticks(self.prices.after_read)  # the books valued at the read's own quotes
        self._record_ticks()
        for kill in report.kills:
            logger.warning("breach: kill switch pulled", login=kill.login, equity=str(kill.equity),
                           floor=str(kill.floor.level), reason=kill.reason, closed=len(kill.close.closed),
                           error=kill.close.error)
        logger.debug("cycle", cycle=report.cycle, accounts=report.accounts, changed=report.changed,
                     deals=report.new_deals, messages=report.messages, duration_ms=round(duration * 1000, 1))
        return report

    # -- the tick path ---------------------------------------------------------------------------------
    def poll_prices(self) -> TickReport | None:
        """One tick poll (when the tick path is on); an adapter without price reads turns it off."""
        if self.prices is None:
            return None
        try:
            report = self.prices.poll()
        except Unsupported as exc:
            logger.warning("the tick path is off: the MT5 adapter has no price reads", error=str(exc))
            self.prices = None
            if self.cycle is not None:
                self.cycle.prices = None
            return None
        self._add_ticks(report)
        if report.refused == 0:  # a poll that refused a stale quote did not look at that symbol's books
            self.coverage.polled()
        return report

    def _add_ticks(self, report: TickReport) -> None:
        with self._tick_lock:
            ticks = self.ticks
            ticks.ticks += report.ticks
            ticks.refused += report.refused
            ticks.estimated += report.estimated
            ticks.checked += report.checked
            ticks.kills.extend(report.kills)

    def _tick_loop(self, stop: threading.Event) -> None:
        """The tick path on its own thread and MT5 session: a poll every interval until the stop; MT5
        trouble is logged and counted, and the next poll tries again after a backoff."""
        interval = self.settings.poller_tick_interval_seconds
        backoff = Backoff(base=interval, cap=10.0)
        while not stop.is_set() and not self._tick_stop.is_set() and self.prices is not None:
            began = self.clock()
            try:
                self.poll_prices()
                backoff.reset()
            except (Mt5Error, *INFRA_ERRORS) as exc:
                delay = backoff.next_delay()
                logger.warning("tick poll failed", error=str(exc), error_type=type(exc).__name__,
                               retry_in_s=round(delay, 2))
                self.metrics.count("TickPollErrors")
                self._tick_stop.wait(delay)
                continue
            self._tick_stop.wait(max(0.0, began + interval - self.clock()))

    def _start_tick_thread(self, stop: threading.Event) -> None:
        if self.tick_gateway is None or self.prices is None:
            return
        if self._tick_thread is not None and self._tick_thread.is_alive():
            return
        self._tick_thread = threading.Thread(target=self._tick_loop, args=(stop,), name="poller-ticks",
                                             daemon=True)
        self._tick_thread.start()

    def _record_ticks(self) -> None:
        if self.prices is None:
            return
        with self._tick_lock:
            ticks, self.ticks = self.ticks, TickReport()
        self.metrics.count("TicksAccepted", ticks.ticks)
        self.metrics.count("TicksRefused", ticks.refused)
        self.metrics.count("EstimatesChecked", ticks.checked)
        self.metrics.count("TickKills", len(ticks.kills))
        drift = self.cycle.last_drift if self.cycle is not None else None
        if drift is not None:
            self.metrics.count("EstimateDrift", float(drift))

    def _between_cycles(self, next_start: float, stop: threading.Event) -> None:
        """Commands until the next cycle is due; with the tick path on, a tick poll every interval too."""
        tick = self.settings.poller_tick_interval_seconds

        def polls_here() -> bool:  # the tick path is on and has no thread of its own
            return self.prices is not None and tick > 0 and self._tick_thread is None

        while polls_here() and not stop.is_set() and self.clock() < next_start:
            due = min(self.clock() + tick, next_start)
            self.poll_prices()
            self.process_commands(due, stop)
            stop.wait(max(0.0, due - self.clock()))
        if not polls_here():  # off, on its own thread, or turned off meanwhile: commands only
            self.process_commands(next_start, stop)
            stop.wait(max(0.0, next_start - self.clock()))

    # -- commands ------------------------------------------------------------------------------------
    def process_commands(self, deadline: float, stop: threading.Event | None = None) -> int:
        """Run the inbox's commands until `deadline` (at least one when any is waiting)."""
        if self.inbox is None or self.commands is None or self.consumer is None:
            return 0
        done = 0
        while done == 0 or (self.clock() < deadline and not (stop and stop.is_set())):
            message = self.inbox.take()
            if message is None:
                break
            try:
                self.commands.handle(message.body)
            except BadCommand as exc:
                logger.error("bad command left for the dead-letter queue", message_id=message.message_id,
                             error=str(exc))
                done += 1
                continue
            self.consumer.delete(message)
            done += 1
        return done

    def retry_parked_commands(self) -> int:
        """The commands MT5 could not carry out yet (closes while a market is closed), tried once a cycle."""
        if self.commands is None:
            return 0
        try:
            return self.commands.retry_waiting()
        except INFRA_ERRORS as exc:  # Redis or the queue away: the next cycle tries again
            logger.warning("parked commands not retried", error=str(exc))
            return 0

    # -- the loop ------------------------------------------------------------------------------------
    def run(self, stop: threading.Event) -> int:
        interval = self.settings.poller_interval_seconds
        backoff = Backoff(base=0.5, cap=30.0)
        if self.collector is not None:
            self.collector.install()
        try:
            while not stop.is_set():
                if self.cycle is None:
                    try:
                        self.start()
                        self.blind.resume_after(self._last_heartbeat())
                        self._start_tick_thread(stop)
                        backoff.reset()
                    except MissingGroups:
                        raise
                    except (Mt5Error, *INFRA_ERRORS) as exc:
                        self.blind.cycle_failed(exc)
                        self._failed("start-up failed", exc, backoff, stop)
                        continue
                begin = self.clock()
                try:
                    if self.static.due():
                        self.static.refresh()
                    self.run_cycle()
                    backoff.reset()
                    self.retry_parked_commands()
                except (Mt5Error, *INFRA_ERRORS) as exc:
                    self.blind.cycle_failed(exc)
                    self._failed("cycle failed", exc, backoff, stop)
                    continue
                blind = self.blind.cycle_done()
                if blind is not None:
                    logger.warning("the poller was blind", **blind)
                    self._review_gap(blind)
                elapsed = self.clock() - begin
                next_start = begin + interval
                if elapsed > interval:
                    logger.warning("cycle overran its interval; the next starts now",
                                   duration_s=round(elapsed, 3), interval_s=interval)
                    self.metrics.count("CycleOverruns")
                    next_start = self.clock()
                self._collect_garbage()
                try:
                    self._between_cycles(next_start, stop)
                except (Mt5Error, *INFRA_ERRORS) as exc:
                    self._failed("command or tick poll failed", exc, backoff, stop)
                    continue
        finally:
            self.close()
        return 0

    def _collect_garbage(self) -> None:
        paused = self.collector.after_cycle() if self.collector is not None else None
        if paused is not None:
            self.metrics.duration("GcPause", paused)

    def _review_gap(self, blind: dict[str, Any]) -> None:
        """Check the blind interval just closed against MT5's record of it (with the tick path's books): the
        reads here, on this thread's MT5 session; the judging, pure CPU over possibly thousands of accounts
        and hours of minutes, on a thread of its own, so the next cycle is not held up by it."""
        if self.gaps is None or self.prices is None:
            self._record_unchecked(blind, "the tick path is off: no books to check the gap from")
            return
        try:
            inputs = self.gaps.gather(blind, self.prices, watched=self._watched_throughout(blind))
        except Exception as exc:  # noqa: BLE001 - a review is advice: it never stops the watching
            self._review_failed(exc, blind)
            return
        if self._reviews is None:
            self._reviews = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gap-review")
        self._reviews.submit(self._finish_review, inputs, blind)

    def _watched_throughout(self, blind: dict[str, Any]) -> bool:
        """A slow cycle (nothing failed, no restart) through which the tick path never paused longer than a
        blind gap of its own interval: the books it held were judged at every poll."""
        if blind.get("failed_cycles") or blind.get("cause") != "slow cycle":
            return False
        pause = self.coverage.longest_pause(parse_utc(blind["from"]).timestamp(), parse_utc(blind["to"]).timestamp())
        return pause is not None and pause <= blind_after(self.settings.poller_tick_interval_seconds)

    def _finish_review(self, inputs: GapInputs, blind: dict[str, Any]) -> None:
        assert self.gaps is not None
        try:
            review = self.gaps.finish(inputs)
        except Exception as exc:  # noqa: BLE001 - a review is advice: it never stops the watching
            self._review_failed(exc, blind)
            return
        if review.to_review:
            self.metrics.count("GapBreaches", len(review.to_review))

    def _review_failed(self, exc: Exception, blind: dict[str, Any]) -> None:
        logger.warning("the blind interval could not be checked", error=str(exc), error_type=type(exc).__name__,
                       **blind)
        self.metrics.error("GapReviewErrors")
        self._record_unchecked(blind, f"the check failed: {type(exc).__name__}: {exc}"[:300])

    def _record_unchecked(self, blind: dict[str, Any], reason: str) -> None:
        """A blind interval that could not be checked is recorded all the same, with why, for a person (a review
        of it recorded before keeps its findings: the evaluator records an interval once)."""
        unchecked = GapReview(None, None, blind, reason=reason)
        self._durable.extend(review_messages(unchecked, self.gateway.server, self.settings.poller_name,
                                             self.settings.poller_message_max_bytes))

    def wait_for_reviews(self) -> None:
        """Let the reviews submitted so far finish (tests; `close` waits for them too)."""
        if self._reviews is not None:
            self._reviews.submit(lambda: None).result()

    def _last_heartbeat(self) -> float | None:
        """When the last good cycle (of this poller or the one before it) ended, from its heartbeat."""
        try:
            raw = self._redis.get(self._heartbeat_key)
            return float(orjson.loads(raw)["epoch"]) if raw else None
        except (redis.RedisError, ValueError, KeyError, TypeError):
            return None

    def _failed(self, what: str, exc: Exception, backoff: Backoff, stop: threading.Event) -> None:
        delay = backoff.next_delay()
        if isinstance(exc, AuthFailed):  # anti-flood: never hammer a server that refuses the login
            delay = max(delay, 30.0)
        logger.warning(what, error=str(exc), error_type=type(exc).__name__, retry_in_s=round(delay, 2))
        self.metrics.error("Mt5Errors" if isinstance(exc, Mt5Error) else "InfraErrors")
        stop.wait(delay)

    def close(self) -> None:
        if self.collector is not None:
            self.collector.close()
        if self._reviews is not None:
            self._reviews.shutdown(wait=True, cancel_futures=False)
            self._reviews = None
        if self._tick_thread is not None:
            self._tick_stop.set()
            self._tick_thread.join(timeout=5)
            self._tick_thread = None
        if self.prices is not None:
            self.prices.close()
        for session in [*([self.tick_gateway] if self.tick_gateway is not None else []), *self.kill_gateways]:
            try:
                session.close()
            except Mt5Error as exc:
                logger.warning("closing the tick path's MT5 session failed", error=str(exc))
        self.kill_gateways = []
        if self.inbox is not None:
            self.inbox.stop()
            self.inbox = None
        self.metrics.flush()
        try:
            self.gateway.close()
        except Mt5Error as exc:
            logger.warning("closing the MT5 session failed", error=str(exc))


def to_ms_iso(text: str) -> int:
    from propfirm.live.records import parse_utc

    return to_ms(parse_utc(text))
