"""Simulator + poller + evaluator: a reckless account is failed once and its positions are closed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import orjson
from propfirm.domain.programs import load_example_programs
from propfirm.live.floors import read_floor
from propfirm.local.lambda_driver import drain
from propfirm.mt5.settings import Mt5Settings, gateway_from_settings
from propfirm.poller.runner import Poller
from propfirm.poller.settings import PollerSettings
from propfirm.settings import load
from propfirm.sim.testing import running_simulator

from functions.evaluator.handler import lambda_handler
from tests.instants import MONDAY_MORNING


def test_a_reckless_account_is_failed_once_and_closed(rig, redis_namespace) -> None:
    with running_simulator(start=MONDAY_MORNING, accounts=4, seed=11) as sim:
        world = sim.world
        login = world.create_account("challenge\\phase1", balance="100000")
        world.clock.advance(timedelta(seconds=1))  # the funding deal lies before the challenge starts
        cid = rig.register(login, world.now())
        poller = _poller(sim, rig, redis_namespace)
        try:
            poller.run_cycle()
            assert drain(rig.sqs, rig.evaluation_queue, lambda_handler).failed == []
            floor = read_floor(rig.redis, rig.keys, rig.server, login)
            assert floor is not None and floor.level == Decimal("95000")
            assert rig.fetch(
                "SELECT role FROM deals WHERE server = %s AND login = %s", rig.server, login
            ) == [("balance_operation",)]  # the funding deal, before the start: stored, not judged

            world.clock.advance(timedelta(seconds=2))  # the simulated clock stands still otherwise
            world.open_position(login, "EURUSD", "buy", "10.00")
            world.open_position(login, "GBPUSD", "buy", "5.00")
            poller.run_cycle()
            drain(rig.sqs, rig.evaluation_queue, lambda_handler)
            world.clock.advance(timedelta(seconds=2))
            world.set_price("EURUSD", world.market.bid("EURUSD") - Decimal("0.0070"))  # about -7,000
            report = poller.run_cycle()
            assert [k.login for k in report.kills] == [login]  # the fast path acted on our floor
            assert drain(rig.sqs, rig.evaluation_queue, lambda_handler).failed == []

            [(decision, reason)] = rig.fetch(
                "SELECT decision, reason FROM phase_transitions WHERE challenge_id = %s", cid
            )
            assert (decision, reason) == ("failed", "daily_loss")
            assert rig.challenge(cid).status == "failed"

            # the poller carries the evaluator's commands out (idempotent after its own kill)
            assert poller.consumer is not None and poller.commands is not None
            handled = 0
            for message in poller.consumer.receive(wait_seconds=0):
                poller.commands.handle(message.body)
                poller.consumer.delete(message)
                handled += 1
            assert handled == 2
            assert world.account(login).positions == ()
            assert world.get_account(login).trade_disabled
            drain(rig.sqs, rig.evaluation_queue, lambda_handler)  # the command results come back
            assert rig.fetch("SELECT status FROM outbox WHERE challenge_id = %s ORDER BY id", cid) == [
                ("done",),
                ("done",),
            ]
            kinds = [
                k for (k,) in rig.fetch("SELECT kind FROM audit_log WHERE challenge_id = %s ORDER BY id", cid)
            ]
            assert kinds.count("challenge.failed") == 1
        finally:
            poller.close()


def _poller(sim, rig, redis_namespace: str) -> Poller:
    gateway = gateway_from_settings(
        load(
            Mt5Settings,
            url=sim.url,
            manager_login=sim.manager_login,
            manager_password=sim.manager_password,
            max_attempts=2,
            timeout_seconds=5,
            server_name=rig.server,
        )
    )
    settings = load(
        PollerSettings,
        evaluation_queue_url=rig.evaluation_queue,
        command_queue_url=rig.command_queue,
        redis_namespace=redis_namespace,
        poller_shard_count=4,
        poller_command_wait_seconds=1,
    )
    poller = Poller(
        gateway=gateway,
        redis_client=rig.redis,
        sqs_client=rig.sqs,
        settings=settings,
        programs=list(load_example_programs().values()),
    )
    poller.start(with_inbox=False)
    return poller


def _carry_out_commands(poller: Poller) -> list[str]:
    assert poller.consumer is not None and poller.commands is not None
    done = []
    while messages := poller.consumer.receive(wait_seconds=0):
        for message in messages:
            done.append(poller.commands.handle(message.body).command_id)
            poller.consumer.delete(message)
    return done


def test_a_pass_on_mt5_moves_the_account_and_its_reset_deal_comes_back_as_ours(rig, redis_namespace) -> None:
    monday = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    with running_simulator(accounts=2, seed=12, start=monday) as sim:
        world = sim.world
        login = world.create_account("challenge\\phase1", balance="100000")
        world.clock.advance(timedelta(seconds=1))
        cid = rig.register(login, world.now())
        poller = _poller(sim, rig, redis_namespace)
        try:
            poller.run_cycle()
            drain(rig.sqs, rig.evaluation_queue, lambda_handler)
            for _day in range(4):  # four trading days of about +2,600
                ticket = world.open_position(login, "EURUSD", "buy", "1.00")
                world.set_price("EURUSD", world.market.bid("EURUSD") + Decimal("0.0260"))
                world.close_position(login, ticket)
                world.clock.advance(timedelta(seconds=5))
                poller.run_cycle()
                assert drain(rig.sqs, rig.evaluation_queue, lambda_handler).failed == []
                world.clock.advance(timedelta(days=1))
            [(decision, to_phase)] = rig.fetch(
                "SELECT decision, to_phase FROM phase_transitions WHERE challenge_id = %s", cid
            )
            assert (decision, to_phase) == ("phase_passed", 1)
            balance_before = world.account(login).balance
            assert balance_before >= Decimal(110000)

            assert _carry_out_commands(poller) == [
                f"{cid}:1:disable",
                f"{cid}:1:move_group",
                f"{cid}:1:reset",
                f"{cid}:1:enable",
            ]
            assert world.get_account(login).group == "challenge\\phase2"
            assert world.account(login).balance == Decimal(100000)
            world.clock.advance(timedelta(seconds=5))
            poller.run_cycle()  # the reset deal and a snapshot at the account size
            assert drain(rig.sqs, rig.evaluation_queue, lambda_handler).failed == []

            record = rig.challenge(cid)
            assert record.awaiting_reset is None and record.phase == 1
            [(role, amount)] = rig.fetch(
                "SELECT role, profit FROM deals WHERE server = %s AND login = %s"
                " AND comment LIKE 'phase reset#%%'",
                rig.server,
                login,
            )
            assert role == "system" and amount == Decimal(100000) - balance_before
            cached = orjson.loads(rig.redis.get(rig.keys.state(rig.server, login)))["state"]
            assert (
                cached["phase_index"] == 1 and cached["phase_ops"] == "0" and cached["balance"] == "100000.00"
            )
            assert rig.fetch("SELECT status FROM outbox WHERE challenge_id = %s", cid) == [("done",)] * 4
        finally:
            poller.close()
