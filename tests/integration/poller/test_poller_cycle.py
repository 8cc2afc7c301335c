"""The poller against the simulator over HTTP, real Redis and SQS in moto."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import orjson
import pytest
from propfirm.live.floors import write_floor
from propfirm.live.keys import LiveKeys
from propfirm.live.records import FloorRecord, Snapshot
from propfirm.poller.startup import MissingGroups
from propfirm.sim.testing import running_simulator

from tests.instants import MONDAY_MORNING

PHASE1 = "challenge\\phase1"


def floor_at(level: Decimal, expires_at, version: int = 1, breach_at: str = "touch") -> FloorRecord:
    return FloorRecord(level=level, expires_at=expires_at, reason="daily_loss", breach_at=breach_at,  # type: ignore[arg-type]
                       action="fail", version=version)


def test_changed_accounts_are_written_to_redis_and_named_in_one_message_per_shard(
        make_poller, queues, redis_client, redis_namespace) -> None:
    with running_simulator(start=MONDAY_MORNING, accounts=40, seed=3) as sim:
        poller = make_poller(sim, poller_shard_count=4)
        poller.start(with_inbox=False)
        first = poller.run_cycle()
        assert first.accounts == 40 and first.changed == 40
        messages = [m for m in queues.drain() if m["kind"] == "evaluation"]
        assert sorted({m["shard"] for m in messages}) == [0, 1, 2, 3] and len(messages) == 4
        named = sorted(login for m in messages for login in m["logins"])
        assert len(named) == 40
        keys = LiveKeys(redis_namespace)
        snap = Snapshot.decode(redis_client.get(keys.snap("default", named[0])))
        assert snap.cycle == 1 and snap.login == named[0]
        # an unchanged world: nothing to send; a trade: that account only
        assert poller.run_cycle().changed == 0
        login = named[5]
        sim.world.open_position(login, "EURUSD", "buy", "1.00")
        third = poller.run_cycle()
        assert third.changed == 1 and third.new_deals == 1
        [message] = [m for m in queues.drain() if m["kind"] == "evaluation"]
        assert message["logins"] == [login] and message["deals"][0]["entry"] == "in"
        assert message["cycle"] == 3
        state = redis_client.hgetall(keys.poller_state("default"))
        assert int(state[b"cycle"]) == 3
        heartbeat = orjson.loads(redis_client.get(keys.heartbeat("default")))
        assert heartbeat["cycle"] == 2  # the last cycle that completed before this pipeline
        assert 0 <= heartbeat["duration_seconds"] < 60  # its own time (the admin's system page shows it)


def test_a_breached_account_is_closed_within_one_cycle(make_poller, queues, redis_client,
                                                       redis_namespace) -> None:
    with running_simulator(start=MONDAY_MORNING, accounts=5, seed=4) as sim:
        world = sim.world
        login = world.create_account(PHASE1, balance="100000")
        world.open_position(login, "EURUSD", "buy", "2.00")
        world.open_position(login, "GBPUSD", "buy", "1.00")
        poller = make_poller(sim)
        poller.start(with_inbox=False)
        poller.run_cycle()
        queues.drain()
        equity = world.account(login).equity
        now = world.now()
        keys = LiveKeys(redis_namespace)
        write_floor(redis_client, keys, "default", login, floor_at(equity - 500, now + timedelta(hours=3)), now)
        world.set_price("EURUSD", world.market.bid("EURUSD") - Decimal("0.0050"))  # about -1,000
        assert world.account(login).equity < equity - 500

        report = poller.run_cycle()

        assert [k.login for k in report.kills] == [login]
        assert world.account(login).positions == ()
        assert world.get_account(login).trade_disabled
        [kill] = [m for m in queues.drain() if m["kind"] == "kill"]
        assert kill["login"] == login and kill["reason"] == "daily_loss"
        assert kill["close"]["trading_disabled"] and len(kill["close"]["closed"]) == 2
        assert Decimal(kill["equity"]) <= Decimal(kill["floor"]["level"])
        # equity stays under the floor after the close: no second kill for the same floor
        world.set_price("EURUSD", world.market.bid("EURUSD") - Decimal("0.0010"))
        assert poller.run_cycle().kills == []


def test_an_expired_missing_or_untouched_floor_never_kills(make_poller, redis_client,
                                                          redis_namespace) -> None:
    with running_simulator(start=MONDAY_MORNING, accounts=0, seed=5) as sim:
        world = sim.world
        logins = [world.create_account(PHASE1, balance="100000") for _ in range(3)]
        for login in logins:
            world.open_position(login, "EURUSD", "buy", "1.00")
        poller = make_poller(sim)
        poller.start(with_inbox=False)
        poller.run_cycle()
        keys = LiveKeys(redis_namespace)
        now = world.now()
        expired, below_rule, _missing = logins
        # expired on the server's clock, still present in Redis (written without an expiry)
        redis_client.set(keys.floor("default", expired),
                         floor_at(Decimal("200000"), now - timedelta(seconds=1)).encode())
        world.set_price("EURUSD", world.market.bid("EURUSD") - Decimal("0.0020"))
        equity = world.account(below_rule).equity
        write_floor(redis_client, keys, "default", below_rule,
                    floor_at(equity, now + timedelta(hours=1), breach_at="below"), now)  # equal is not below
        report = poller.run_cycle()
        assert report.changed == 3 and report.kills == []
        assert all(world.account(login).positions for login in logins)


def test_a_missing_group_refuses_the_start_and_names_each_one(make_poller) -> None:
    with running_simulator(start=MONDAY_MORNING, accounts=0, groups=["challenge\\phase1", "funded\\standard"]) as sim:
        poller = make_poller(sim)
        with pytest.raises(MissingGroups) as refused:
            poller.start(with_inbox=False)
        assert "challenge\\phase2" in refused.value.missing and "challenge\\onestep" in refused.value.missing
        assert "challenge\\phase1" not in refused.value.missing
        assert "'challenge\\\\phase2'" in str(refused.value)
