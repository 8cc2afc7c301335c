"""Restarts: of the poller (deals neither lost nor repeated) and of the MT5 server (the loop recovers)."""

from __future__ import annotations

import threading
import time
from collections import Counter

import orjson
import pytest
from propfirm.live.blind import recent
from propfirm.live.keys import LiveKeys
from propfirm.queues.sqs import SendFailed
from propfirm.sim.testing import running_simulator

from tests.instants import MONDAY_MORNING


def deal_tickets(messages: list[dict]) -> Counter:
    return Counter(d["ticket"] for m in messages if m["kind"] == "evaluation" for d in m["deals"])


def world_deal_tickets(world) -> set[int]:
    with world.lock:
        return {d.ticket for account in world.accounts.values() for d in world.deals_of(account)}


def test_no_deal_is_lost_or_repeated_across_restarts_and_crashes_before_sending(make_poller, queues) -> None:
    with running_simulator(start=MONDAY_MORNING, accounts=30, seed=7) as sim:
        world = sim.world
        first = make_poller(sim)
        first.start(with_inbox=False)
        for _ in range(3):
            world.run_traders()
            first.run_cycle()
        first.close()
        world.run_traders()  # deals made while no poller runs

        second = make_poller(sim)  # a clean restart: its outbox copy is dropped by SQS deduplication
        second.start(with_inbox=False)
        second.run_cycle()
        world.run_traders()

        def crash(messages):  # the pipeline ran, then the process died before SQS took the messages
            raise SendFailed("process killed", list(messages))

        second.sender.send = crash
        with pytest.raises(SendFailed):
            second.run_cycle()
        world.run_traders()
        with pytest.raises(SendFailed):  # SQS still away: the next pipeline keeps both cycles' deals
            second.run_cycle()
        world.run_traders()

        third = make_poller(sim)
        third.start(with_inbox=False)
        third.run_cycle()
        third.run_cycle()

        seen = deal_tickets(queues.drain())
        repeated = {ticket: n for ticket, n in seen.items() if n > 1}
        assert repeated == {}
        assert set(seen) == world_deal_tickets(world)
        assert len(seen) > 30  # the traders really traded


def test_an_mt5_restart_mid_run_is_recovered_by_the_loop(make_poller, queues, redis_client,
                                                         redis_namespace) -> None:
    with running_simulator(start=MONDAY_MORNING, accounts=20, seed=8) as sim:
        poller = make_poller(sim)
        errors: list[str] = []
        counted = poller.metrics.error
        poller.metrics.error = lambda name="Mt5Errors": (errors.append(name), counted(name))[1]
        stop = threading.Event()
        thread = threading.Thread(target=poller.run, args=(stop,), daemon=True)
        thread.start()
        heartbeat_key = LiveKeys(redis_namespace).heartbeat("default")

        def heartbeat_cycle() -> int:
            raw = redis_client.get(heartbeat_key)
            return orjson.loads(raw)["cycle"] if raw else 0

        deadline = time.monotonic() + 10
        while heartbeat_cycle() < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        before = heartbeat_cycle()
        assert before >= 1
        sim.restart(down_for=1.5)  # the trade server goes away (connections refused), then comes back
        stalled = heartbeat_cycle()
        deadline = time.monotonic() + 15
        while heartbeat_cycle() <= stalled + 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        stop.set()
        thread.join(timeout=10)
        assert not thread.is_alive()
        assert heartbeat_cycle() > stalled + 1
        assert "Mt5Errors" in errors  # the outage was seen (and backed off from), then recovered
        # and said afterwards: the gap is recorded as a blind interval, with its failed cycles and cause
        blind = recent(redis_client, LiveKeys(redis_namespace).blind("default"))
        assert len(blind) == 1
        assert blind[0]["seconds"] >= 1.5 and blind[0]["failed_cycles"] >= 1
        assert blind[0]["cause"] and blind[0]["from"] < blind[0]["to"]
