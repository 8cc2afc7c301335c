"""Poller benchmark: one cycle at 1k, 10k and 100k accounts beside the naive design, breach-to-close
latency at 10k accounts with a 2 s interval, and price move to kill at 10k and 100k accounts.

    .venv/bin/python bench/bench_poller.py [--quick]      (--quick: 1k and 10k only, few cycles)

Set-up (all on this machine): the simulated MT5 Web API in a child process (`propfirm sim --http`, its
traders trading and its clock running 60x), so that the poller's CPU time and resident memory are its
own; Redis from REDIS_URL under a namespace of its own; SQS in moto's server (a child process).

- The poller's cycle, measured on its own thread: wall time, CPU time (`time.thread_time`), Redis round
  trips and SQS requests (counted by the adapters themselves), accounts changed, messages sent. The first
  cycle after a start sends every account; the steady cycles send what changed.
- The naive design, measured on a sample of accounts and scaled to N: per account one MT5 call
  (`/api/user/account/get`), two Redis writes (snapshot, last-seen), one SQS message (SendMessage).
- Memory: the peak resident set of this process (the poller and the benchmark's bookkeeping) during each
  run (the high-water mark is reset before it: each run's figure is its own).
- Latency: the simulator in-process (the test needs its world), 10k accounts, the poller looping every
  2 s with prices moving; every so often one account with an open position and a valid floor gets a
  balance correction that puts its equity under the floor; the latency is from that instant until
  MT5 shows the account with no position.
- Price move to kill, the full-read design beside the tick path (`POLLER_TICK_INTERVAL_SECONDS` 0 and
  0.25; the tick path with trigger prices, and with every book valued at each quote as before them), at
  10k and 100k accounts, 2 s interval: the simulator in a child process steered through a pipe
  (propfirm.benchkit.sim_control); its traders trade four rounds first, every account gets a floor 5 % under its
  equity, and every symbol but XAUUSD moves a point every 0.25 s. Victims hold one lot of XAUUSD with
  floors a step apart; every so often the price falls one step, taking one more victim through its floor;
  the latency is from the quote until MT5 shows that victim with no position. CPU per tick poll is the
  tick thread's time.

    .venv/bin/python bench/bench_poller.py --moves-at 10000,100000 --moves 12   (the price moves only)
    .venv/bin/python bench/bench_poller.py --moves-at 100000 --designs trigger   (one design)

- A crash: one quote takes 50 accounts through their floors at once, three times; from the quote until MT5
  shows each flat, with the tick path's kills one after another (`POLLER_KILL_SESSIONS` 0) and over three
  more MT5 sessions (the default), every MT5 answer 10 ms late (a network's round trip; the simulator
  answers at once on this machine, where its CPU, not the wire, bounds what parallel sessions gain).

    .venv/bin/python bench/bench_poller.py --crash-at 10000,100000 --kill-sessions 0,3
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")  # no EMF lines in the table's output
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")

import boto3  # noqa: E402
import orjson  # noqa: E402
import redis  # noqa: E402
from propfirm.benchkit.harness import MANAGER_LOGIN, MANAGER_PASSWORD, moto_server, simulator_process  # noqa: E402
from propfirm.domain.programs import load_example_programs  # noqa: E402
from propfirm.live.keys import LiveKeys  # noqa: E402
from propfirm.live.records import FloorRecord, iso_utc  # noqa: E402
from propfirm.mt5.settings import Mt5Settings, gateway_from_settings  # noqa: E402
from propfirm.mt5.webapi import parsing  # noqa: E402
from propfirm.poller.runner import Poller  # noqa: E402
from propfirm.poller.settings import PollerSettings  # noqa: E402
from propfirm.queues.sharding import shard_of  # noqa: E402
from propfirm.settings import DEFAULT_REDIS_URL, load  # noqa: E402

# a trading weekday: the figures never depend on the day the benchmark runs
START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
SHARDS = 16


@contextlib.contextmanager
def moto_sqs() -> Iterator[Any]:
    """moto's server in a child process (its queues' memory and CPU are not the poller's)."""
    with moto_server() as endpoint:
        yield boto3.client("sqs", region_name="us-east-1", endpoint_url=endpoint,
                           aws_access_key_id="bench", aws_secret_access_key="bench")


