"""A blind interval checked against MT5's record of it: the poller against the simulator over HTTP (its deals
and one-minute bars), real Redis and SQS in moto. A dip through a floor that recovered inside the gap is
found and put up for review; an account that traded in the gap without coming near its floor is clear."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from propfirm.live.floors import write_floor
from propfirm.live.keys import LiveKeys
from propfirm.poller.gap_review import recent
from propfirm.queues.sqs import SendFailed
from propfirm.sim.testing import running_simulator

from tests.instants import MONDAY_MORNING
from tests.integration.poller.test_poller_cycle import PHASE1, floor_at


def test_a_dip_that_recovered_inside_a_blind_interval_is_found_for_review(make_poller, queues, redis_client,
                                                                          redis_namespace) -> None:
    with running_simulator(start=MONDAY_MORNING, accounts=3, seed=4) as sim:
        world = sim.world
        dipper = world.create_account(PHASE1, balance="100000")
        world.open_position(dipper, "EURUSD", "buy", "1.00")
        trader = world.create_account(PHASE1, balance="100000")  # flat before and after, traded in between
        closer = world.create_account(PHASE1, balance="100000")  # held at the start, closed in the gap
        closed_ticket = world.open_position(closer, "EURUSD", "sell", "0.50")
        poller = make_poller(sim)
        poller.start(with_inbox=False)
        poller.run_cycle()
        keys = LiveKeys(redis_namespace)
        now = world.now()
        for login in (dipper, trader, closer):
            equity = world.account(login).equity
            write_floor(redis_client, keys, "default", login, floor_at(equity - 500, now + timedelta(hours=3)), now)
        poller.run_cycle()  # the read before the gap: the floors read back with the positions
        before = world.market.bid("EURUSD")

        # the gap: nobody reads for four minutes
        world.clock.advance(timedelta(minutes=1))
        world.set_price("EURUSD", before - Decimal("0.0060"))  # the dipper's equity 600 down: through its floor
        world.open_position(trader, "EURUSD", "buy", "0.10")
        world.clock.advance(timedelta(minutes=1))
        world.set_price("EURUSD", before)  # back where it was
        world.close_all(trader)
        world.close_position(closer, closed_ticket)
        world.clock.advance(timedelta(minutes=2))
        poller.run_cycle()  # the read after the gap: MT5 shows nothing wrong now
        assert world.account(dipper).positions != ()

        interval = {"from": "2026-01-05T09:00:00.000+00:00", "to": "2026-01-05T09:04:00.000+00:00",
                    "seconds": 240.0, "failed_cycles": 3, "cause": "ConnectionError"}
        review = poller.gaps.review(interval, poller.prices)
        assert review.checked == 3 and review.clear == 2, review.as_json()
        [verdict] = review.verdicts
        assert verdict.login == dipper and verdict.outcome == "breached"
        assert verdict.lowest is not None and verdict.floor is not None and verdict.lowest <= verdict.floor
        assert verdict.at == (now + timedelta(minutes=1)).replace(second=0, microsecond=0)
        [stored] = recent(redis_client, keys.gap_reviews("default"))
        assert (stored["checked"], stored["clear"], stored["breached"]) == (3, 2, 1)
        assert stored["accounts"][0]["login"] == dipper and stored["interval"]["cause"] == "ConnectionError"
        assert stored["accounts"][0]["held"][0]["symbol"] == "EURUSD"

        # and, durably, to the evaluator: in the next cycle's outbox and on the evaluation queue
        queues.drain()
        poller.run_cycle()
        [sent] = [m for m in queues.drain() if m["kind"] == "gap_review"]
        assert (sent["checked"], sent["clear"], sent["cause"], sent["parts"]) == (3, 2, "ConnectionError", 1)
        assert [(a["login"], a["outcome"]) for a in sent["accounts"]] == [(dipper, "breached")]
        assert sent["blind_from"].startswith("2026-01-05T09:00:00")


def test_an_account_the_poller_killed_for_its_floor_in_the_gap_is_no_finding(make_poller, redis_namespace) -> None:
    """Its crossing was seen and acted on (the kill report is the evaluator's): counted as killed, not put up
    as a breach nobody saw."""
    with running_simulator(start=MONDAY_MORNING, accounts=3, seed=4) as sim:
        world = sim.world
        dipper = world.create_account(PHASE1, balance="100000")
        world.open_position(dipper, "EURUSD", "buy", "1.00")
        world.clock.advance(timedelta(minutes=1))
        poller = make_poller(sim)
        poller.start(with_inbox=False)
        poller.run_cycle()
        now = world.now()
        equity = world.account(dipper).equity
        write_floor(poller._redis, LiveKeys(redis_namespace), "default", dipper,
                    floor_at(equity - 500, now + timedelta(hours=3)), now)
        poller.run_cycle()  # the read before the gap
        before = world.market.bid("EURUSD")
        world.clock.advance(timedelta(seconds=1))
        world.set_price("EURUSD", before - Decimal("0.0060"))  # 600 down: through the floor
        assert [k.login for k in poller.poll_prices().kills] == [dipper]  # the tick path saw it and killed
        world.clock.advance(timedelta(minutes=2))
        world.set_price("EURUSD", before)
        poller.run_cycle()  # the read after
        interval = {"from": "2026-01-05T09:01:00.000+00:00", "to": "2026-01-05T09:03:00.000+00:00",
                    "seconds": 120.0, "failed_cycles": 1, "cause": "ReadTimeout"}
        review = poller.gaps.review(interval, poller.prices)
        assert (review.killed, review.checked, review.verdicts) == (1, 0, []), review.as_json()


def test_a_slow_cycle_the_tick_path_polled_through_checks_only_what_its_books_did_not_hold(make_poller,
                                                                                         redis_namespace) -> None:
    """Watched (the tick path polled all along): a book it held and judged to the gap's end with no deal in
    the gap is counted, not checked; an account that traded or closed in the gap, a book whose floor ran out
    inside the gap, and a book without a floor are checked."""
    with running_simulator(start=MONDAY_MORNING, accounts=3, seed=4) as sim:
        world = sim.world
        holder = world.create_account(PHASE1, balance="100000")  # held all through, never touched
        world.open_position(holder, "EURUSD", "buy", "1.00")
        trader = world.create_account(PHASE1, balance="100000")  # flat before and after, traded in between
        closer = world.create_account(PHASE1, balance="100000")  # held at the start, closed in the gap
        closed_ticket = world.open_position(closer, "EURUSD", "sell", "0.50")
        expiring = world.create_account(PHASE1, balance="100000")  # its floor runs out inside the gap
        world.open_position(expiring, "EURUSD", "buy", "0.20")
        floorless = world.create_account(PHASE1, balance="100000")  # held, no floor: never judged between reads
        world.open_position(floorless, "EURUSD", "buy", "0.20")
        world.clock.advance(timedelta(minutes=1))  # the openings well before the read before the gap
        poller = make_poller(sim)
        poller.start(with_inbox=False)
        poller.run_cycle()
        keys = LiveKeys(redis_namespace)
        now = world.now()
        for login, expires in ((holder, now + timedelta(hours=3)), (trader, now + timedelta(hours=3)),
                               (closer, now + timedelta(hours=3)), (expiring, now + timedelta(minutes=2))):
            equity = world.account(login).equity
            write_floor(poller._redis, keys, "default", login, floor_at(equity - 500, expires), now)
        poller.run_cycle()  # the read before the gap
        world.clock.advance(timedelta(minutes=1))
        world.open_position(trader, "EURUSD", "buy", "0.10")
        world.clock.advance(timedelta(minutes=1))
        world.close_all(trader)
        world.close_position(closer, closed_ticket)
        world.clock.advance(timedelta(minutes=2))
        poller.run_cycle()  # the read after it

        interval = {"from": "2026-01-05T09:01:00.000+00:00", "to": "2026-01-05T09:05:00.000+00:00",
                    "seconds": 240.0, "failed_cycles": 0, "cause": "slow cycle"}
        watched = poller.gaps.review(interval, poller.prices, watched=True)
        assert (watched.watched, watched.checked, watched.clear) == (1, 4, 3), watched.as_json()["accounts"]
        assert [(v.login, v.outcome) for v in watched.verdicts] == [(floorless, "unchecked")]  # no floor to judge
        everyone = poller.gaps.review(interval, poller.prices)  # not watched: every account the gap could hurt
        assert (everyone.watched, everyone.checked) == (0, 5)


def test_the_runner_takes_a_slow_cycle_as_watched_only_while_the_tick_path_kept_polling(make_poller,
                                                                                       redis_namespace) -> None:
    with running_simulator(start=MONDAY_MORNING, accounts=2, seed=4) as sim:
        world = sim.world
        holder = world.create_account(PHASE1, balance="100000")
        world.open_position(holder, "EURUSD", "buy", "0.10")
        world.clock.advance(timedelta(minutes=1))  # the opening well before the reads
        poller = make_poller(sim)
        poller.start(with_inbox=False)
        poller.run_cycle()
        now = world.now()
        write_floor(poller._redis, LiveKeys(redis_namespace), "default", holder,
                    floor_at(world.account(holder).equity - 500, now + timedelta(hours=3)), now)
        poller.run_cycle()  # the floor read back with the book: the read before the gap
        began = time.time()
        for _ in range(4):  # the tick path polling through a slow cycle
            poller.poll_prices()
            time.sleep(0.05)
        ended = time.time()

        def blind(cause: str = "slow cycle", failed: int = 0, to: float = ended) -> dict:
            return {"from": _iso(began), "to": _iso(to), "seconds": to - began, "failed_cycles": failed,
                    "cause": cause}

        assert poller._watched_throughout(blind())
        assert not poller._watched_throughout(blind(failed=1))  # a failed cycle: MT5 or a store away
        assert not poller._watched_throughout(blind(cause="poller restarted"))
        assert not poller._watched_throughout(blind(to=ended + 3.0))  # the polls stopped 3 s before its end

        # and the review it starts counts the watched book instead of checking it
        world.clock.advance(timedelta(minutes=1))
        poller.run_cycle()  # the read after the gap
        poller._review_gap(blind())
        poller.wait_for_reviews()
        [stored] = recent(poller._redis, poller._keys.gap_reviews("default"))
        assert stored["interval"]["cause"] == "slow cycle" and stored["watched"] + stored["checked"] >= 1
        assert stored["watched"] == 1 and holder not in [a["login"] for a in stored["accounts"]]


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds")


def test_a_gap_with_nothing_before_it_says_so(make_poller, redis_client, redis_namespace) -> None:
    with running_simulator(start=MONDAY_MORNING, accounts=2, seed=4) as sim:
        poller = make_poller(sim)
        poller.start(with_inbox=False)
        poller.run_cycle()  # the first read of this run: no read before the gap to start from
        review = poller.gaps.review({"from": "2026-01-05T09:00:00+00:00", "to": "2026-01-05T09:01:00+00:00",
                                     "cause": "poller restarted"}, poller.prices)
        assert review.checked == 0 and "restart" in review.reason
        [stored] = recent(redis_client, LiveKeys(redis_namespace).gap_reviews("default"))
        assert stored["reason"] == review.reason


def _reviewed(make_poller, sim, seconds: float, failed_cycles: int, cause: str):  # type: ignore[no-untyped-def]
    """A poller holding a position's book over two reads, whose runner has just reviewed a blind interval of
    `seconds` from 09:00 (judged on a thread of its own, waited for)."""
    sim.world.open_position(next(iter(sim.world.accounts)), "EURUSD", "buy", "0.10")
    poller = make_poller(sim)
    poller.start(with_inbox=False)
    poller.run_cycle()
    poller.run_cycle()
    start = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    poller._review_gap({"from": start.isoformat(), "to": (start + timedelta(seconds=seconds)).isoformat(),
                        "seconds": seconds, "failed_cycles": failed_cycles, "cause": cause})
    poller.wait_for_reviews()
    return poller


def test_the_runner_reviews_each_blind_interval_it_closes(make_poller, redis_client, redis_namespace) -> None:
    with running_simulator(start=MONDAY_MORNING, accounts=2, seed=4) as sim:
        _reviewed(make_poller, sim, 9.0, 1, "slow cycle")
        [stored] = recent(redis_client, LiveKeys(redis_namespace).gap_reviews("default"))
        assert stored["checked"] >= 1 and stored["interval"]["seconds"] == 9.0


def test_a_review_survives_a_crash_before_it_was_sent(make_poller, queues) -> None:
    """The review's messages go into the cycle's outbox with the pipeline: a process dying before SQS took them
    leaves them there, and the next poller sends them at its start."""
    with running_simulator(start=MONDAY_MORNING, accounts=2, seed=4) as sim:
        first = _reviewed(make_poller, sim, 30.0, 2, "TimeoutError")
        queues.drain()

        def crash(messages):  # the pipeline ran, then the process died before SQS took the messages
            raise SendFailed("process killed", list(messages))

        first.sender.send = crash
        with pytest.raises(SendFailed):
            first.run_cycle()
        assert queues.drain() == []

        second = make_poller(sim)
        second.start(with_inbox=False)  # resends the outbox first
        [sent] = [m for m in queues.drain() if m["kind"] == "gap_review"]
        assert sent["cause"] == "TimeoutError" and sent["failed_cycles"] == 2 and sent["checked"] >= 1


def test_without_the_tick_path_a_blind_interval_is_recorded_unchecked_with_why(make_poller, queues) -> None:
    with running_simulator(start=MONDAY_MORNING, accounts=2, seed=4) as sim:
        poller = make_poller(sim, poller_tick_interval_seconds=0)
        poller.start(with_inbox=False)
        poller.run_cycle()
        assert poller.gaps is None
        poller._review_gap({"from": "2026-01-05T09:00:00+00:00", "to": "2026-01-05T09:00:20+00:00", "seconds": 20.0,
                            "failed_cycles": 1, "cause": "ReadTimeout"})
        queues.drain()
        poller.run_cycle()
        [sent] = [m for m in queues.drain() if m["kind"] == "gap_review"]
        assert sent["checked"] == 0 and sent["accounts"] == [] and "tick path is off" in sent["reason"]
        assert sent["cause"] == "ReadTimeout"


def test_a_review_waits_through_a_failed_pipeline(make_poller, queues) -> None:
    """Taken for a cycle whose Redis pipeline then failed, the review's messages are in no outbox: the next
    cycle takes them again."""
    import redis as redis_lib

    with running_simulator(start=MONDAY_MORNING, accounts=2, seed=4) as sim:
        poller = _reviewed(make_poller, sim, 30.0, 1, "ResponseError")
        queues.drain()
        write = poller.store.write_cycle

        def refused(*args, **kwargs):  # type: ignore[no-untyped-def]
            raise redis_lib.ConnectionError("Redis away")

        poller.store.write_cycle = refused  # type: ignore[method-assign]
        with pytest.raises(redis_lib.ConnectionError):
            poller.run_cycle()
        poller.store.write_cycle = write  # type: ignore[method-assign]
        poller.run_cycle()
        [sent] = [m for m in queues.drain() if m["kind"] == "gap_review"]
        assert sent["cause"] == "ResponseError"
