"""Simulator + poller + evaluator: a reckless account is failed once and its positions are closed."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from propfirm.domain.programs import load_example_programs
from propfirm.live.floors import read_floor
from propfirm.mt5.settings import Mt5Settings, gateway_from_settings
from propfirm.poller.runner import Poller
from propfirm.poller.settings import PollerSettings
from propfirm.settings import load
from propfirm.sim.testing import running_simulator
from propfirm.sim.webapi.server import WebApiHandler

from functions.evaluator.handler import lambda_handler
from functions.evaluator.local import drain

WebApiHandler.disable_nagle_algorithm = True  # as the poller's tests do: ~40 ms per call otherwise


def test_a_reckless_account_is_failed_once_and_closed(rig, redis_namespace) -> None:
    with running_simulator(accounts=4, seed=11) as sim:
        world = sim.world
        login = world.create_account("challenge\\phase1", balance="100000")
        world.clock.advance(timedelta(seconds=1))  # the funding deal lies before the challenge starts
        cid = rig.register(login, world.now())
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
