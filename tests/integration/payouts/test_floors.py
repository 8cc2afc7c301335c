"""The floor around a withdrawal, on real Redis: lowered by the amount (same version and expiry), deleted
when it cannot be lowered, and never invented."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import redis as redis_lib
from propfirm.live.floors import read_floor, write_floor
from propfirm.live.keys import LiveKeys
from propfirm.live.records import FloorRecord
from propfirm.payouts import floors


def test_the_floor_is_lowered_by_the_amount_or_deleted(
    redis_client: redis_lib.Redis, redis_namespace: str
) -> None:
    keys = LiveKeys(redis_namespace)
    assert floors.before_withdrawal(redis_client, keys, "s", 1, Decimal("500")) == floors.ABSENT
    assert not redis_client.exists(keys.floor("s", 1))  # no floor is made up

    now = datetime(2025, 3, 3, 21, 0, tzinfo=UTC)  # long past: the key's life is counted from the writer's now
    expires = now + timedelta(hours=2)
    write_floor(
        redis_client, keys, "s", 1, FloorRecord(Decimal("95000"), expires, "daily_loss", "touch", "fail", 7), now
    )
    assert floors.before_withdrawal(redis_client, keys, "s", 1, Decimal("1997.57")) == floors.LOWERED
    lowered = read_floor(redis_client, keys, "s", 1)
    assert lowered == FloorRecord(Decimal("93002.43"), expires, "daily_loss", "touch", "fail", 7)
    ttl_ms = redis_client.pttl(keys.floor("s", 1))
    assert 2 * 3600 * 1000 - 60_000 < ttl_ms <= 2 * 3600 * 1000  # still expires at the reset

    redis_client.set(keys.floor("s", 2), b"{not a floor")
    assert floors.before_withdrawal(redis_client, keys, "s", 2, Decimal("1")) == floors.DELETED
    assert not redis_client.exists(keys.floor("s", 2))

    floors.after_failed_withdrawal(redis_client, keys, "s", 1)
    assert not redis_client.exists(keys.floor("s", 1))


def test_a_withdrawal_leaves_a_hold_until_it_fails_or_is_judged(
    redis_client: redis_lib.Redis, redis_namespace: str
) -> None:
    from propfirm.live.holds import FloorHold

    keys = LiveKeys(redis_namespace)
    floors.before_withdrawal(redis_client, keys, "s", 3, Decimal("250.50"), comment="payout 4#c0ffee")
    hold = FloorHold.decode(redis_client.get(keys.floor_hold("s", 3)))
    assert hold == FloorHold(Decimal("250.50"), "payout 4#c0ffee")
    assert 0 < redis_client.ttl(keys.floor_hold("s", 3))  # expires by itself if nobody clears it
    floors.after_failed_withdrawal(redis_client, keys, "s", 3)
    assert not redis_client.exists(keys.floor_hold("s", 3))
