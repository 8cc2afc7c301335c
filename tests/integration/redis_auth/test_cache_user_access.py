"""The cache user may do what the live state needs and nothing dangerous: every writer and reader of the
live state runs as a real Redis ACL user with the stack's access string (`CACHE_ACCESS_STRING`, what
ElastiCache's user gets), and the administrative commands are refused to it."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import redis
from propfirm.domain import engine
from propfirm.domain.programs import load_example_programs
from propfirm.evaluation.live import CachedChallenge, LiveState, LiveWrite
from propfirm.live.commands import CommandLedger
from propfirm.live.connection import CACHE_ACCESS_STRING
from propfirm.live.floors import delete_floor, read_floor, write_floor
from propfirm.live.keys import LiveKeys
from propfirm.live.poller_state import CycleWrite, PollerStateStore
from propfirm.live.records import FloorRecord
from propfirm.local.stack import forget_redis_keys
from propfirm.payouts import floors as payout_floors

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.fixture
def cache_user(redis_client: redis.Redis, redis_url: str) -> Iterator[redis.Redis]:
    name, password = f"propfirm-app-{uuid.uuid4().hex[:8]}", secrets.token_hex(24)
    redis_client.execute_command("ACL", "SETUSER", name, "reset", f">{password}", *CACHE_ACCESS_STRING.split())
    client = redis.Redis.from_url(redis_url, username=name, password=password)
    try:
        yield client
    finally:
        client.close()
        redis_client.execute_command("ACL", "DELUSER", name)


def test_every_live_state_writer_and_reader_works_as_the_cache_user(cache_user: redis.Redis, redis_namespace) -> None:
    keys = LiveKeys(redis_namespace)
    # the poller: one pipeline per cycle (snapshots, tickets seen, its state, the outbox, floors read back)
    store = PollerStateStore(cache_user, keys, "srv", seen_retention_ms=60_000)
    floor = FloorRecord(Decimal("95000"), NOW + timedelta(hours=6), "daily_loss", "touch", "fail", 3)
    assert write_floor(cache_user, keys, "srv", 2, floor, NOW)  # the evaluator's version-guarded script
    floors = store.write_cycle(
        CycleWrite(
            cycle=1,
            cursor_ms=1_767_600_000_000,
            new_tickets={11: 1_767_600_000_000},
            outbox=[{"body": "{}", "group_id": "0", "dedup_id": "srv:1:0:0"}],
            snapshots=[(1, b'{"a":1}'), (2, b'{"a":2}')],
            floor_logins=[1, 2],
            heartbeat=b'{"cycle":0}',
        )
    )
    assert floors[1] is None and floors[2] is not None
    assert store.load(overlap_ms=300_000).cycle == 1
    # the command ledger (exactly once on MT5)
    ledger = CommandLedger(cache_user, keys)
    ledger.mark_started("c-1")
    ledger.mark_done("c-1", {"ok": True})
    assert ledger.get("c-1").status == "done"
    # the evaluator: caches and floors in one pipeline, read back in one
    program = load_example_programs()["two-step-100k"]
    state = engine.new_challenge(program, 2, NOW, server="srv")
    cache = CachedChallenge(challenge_id=7, version=1, program_id=program.id, program_version=1, state=state.to_dict())
    live = LiveState(cache_user, redis_namespace)
    live.write("srv", [LiveWrite(2, cache, floor=floor)], NOW)
    assert live.read("srv", [2])[2].cached.challenge_id == 7
    # payouts: the floor lowered around a withdrawal (WATCH/MULTI/EXEC), then dropped
    lowered = payout_floors.before_withdrawal(cache_user, keys, "srv", 2, Decimal("500"), comment="payout 1")
    assert lowered == payout_floors.LOWERED
    assert read_floor(cache_user, keys, "srv", 2).level == Decimal("94500")
    payout_floors.after_failed_withdrawal(cache_user, keys, "srv", 2)
    delete_floor(cache_user, keys, "srv", 1)
    # the local stack's clean-up (SCAN, UNLINK)
    assert forget_redis_keys(cache_user, redis_namespace) > 0


@pytest.mark.parametrize(
    "command",
    [
        ("FLUSHALL",),
        ("FLUSHDB",),
        ("KEYS", "*"),
        ("CONFIG", "GET", "maxmemory"),
        ("CLIENT", "LIST"),
        ("SHUTDOWN",),
        ("ACL", "LIST"),
        ("MONITOR",),
        ("SAVE",),
        ("MIGRATE", "h", "1", "k", "0", "1"),
    ],
)
def test_administrative_and_dangerous_commands_are_refused(cache_user: redis.Redis, command: tuple[str, ...]) -> None:
    with pytest.raises(redis.exceptions.NoPermissionError):
        cache_user.execute_command(*command)