ACCOUNT_READS = ["pages"]  # --account-reads: how the gateway reads account states (MT5_ACCOUNT_READS)
GC_SECONDS = [60.0]  # --gc-seconds: the loop's full garbage collections (POLLER_GC_SECONDS)
INTERVAL = [2.0]  # --interval: the price-move runs' cycle interval (POLLER_INTERVAL_SECONDS)


# the price-move runs' designs: (tick interval, trigger prices)
DESIGNS = {"full": (0.0, True), "every-book": (0.25, False), "trigger": (0.25, True)}


def reset_peak_memory() -> None:
    """Start a new peak: Linux resets a process's high-water mark of resident memory (VmHWM) on writing 5
    to its clear_refs, so each run's peak is its own, not the largest of the runs before it."""
    with contextlib.suppress(OSError), open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")


def peak_memory_mib() -> float:
    """The peak resident memory since `reset_peak_memory` (since the start where it cannot be reset)."""
    with contextlib.suppress(OSError), open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def make_poller(url: str, sqs: Any, queue_url: str, namespace: str, interval: float = 2.0,
                tick: float = 0.0, kill_sessions: int = 3) -> Poller:
    gateway = gateway_from_settings(load(Mt5Settings, url=url, manager_login=MANAGER_LOGIN,
                                         manager_password=MANAGER_PASSWORD, timeout_seconds=60,
                                         account_reads=ACCOUNT_READS[0]))
    settings = load(PollerSettings, evaluation_queue_url=queue_url, redis_namespace=namespace,
                    redis_url=os.environ.get("REDIS_URL", DEFAULT_REDIS_URL), poller_shard_count=SHARDS,
                    poller_interval_seconds=interval, poller_metrics_flush_cycles=1000,
                    poller_tick_interval_seconds=tick, poller_kill_sessions=kill_sessions,
                    poller_gc_seconds=GC_SECONDS[0],
                    poller_deal_lookback_seconds=0)  # the cycle, not a backlog of the simulator's past hour
    tick_gateway = (gateway_from_settings(load(Mt5Settings, url=url, manager_login=MANAGER_LOGIN,
                                               manager_password=MANAGER_PASSWORD, timeout_seconds=60))
                    if tick > 0 else None)
    def open_session() -> Any:
        return gateway_from_settings(load(Mt5Settings, url=url, manager_login=MANAGER_LOGIN,
                                          manager_password=MANAGER_PASSWORD, timeout_seconds=60))

    return Poller(gateway=gateway, redis_client=redis.Redis.from_url(settings.redis_url), sqs_client=sqs,
                  settings=settings, programs=list(load_example_programs().values()), tick_gateway=tick_gateway,
                  open_session=open_session)


def count_mt5_calls(poller: Poller) -> list[int]:
    """Count the gateway's HTTP requests (the port has no counter of its own)."""
    transport: Any = poller.gateway.transport  # type: ignore[attr-defined]
    counter = [0]
    for name in ("read", "write"):
        original = getattr(transport, name)

        def counted(*args: Any, _original: Any = original, **kwargs: Any) -> Any:
            counter[0] += 1
            return _original(*args, **kwargs)

        setattr(transport, name, counted)
    return counter


def measured_cycle(poller: Poller, mt5_calls: list[int]) -> dict[str, float]:
    redis_before, sqs_before = poller.redis_round_trips.count, poller.sqs_requests.count
    mt5_before = mt5_calls[0]
    wall, cpu = time.perf_counter(), time.thread_time()
    report = poller.cycle.run()  # type: ignore[union-attr]
    return {
        "wall_s": time.perf_counter() - wall,
        "cpu_s": time.thread_time() - cpu,
        "redis_round_trips": poller.redis_round_trips.count - redis_before,
        "sqs_requests": poller.sqs_requests.count - sqs_before,
        "mt5_calls": mt5_calls[0] - mt5_before,
        "accounts": report.accounts,
        "changed": report.changed,
        "messages": report.messages,
        "deals": report.new_deals,
    }


