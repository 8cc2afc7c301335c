"""The Redis live-state and SQS adapters on their own (real Redis, SQS in moto)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import orjson
import pytest
import redis
from propfirm.live.commands import CommandLedger
from propfirm.live.counting import RoundTrips
from propfirm.live.floors import delete_floor, read_floor, write_floor
from propfirm.live.keys import LiveKeys
from propfirm.live.poller_state import CycleWrite, PollerStateStore
from propfirm.live.records import FloorRecord
from propfirm.live.resp import LeanPipeline, pack
from propfirm.queues.sqs import Outgoing, SqsConsumer, SqsSender

# the writer's clock: a simulated one, a year before the machine's (a floor's life is counted from it)
NOW = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)


def floor(version: int, level: str = "95000", expires_in: timedelta = timedelta(hours=1)) -> FloorRecord:
    return FloorRecord(level=Decimal(level), expires_at=NOW + expires_in, reason="max_loss",
                       breach_at="touch", action="fail", version=version)


def test_a_floor_from_an_older_state_version_never_replaces_a_newer_one(redis_client,
                                                                        redis_namespace) -> None:
    keys = LiveKeys(redis_namespace)
    assert write_floor(redis_client, keys, "default", 5001, floor(5, "95000"), NOW)
    assert not write_floor(redis_client, keys, "default", 5001, floor(4, "90000"), NOW)  # late, older run
    assert read_floor(redis_client, keys, "default", 5001).level == Decimal("95000")
    assert write_floor(redis_client, keys, "default", 5001, floor(5, "95000"), NOW)  # the same write again
    assert write_floor(redis_client, keys, "default", 5001, floor(6, "96000"), NOW)
    assert read_floor(redis_client, keys, "default", 5001).level == Decimal("96000")
    ttl_ms = redis_client.pttl(keys.floor("default", 5001))
    # Redis drops the floor an hour after it was written, by the writer's clock, not by the date Redis knows
    assert 3_500_000 < ttl_ms <= 3_600_000
    delete_floor(redis_client, keys, "default", 5001)
    assert read_floor(redis_client, keys, "default", 5001) is None


def test_the_cycle_pipeline_is_one_round_trip_and_load_restores_cursor_outbox_and_seen(
        redis_client, redis_namespace) -> None:
    keys = LiveKeys(redis_namespace)
    trips = RoundTrips()
    store = PollerStateStore(redis_client, keys, "default", round_trips=trips, seen_retention_ms=60_000)
    write_floor(redis_client, keys, "default", 2, floor(1), NOW)
    cursor = 1_800_000_000_000
    floors = store.write_cycle(CycleWrite(
        cycle=41, cursor_ms=cursor, new_tickets={1001: cursor - 120_000, 1002: cursor},
        outbox=[{"body": "{}", "group_id": "3", "dedup_id": "default:41:3:0"}],
        snapshots=[(1, b'{"a":1}'), (2, b'{"a":2}')], floor_logins=[1, 2], heartbeat=b'{"cycle":40}'))
    assert trips.count == 1
    assert floors[1] is None and FloorRecord.decode(floors[2]).version == 1
    assert redis_client.get(keys.snap("default", 2)) == b'{"a":2}'
    assert 0 < redis_client.ttl(keys.snap("default", 2)) <= 86_400
    assert redis_client.get(keys.heartbeat("default")) == b'{"cycle":40}'
    # the ticket older than cursor - retention was trimmed in the same pipeline
    state = store.load(overlap_ms=300_000)
    assert (state.cycle, state.cursor_ms) == (41, cursor)
    assert state.outbox == [{"body": "{}", "group_id": "3", "dedup_id": "default:41:3:0"}]
    assert state.seen == {1002: cursor}


def test_the_floors_read_back_are_each_logins_own_across_many_reads(redis_client, redis_namespace,
                                                                    monkeypatch) -> None:
    """Floors are read back a thousand a command (`MGET`): with three a command, seven logins take three
    commands, and each login still gets its own floor or None."""
    from propfirm.live import poller_state

    monkeypatch.setattr(poller_state, "FLOORS_PER_MGET", 3)
    keys = LiveKeys(redis_namespace)
    store = PollerStateStore(redis_client, keys, "default", round_trips=RoundTrips())
    for login in (2, 3, 7):
        write_floor(redis_client, keys, "default", login, floor(login), NOW)
    floors = store.write_cycle(CycleWrite(cycle=1, cursor_ms=None, new_tickets={}, outbox=[], snapshots=[],
                                          floor_logins=[1, 2, 3, 4, 5, 6, 7], heartbeat=None))
    assert [login for login, raw in floors.items() if raw is not None] == [2, 3, 7]
    assert all(FloorRecord.decode(floors[login]).version == login for login in (2, 3, 7))


def test_command_ledger_records_started_then_done(redis_client, redis_namespace) -> None:
    ledger = CommandLedger(redis_client, LiveKeys(redis_namespace))
    assert ledger.get("c-1") is None
    ledger.mark_started("c-1")
    assert ledger.get("c-1").status == "started"
    ledger.mark_done("c-1", {"ok": True})
    record = ledger.get("c-1")
    assert record.status == "done" and record.result == {"ok": True}
    assert redis_client.ttl(LiveKeys(redis_namespace).command("c-1")) > 29 * 86_400


def test_sender_batches_ten_per_request_on_fifo_and_consumer_long_polls(queues) -> None:
    requests = RoundTrips()
    sender = SqsSender(queues.client, queues.evaluation, requests)
    messages = [Outgoing(orjson.dumps({"kind": "x", "i": i}).decode(), str(i % 3), f"d-{i}")
                for i in range(23)]
    assert sender.send(messages) == 3 and requests.count == 3
    assert sender.send(messages[:5]) == 1  # the same deduplication ids: SQS drops the copies
    got = queues.drain()
    assert sorted(m["i"] for m in got) == list(range(23))

    consumer = SqsConsumer(queues.client, queues.evaluation)
    started = time.monotonic()
    assert consumer.receive(wait_seconds=1) == []
    assert time.monotonic() - started >= 0.9  # it waited: long polling
    sender.send([Outgoing('{"i":99}', "0", "d-99")])
    [received] = consumer.receive(wait_seconds=1)
    consumer.release(received)
    [again] = consumer.receive(wait_seconds=1)
    assert again.body == '{"i":99}' and again.receive_count == 2
    consumer.delete(again)
    assert consumer.receive(wait_seconds=0) == []


def test_lean_pipeline_is_one_write_with_replies_in_order_and_reports_errors(redis_client,
                                                                           redis_namespace) -> None:
    expected = b"*5\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n$2\r\nEX\r\n$1\r\n5\r\n"
    assert pack("SET", "k", b"v", "EX", 5) == expected
    key = f"{redis_namespace}lean"
    pipe = LeanPipeline(redis_client)
    pipe.add("SET", key, b"\x00binary\r\nvalue")
    pipe.add("GET", key)
    pipe.add("GET", key + ":missing")
    assert pipe.execute() == [b"OK", b"\x00binary\r\nvalue", None]
    failing = LeanPipeline(redis_client)
    failing.add("INCR", key)  # not an integer
    failing.add("SET", key + ":after", 1)
    with pytest.raises(redis.ResponseError):
        failing.execute()
    assert redis_client.get(key + ":after") == b"1"  # the commands after the failed one still ran
    assert redis_client.ping()  # and the connection is still in a clean state