def naive_sample(poller: Poller, sqs: Any, queue_url: str, namespace: str, sample: int, accounts: int
                 ) -> dict[str, float]:
    """One MT5 call, two Redis writes and one SQS message per account, timed on `sample` accounts."""
    gateway: Any = poller.gateway
    client = poller.store.client
    keys = LiveKeys(namespace + "naive:")
    logins = sorted(poller.cycle.groups_known.items())[:sample]  # type: ignore[union-attr]
    mt5_calls = redis_writes = sqs_requests = 0
    wall, cpu = time.perf_counter(), time.thread_time()
    for login, group in logins:
        record = gateway.transport.read("/api/user/account/get", {"login": login})
        mt5_calls += 1
        state = parsing.account_state(record, gateway.server, group)
        body = orjson.dumps({"v": 1, "server": state.server, "login": login, "balance": str(state.balance),
                             "equity": str(state.equity), "credit": str(state.credit),
                             "margin": str(state.margin)})
        client.set(keys.snap(state.server, login), body, ex=86_400)
        client.set(keys.account_prefix(state.server, login) + "seen", time.time())
        redis_writes += 2
        sqs.send_message(QueueUrl=queue_url, MessageBody=body.decode(),
                         MessageGroupId=str(shard_of(state.server, login, SHARDS)),
                         MessageDeduplicationId=f"naive:{login}:{uuid.uuid4().hex}")
        sqs_requests += 1
    scale = accounts / max(1, len(logins))
    return {
        "sample": len(logins),
        "wall_s": (time.perf_counter() - wall) * scale,
        "cpu_s": (time.thread_time() - cpu) * scale,
        "mt5_calls": mt5_calls * scale,
        "redis_round_trips": redis_writes * scale,
        "sqs_requests": sqs_requests * scale,
    }


def bench_size(accounts: int, cycles: int, pause: float, sample: int, sqs: Any, namespace: str
               ) -> dict[str, Any]:
    queue_url = sqs.create_queue(QueueName=f"bench-{accounts}.fifo",
                                 Attributes={"FifoQueue": "true"})["QueueUrl"]
    reset_peak_memory()
    with simulator_process(accounts, speed=60.0) as (url, _, _):
        poller = make_poller(url, sqs, queue_url, namespace)
        poller.start(with_inbox=False)
        mt5_calls = count_mt5_calls(poller)
        first = measured_cycle(poller, mt5_calls)
        steady = []
        for _ in range(cycles):
            time.sleep(pause)  # the simulator's traders trade, prices move
            steady.append(measured_cycle(poller, mt5_calls))
        rss_mib = peak_memory_mib()
        naive = naive_sample(poller, sqs, queue_url, namespace, sample, accounts)
        poller.close()
    sqs.delete_queue(QueueUrl=queue_url)
    mid = {k: statistics.median(c[k] for c in steady) for k in steady[0]}
    return {"accounts": accounts, "first_cycle": first, "steady_cycle_median": mid, "naive": naive,
            "peak_rss_mib": rss_mib}


def _percentiles(ordered: list[float]) -> Any:
    """The nearest-rank percentile of `ordered` (sorted, not empty when called)."""

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]

    return pct


def _victims(world: Any, targets: int, symbol: str) -> list[int]:
    """`targets` new accounts in phase 1, each holding one lot of `symbol`."""
    victims = []
    for _ in range(targets):
        login = world.create_account("challenge\\phase1", balance="100000")
        world.open_position(login, symbol, "buy", "1.00")
        victims.append(login)
    return victims


def _floors(poller: Poller, keys: LiveKeys, accounts: list[tuple[int, Decimal]], now: datetime,
            level_of: Any) -> None:
    """A valid daily floor for each account (login, equity) at `level_of(k, equity)` (k from 1), written in
    pipelines (write_floor's check of the state version is one round trip per account; none is stored yet)."""
    pipe = poller.store.client.pipeline(transaction=False)
    for k, (login, equity) in enumerate(accounts, start=1):
        record = FloorRecord(level=level_of(k, equity), expires_at=now + timedelta(hours=6), reason="daily_loss",
                             breach_at="touch", action="fail", version=1)
        pipe.set(keys.floor("default", login), record.encode(), px=6 * 3_600_000)
        if k % 5_000 == 0:
            pipe.execute()
    pipe.execute()


def bench_latency(accounts: int, duration: float, targets: int, sqs: Any, namespace: str) -> dict[str, Any]:
    from propfirm.sim.testing import running_simulator

    queue_url = sqs.create_queue(QueueName="bench-latency.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    keys = LiveKeys(namespace + "lat:")
    with running_simulator(start=START, accounts=accounts, seed=2, speed=0) as sim:
        world = sim.world
        victims = _victims(world, targets, "EURUSD")
        poller = make_poller(sim.url, sqs, queue_url, namespace + "lat:", interval=2.0)
        _floors(poller, keys, [(login, world.account(login).equity) for login in victims], world.now(),
                lambda k, equity: equity - Decimal(2000))
        durations: list[float] = []
        original = poller.run_cycle

        def timed_cycle() -> Any:
            started = time.perf_counter()
            report = original()
            durations.append(time.perf_counter() - started)
            return report

        poller.run_cycle = timed_cycle  # type: ignore[method-assign]
        stop = threading.Event()
        loop = threading.Thread(target=poller.run, args=(stop,), daemon=True)
        loop.start()
        market_stop = threading.Event()

        def market() -> None:  # prices keep moving, as they do
            while not market_stop.wait(0.5):
                world.step()

        threading.Thread(target=market, daemon=True).start()
        while len(durations) < 2:
            time.sleep(0.05)
        latencies: list[float] = []
        gap = duration / targets
        pending: dict[int, float] = {}
        next_breach = time.perf_counter()
        queue = list(victims)
        deadline = time.perf_counter() + duration + 6.0
        while (queue or pending) and time.perf_counter() < deadline:
            now_perf = time.perf_counter()
            if queue and now_perf >= next_breach:
                login = queue.pop(0)
                world.balance(login, "-3000", action=5, comment="bench breach", check_margin=False)
                pending[login] = time.perf_counter()
                next_breach = now_perf + gap
            for login in list(pending):
                if not world.get_account(login).positions:
                    latencies.append(time.perf_counter() - pending.pop(login))
            time.sleep(0.005)
        market_stop.set()
        stop.set()
        loop.join(timeout=30)
    sqs.delete_queue(QueueUrl=queue_url)
    latencies.sort()
    pct = _percentiles(latencies)

    return {"accounts": accounts + targets, "interval_s": 2.0, "breaches": targets, "closed": len(latencies),
            "p50_s": pct(50) if latencies else None, "p99_s": pct(99) if latencies else None,
            "max_s": latencies[-1] if latencies else None,
            "cycle_median_s": statistics.median(durations) if durations else None}


def bench_price_moves(accounts: int, targets: int, tick: float, sqs: Any, namespace: str, screen: bool = True
                      ) -> dict[str, Any]:
    """Price move to kill latency, with the tick path at `tick` seconds (0: the full reads only); the
    simulator in a child process steered through a pipe (propfirm.benchkit.sim_control). `screen` False: no book has
    a trigger price (propfirm.poller.triggers), every one is valued at each quote, as before the screen."""
    from unittest import mock

    from propfirm.benchkit.sim_control import controlled_simulator

    if not screen:
        with mock.patch("propfirm.poller.prices.trigger_of", return_value=None):
            return {**bench_price_moves(accounts, targets, tick, sqs, namespace + "all", True), "screen": False}

    queue_url = sqs.create_queue(QueueName=f"bench-ticks-{accounts}-{int(tick * 1000)}.fifo",
                                 Attributes={"FifoQueue": "true"})["QueueUrl"]
    space = f"{namespace}ticks{accounts}-{int(tick * 1000)}:"
    keys = LiveKeys(space)
    step = "-1.50"  # XAUUSD: 100 oz a lot, so 150 of equity per victim per step
    reset_peak_memory()
    with controlled_simulator(accounts, start=START, seed=2) as sim:
        victims, others, now = sim.victims(targets, "XAUUSD")
        poller = make_poller(sim.url, sqs, queue_url, space, interval=INTERVAL[0], tick=tick)
        # victim k goes through its floor after k steps of the price; every other account has a floor 5 %
        # under its equity, as every active challenge has one
        _floors(poller, keys, victims, now, lambda k, equity: equity - Decimal(150) * k + Decimal(75))
        _floors(poller, keys, others, now, lambda k, equity: (equity * Decimal("0.95")).quantize(Decimal("0.01")))
        sim.market(0.25, "XAUUSD")  # every other symbol moves, as a market does, so every book is valued again
        polls: list[tuple[float, int]] = []
        original_poll = poller.poll_prices

        def timed_poll() -> Any:
            cpu = time.thread_time()
            report = original_poll()
            if report is not None:
                polls.append((time.thread_time() - cpu, report.estimated))
            return report

        poller.poll_prices = timed_poll  # type: ignore[method-assign]
        cycles: list[float] = []
        original_cycle = poller.run_cycle

        def timed_cycle() -> Any:
            cpu = time.thread_time()
            report = original_cycle()
            cycles.append(time.thread_time() - cpu)
            return report

        poller.run_cycle = timed_cycle  # type: ignore[method-assign]
        pauses = _record_collections(poller)
        reviews = _Reviews()
        stop = threading.Event()
        loop = threading.Thread(target=poller.run, args=(stop,), daemon=True)
        loop.start()
        while len(cycles) < 2:
            time.sleep(0.05)
        latencies: list[float] = []
        rng = __import__("random").Random(7)
        began, polls_before = time.perf_counter(), len(polls)
        for login, _ in victims:
            time.sleep(rng.uniform(0.5, 2.5))  # at a random point of the cycle
            seconds = sim.move("XAUUSD", step, advance_ms=200, until_flat=login, timeout=10.0)
            if seconds is not None:
                latencies.append(seconds)
        valued_per_s = sum(n for _, n in polls[polls_before:]) / (time.perf_counter() - began)
        watch = poller.prices
        floored = sum(1 for book in watch.books.values() if book.floor is not None) if watch else 0
        screened = len(watch.triggers.logins) if watch else 0
        stop.set()
        loop.join(timeout=60)
        poller.close()
        reviews.stop()
    sqs.delete_queue(QueueUrl=queue_url)
    latencies.sort()
    pct = _percentiles(latencies)
    busy = [p for p in polls if p[1]]  # the polls in which a quote moved and accounts were valued again
    return {"accounts": accounts + targets, "tick_s": tick, "interval_s": INTERVAL[0], "moves": targets,
            "closed": len(latencies),
            "p50_s": pct(50) if latencies else None, "p99_s": pct(99) if latencies else None,
            "max_s": latencies[-1] if latencies else None,
            "cpu_per_poll_ms": statistics.median(c for c, _ in polls) * 1000 if polls else None,
            "polls": len(polls),
            "cpu_per_valuing_poll_ms": statistics.median(c for c, _ in busy) * 1000 if busy else None,
            "valued_per_poll": statistics.median(n for _, n in busy) if busy else None,
            "valued_per_s": valued_per_s, "screen": screen, "books_with_floors": floored,
            "books_screened": screened,
            "cycle_cpu_median_s": statistics.median(cycles),
            "gc_seconds": GC_SECONDS[0], "full_collections": len(pauses),
            "gc_pause_max_s": max(pauses) if pauses else None,
            **reviews.summary(),
            "peak_rss_mib": peak_memory_mib()}


class _Reviews:
    """Each blind interval's check while the patch is on: its CPU (the reads on the cycle's thread, the judging
    on the review thread) and how many accounts it judged and counted as watched by the tick path."""

    def __init__(self) -> None:
        from unittest import mock

        from propfirm.poller.gap_review import GapReviewer

        self.gathered: list[float] = []
        self.judged: list[tuple[float, int, int]] = []
        gather, finish = GapReviewer.gather, GapReviewer.finish

        def timed_gather(reviewer: Any, *args: Any, **kwargs: Any) -> Any:
            cpu = time.thread_time()
            try:
                return gather(reviewer, *args, **kwargs)
            finally:
                self.gathered.append(time.thread_time() - cpu)

        def timed_finish(reviewer: Any, inputs: Any) -> Any:
            cpu = time.thread_time()
            review = finish(reviewer, inputs)
            self.judged.append((time.thread_time() - cpu, review.checked, getattr(review, "watched", 0)))
            return review

        self._patches = [mock.patch.object(GapReviewer, "gather", timed_gather),
                         mock.patch.object(GapReviewer, "finish", timed_finish)]
        for patch in self._patches:
            patch.start()

    def stop(self) -> None:
        for patch in self._patches:
            patch.stop()

    def summary(self) -> dict[str, Any]:
        if not self.judged:
            return {"reviews": 0}
        return {"reviews": len(self.judged),
                "review_cpu_s": sum(self.gathered) + sum(c for c, _, _ in self.judged),
                "review_cpu_median_s": statistics.median(g + c for g, (c, _, _) in zip(self.gathered, self.judged,
                                                                                        strict=False)),
                "review_checked_median": statistics.median(n for _, n, _ in self.judged),
                "review_watched_median": statistics.median(w for _, _, w in self.judged)}


def _record_collections(poller: Poller) -> list[float]:
    """The loop's full garbage collections (POLLER_GC_SECONDS), each one's pause in seconds."""
    pauses: list[float] = []
    collector = poller.collector
    if collector is not None:
        paced = collector.after_cycle

        def recorded() -> float | None:
            paused = paced()
            if paused is not None:
                pauses.append(paused)
            return paused

        collector.after_cycle = recorded  # type: ignore[method-assign]
    return pauses


def bench_crash(accounts: int, per_crash: int, crashes: int, sessions: int, rtt: float, sqs: Any, namespace: str
                ) -> dict[str, Any]:
    """A crash: one quote takes `per_crash` accounts through their floors at once, `crashes` times (the
    tick path on, trigger prices, `sessions` kill sessions, every MT5 answer `rtt` seconds late); from the
    quote until MT5 shows each of them flat. The set-up is the price moves' (`bench_price_moves`)."""
    from propfirm.benchkit.sim_control import controlled_simulator

    queue_url = sqs.create_queue(QueueName=f"bench-crash-{accounts}-{sessions}.fifo",
                                 Attributes={"FifoQueue": "true"})["QueueUrl"]
    space = f"{namespace}crash{accounts}-{sessions}:"
    keys = LiveKeys(space)
    with controlled_simulator(accounts, start=START, seed=2) as sim:
        victims, others, now = sim.victims(per_crash * crashes, "XAUUSD")
        poller = make_poller(sim.url, sqs, queue_url, space, interval=2.0, tick=0.25, kill_sessions=sessions)
        # the k-th group of `per_crash` victims goes through its floors with the k-th step of the price
        _floors(poller, keys, victims, now,
                lambda k, equity: equity - Decimal(150) * ((k - 1) // per_crash + 1) + Decimal(75))
        _floors(poller, keys, others, now, lambda k, equity: (equity * Decimal("0.95")).quantize(Decimal("0.01")))
        sim.market(0.25, "XAUUSD")
        sim.latency(rtt)
        stop = threading.Event()
        loop = threading.Thread(target=poller.run, args=(stop,), daemon=True)
        loop.start()
        while poller.cycle is None or poller.cycle.cycle < 2:
            time.sleep(0.05)
        rng = __import__("random").Random(7)
        lasts: list[float] = []
        every: list[float] = []
        for n in range(crashes):
            time.sleep(rng.uniform(0.5, 2.5))  # at a random point of the cycle
            group = [login for login, _ in victims[n * per_crash:(n + 1) * per_crash]]
            seconds = sim.crash("XAUUSD", "-1.50", advance_ms=200, until_flat=group, timeout=60.0)
            every += seconds
            lasts.append(seconds[-1] if len(seconds) == len(group) else float("inf"))
        stop.set()
        loop.join(timeout=60)
        poller.close()
    sqs.delete_queue(QueueUrl=queue_url)
    every.sort()
    pct = _percentiles(every)
    return {"accounts": accounts + per_crash * crashes, "per_crash": per_crash, "crashes": crashes,
            "kill_sessions": sessions, "rtt_ms": round(rtt * 1000), "closed": len(every),
            "p50_s": pct(50) if every else None, "last_closed_s": statistics.median(lasts)}


def _cleanup(namespace: str) -> None:
    client = redis.Redis.from_url(os.environ.get("REDIS_URL", DEFAULT_REDIS_URL))
    batch = []
    for key in client.scan_iter(match=f"{namespace}*", count=5000):
        batch.append(key)
        if len(batch) >= 5000:
            client.delete(*batch)
            batch = []
    if batch:
        client.delete(*batch)


def print_table(result: dict[str, Any]) -> None:
    print(f"\npoller cycle ({os.cpu_count()} cores; MT5 = simulator, SQS = moto, both child processes)")
    head = (f"{'accounts':>9} {'design':<16} {'wall s':>8} {'cpu s':>8} {'changed':>8} {'MT5 calls':>9} "
            f"{'Redis RT':>9} {'SQS req':>8} {'msgs':>6}")
    print(head)
    print("-" * len(head))
    for size in result["sizes"]:
        n = size["accounts"]
        naive = size["naive"]
        rows = [("batched, first", size["first_cycle"]), ("batched, steady", size["steady_cycle_median"]),
                ("naive (scaled)", {**naive, "changed": n, "messages": naive["sqs_requests"]})]
        for label, row in rows:
            print(f"{n:>9,} {label:<16} {row['wall_s']:>8.3f} {row['cpu_s']:>8.3f} {row['changed']:>8,.0f} "
                  f"{row['mt5_calls']:>9,.0f} {row['redis_round_trips']:>9,.0f} "
                  f"{row['sqs_requests']:>8,.0f} {row['messages']:>6,.0f}")
        print(f"{'':>9} peak resident memory {size['peak_rss_mib']:.0f} MiB; "
              f"naive timed on {naive['sample']} accounts")
    for moves in result.get("price_moves", []):
        design = "full reads only"
        if moves["tick_s"]:
            design = (f"tick path {moves['tick_s']:.2f} s, " + (
                f"trigger prices ({moves['books_screened']:,} of {moves['books_with_floors']:,} books)"
                if moves["screen"] else "every book valued"))
        if moves["closed"]:
            cpu = (f"; CPU per tick poll {moves['cpu_per_poll_ms']:.2f} ms ({moves['polls']} polls), "
                   f"{moves['cpu_per_valuing_poll_ms']:.2f} ms when quotes moved ({moves['valued_per_poll']:,.0f} "
                   f"accounts valued again; {moves['valued_per_s']:,.0f} a second)"
                   if moves["cpu_per_valuing_poll_ms"] is not None else "")
            print(f"price move to positions closed at {moves['accounts']:,} accounts, "
                  f"{moves.get('interval_s', 2.0):g} s interval, {design}: "
                  f"p50 {moves['p50_s']:.2f} s, p99 {moves['p99_s']:.2f} s, max {moves['max_s']:.2f} s "
                  f"({moves['closed']}/{moves['moves']} closed{cpu}; cycle CPU median "
                  f"{moves['cycle_cpu_median_s']:.2f} s, peak {moves['peak_rss_mib']:.0f} MiB{_collections(moves)}"
                  f"{_reviewed(moves)})")
    for crash in result.get("crashes", []):
        print(f"crash at {crash['accounts']:,} accounts: one quote takes {crash['per_crash']} through their floors "
              f"({crash['crashes']} times), {crash['rtt_ms']} ms MT5 round trip, {crash['kill_sessions']} kill "
              f"sessions: {crash['closed']} closed, "
              f"p50 {crash['p50_s']:.2f} s, the last of each crash after {crash['last_closed_s']:.2f} s (median)")
    lat = result.get("latency")
    if lat and lat["closed"]:
        print(f"\nbreach to positions closed at {lat['accounts']:,} accounts, {lat['interval_s']:.0f} s "
              f"interval: p50 {lat['p50_s']:.2f} s, p99 {lat['p99_s']:.2f} s, max {lat['max_s']:.2f} s "
              f"({lat['closed']}/{lat['breaches']} closed; median cycle {lat['cycle_median_s']:.2f} s)")


def _reviewed(moves: dict[str, Any]) -> str:
    if not moves.get("reviews"):
        return "; no blind interval"
    return (f"; {moves['reviews']} blind intervals checked, {moves['review_cpu_s']:.2f} s of CPU in all, median "
            f"{moves['review_cpu_median_s']:.2f} s ({moves['review_checked_median']:,.0f} accounts judged, "
            f"{moves['review_watched_median']:,.0f} watched by the tick path)")


def _collections(moves: dict[str, Any]) -> str:
    if not moves.get("gc_seconds"):
        return "; Python's own full collections"
    longest = f", the longest {moves['gc_pause_max_s'] * 1000:.0f} ms" if moves["full_collections"] else ""
    return f"; {moves['full_collections']} full collections, one every {moves['gc_seconds']:g} s{longest}"


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1k and 10k accounts only, few cycles")
    parser.add_argument("--account-reads", choices=["pages", "group"], default="pages",
                        help="account states by login pages (default) or each group in one request")
    parser.add_argument("--sizes", help="comma-separated account counts; only the cycles, no latency runs")
    parser.add_argument("--moves-at", help="comma-separated account counts; only the price-move runs (the "
                                           "full reads beside the tick path) at each")
    parser.add_argument("--moves", type=int, help="price moves per run (default 40; --quick 6)")
    parser.add_argument("--crash-at", help="comma-separated account counts; only the crash runs (one quote takes "
                                           "--crash-size accounts through their floors) at each")
    parser.add_argument("--crash-size", type=int, default=50, help="accounts a crash takes through (default 50)")
    parser.add_argument("--crash-rtt-ms", type=float, default=10.0,
                        help="every MT5 answer this late in the crash runs: a network round trip (default 10)")
    parser.add_argument("--kill-sessions", default="0,3",
                        help="comma-separated kill session counts the crash runs compare (default 0,3)")
    parser.add_argument("--designs", default=",".join(DESIGNS),
                        help=f"comma-separated price-move designs to run, of {', '.join(DESIGNS)} (default all)")
    parser.add_argument("--gc-seconds", type=float, default=60.0,
                        help="the poller's full garbage collections, one every this many seconds "
                             "(POLLER_GC_SECONDS; 0: Python's own rule)")
    parser.add_argument("--interval", type=float, default=2.0,
                        help="the price-move runs' cycle interval in seconds (default 2; at 100k accounts a "
                             "cycle overruns 2 s here, so the full reads run back to back)")
    args = parser.parse_args(argv)
    ACCOUNT_READS[0] = args.account_reads
    GC_SECONDS[0] = args.gc_seconds
    INTERVAL[0] = args.interval
    sizes = [1_000, 10_000] if args.quick else [1_000, 10_000, 100_000]
    if args.sizes:
        sizes = [int(x) for x in args.sizes.split(",")]
    cycles, pause = (2, 0.5) if args.quick else (4, 1.0)
    namespace = f"bench-poller-{uuid.uuid4().hex[:8]}:"
    result: dict[str, Any] = {"machine": {"cores": os.cpu_count(), "python": sys.version.split()[0]},
                              "account_reads": args.account_reads, "sizes": []}
    moves = args.moves or (6 if args.quick else 40)
    moves_at = [10_000] if args.quick else [10_000, 100_000]
    if args.moves_at:
        moves_at, sizes = [int(x) for x in args.moves_at.split(",")], []
    if args.crash_at:
        with moto_sqs() as sqs:
            result["crashes"] = [bench_crash(int(accounts), args.crash_size, 3, int(sessions),
                                             args.crash_rtt_ms / 1000, sqs, namespace)
                                 for accounts in args.crash_at.split(",")
                                 for sessions in args.kill_sessions.split(",")]
        _cleanup(namespace)
        print_table(result)
        return result
    try:
        with moto_sqs() as sqs:
            for accounts in sizes:
                result["sizes"].append(bench_size(accounts, cycles, pause, 50 if args.quick else 500, sqs,
                                                  namespace))
            if not args.sizes and not args.moves_at:
                result["latency"] = bench_latency(10_000, 3.0 if args.quick else 40.0, 8 if args.quick else 80,
                                                  sqs, namespace)
            if not args.sizes:
                result["price_moves"] = [bench_price_moves(accounts, moves, tick, sqs, namespace, screen)
                                         for accounts in moves_at
                                         for tick, screen in (DESIGNS[d] for d in args.designs.split(","))]
    finally:
        _cleanup(namespace)
    result["time"] = iso_utc(datetime.now(UTC))
    print_table(result)
    return result


if __name__ == "__main__":
    main()
