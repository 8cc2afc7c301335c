"""Commands from the queue carried out on MT5 exactly once."""

from __future__ import annotations

import time
from decimal import Decimal

import orjson
import pytest
from propfirm.mt5.auth import password_hash
from propfirm.mt5.errors import TooFrequent
from propfirm.queues.messages import parse_command
from propfirm.queues.tags import balance_comment
from propfirm.sealing import LocalCipher, Passwords, seal_passwords
from propfirm.sim.testing import running_simulator

from tests.instants import MONDAY_MORNING

CIPHER = LocalCipher(bytes(range(32)))

PHASE1 = "challenge\\phase1"


def balance_deals(world, login: int) -> list:
    with world.lock:
        return [d for d in world.deals_of(world.get_account(login)) if d.action == 2]


def run_commands_until(poller, queues, count: int, timeout: float = 10.0) -> list[dict]:
    results: list[dict] = []
    deadline = time.monotonic() + timeout
    while len(results) < count and time.monotonic() < deadline:
        poller.process_commands(time.monotonic() + 0.5)
        results += [m for m in queues.drain() if m["kind"] == "command_result"]
        time.sleep(0.05)
    return results


def test_a_duplicated_command_is_done_once(make_poller, queues) -> None:
    with running_simulator(start=MONDAY_MORNING, accounts=0, seed=11) as sim:
        login = sim.world.create_account(PHASE1, balance="100000")
        poller = make_poller(sim)
        poller.start()
        command = {"command_id": "payout-17-withdraw", "type": "balance_operation", "server": "default",
                   "login": login, "amount": "-3000.00", "comment": "payout 17"}
        queues.send_command(command, dedup_id="first")
        queues.send_command(command, dedup_id="second")  # delivered again, e.g. a retried send
        results = run_commands_until(poller, queues, 1)
        time.sleep(1.5)  # let the inbox take the copy too
        poller.process_commands(time.monotonic() + 1)
        poller.close()

        deals = balance_deals(sim.world, login)
        assert [(d.profit, d.comment) for d in deals[1:]] == [(Decimal("-3000.00"),
                                                               balance_comment(parse_command(
                                                                   orjson.dumps(command))))]
        assert sim.world.account(login).balance == Decimal("97000.00")
        assert results[0]["ok"] and results[0]["details"]["deal"] == deals[-1].ticket
        # the copy is answered with the stored result (same deduplication id; moto, unlike SQS, does not
        # drop it once the first was deleted), marked as a repeat
        copies = [m for m in queues.drain() if m["kind"] == "command_result"]
        assert all(c["repeated"] and c["details"]["deal"] == deals[-1].ticket for c in copies)
        assert not results[0]["repeated"]
        assert poller.ledger.get("payout-17-withdraw").status == "done"


def test_an_interrupted_withdrawal_is_looked_up_on_mt5_before_acting(make_poller, queues) -> None:
    with running_simulator(start=MONDAY_MORNING, accounts=0, seed=12) as sim:
        login = sim.world.create_account(PHASE1, balance="100000")
        poller = make_poller(sim)
        poller.start(with_inbox=False)
        poller.run_cycle()  # learns the account's group
        body = orjson.dumps({"command_id": "w-1", "type": "balance_operation", "server": "default",
                                           "login": login, "amount": "-500.00", "comment": "payout 1"})
        # an earlier attempt marked the command started, MT5 made the deal, then the poller died
        poller.ledger.mark_started("w-1")
        ticket = sim.world.balance(login, "-500.00", comment=balance_comment(parse_command(body)))

        result = poller.commands.handle(body.decode())

        assert result.ok and result.details == {"deal": ticket, "found_existing": True}
        assert len(balance_deals(sim.world, login)) == 2  # the initial deposit and the one withdrawal
        again = poller.commands.handle(body.decode())
        assert again.repeated and again.details["deal"] == ticket


def test_a_busy_server_fails_no_withdrawal_the_command_comes_back(make_poller, queues) -> None:
    with running_simulator(start=MONDAY_MORNING, accounts=0, seed=13) as sim:
        login = sim.world.create_account(PHASE1, balance="100000")
        poller = make_poller(sim)
        poller.start(with_inbox=False)
        poller.run_cycle()
        body = orjson.dumps({"command_id": "w-busy", "type": "balance_operation", "server": "default",
                             "login": login, "amount": "-700.00", "comment": "payout 3"}).decode()
        sim.faults.set_error_rate(1.0, retcode=12)  # every request: "server busy"
        with pytest.raises(TooFrequent):
            poller.commands.handle(body)
        assert [m for m in queues.drain() if m["kind"] == "command_result"] == []  # nothing decided: it comes back
        assert len(balance_deals(sim.world, login)) == 1  # the deposit only
        sim.faults.set_error_rate(0.0)
        result = poller.commands.handle(body)  # redelivered: the checked path, then the withdrawal
        assert result.ok and not result.repeated
        assert [d.profit for d in balance_deals(sim.world, login)[1:]] == [Decimal("-700.00")]
        poller.close()


def test_account_commands_create_move_disable_and_close(make_poller, queues) -> None:
    with running_simulator(start=MONDAY_MORNING, accounts=0, seed=13) as sim:
        world = sim.world
        poller = make_poller(sim)
        poller.start(with_inbox=False)
        create = {"command_id": "create-1", "type": "create_account", "server": "default", "group": PHASE1,
                  "leverage": 100, "initial_balance": "100000.00", "first_name": "Ada", "last_name": "L",
                  "email": "ada@example.com"}
        created = poller.commands.handle(orjson.dumps(create).decode())
        # MT5 made the passwords: no result (on the queue, in the ledger) reports them
        assert created.ok and created.details["passwords_generated"]
        assert "password_main" not in created.details and "password_investor" not in created.details
        login = created.login
        assert world.account(login).balance == Decimal("100000.00")
        stored = poller.ledger.get("create-1").result
        assert "password_main" not in orjson.dumps(stored).decode()
        world.open_position(login, "EURUSD", "buy", "1.00")
        for command in (
            {"command_id": "m-1", "type": "move_group", "server": "default", "login": login,
             "group": "challenge\\phase2"},
            {"command_id": "t-1", "type": "set_trading", "server": "default", "login": login,
             "enabled": False},
            {"command_id": "c-1", "type": "close_all", "server": "default", "login": login},
        ):
            assert poller.commands.handle(orjson.dumps(command).decode()).ok
        assert world.account(login).group == "challenge\\phase2"
        assert world.get_account(login).trade_disabled and world.account(login).positions == ()
        wrong = poller.commands.handle(orjson.dumps({**create, "command_id": "x",
                                                                   "server": "other"}).decode())
        assert not wrong.ok and "other" in wrong.error


def test_a_creation_opens_its_sealed_passwords_only_to_create_the_account(make_poller, queues) -> None:
    with running_simulator(start=MONDAY_MORNING, accounts=0, seed=14) as sim:
        world = sim.world
        poller = make_poller(sim)
        poller._cipher = CIPHER
        poller.start(with_inbox=False)
        passwords = Passwords("Main#Pass1234", "Invest#Pass12")
        sealed = seal_passwords(CIPHER, 41, passwords)

        def create(command_id: str, sealed_passwords: dict) -> dict:
            return {"command_id": command_id, "type": "create_account", "server": "default", "group": PHASE1,
                    "leverage": 100, "initial_balance": "100000.00", "first_name": "Ada", "last_name": "L",
                    "email": "ada@example.com", "client_ref": f"challenge-{command_id}",
                    "sealed_passwords": sealed_passwords}

        body = orjson.dumps(create("41:0:create_account", sealed.model_dump())).decode()
        assert passwords.main not in body and passwords.investor not in body  # what the queue carries
        created = poller.commands.handle(body)
        assert created.ok and "passwords_generated" not in created.details
        with world.lock:
            account = world.get_account(created.login)
            assert account.password_hash == password_hash(passwords.main)
            assert account.investor_hash == password_hash(passwords.investor)
        assert passwords.main not in orjson.dumps(created.model_dump(mode="json")).decode()

        # sealed for challenge 41, moved into another command: it does not open, nothing is created
        moved = create("42:0:create_account", {**sealed.model_dump(), "challenge_id": 42})
        refused = poller.commands.handle(orjson.dumps(moved).decode())
        assert not refused.ok and "do not open" in refused.error and refused.login is None


def test_a_close_refused_while_the_market_is_closed_waits_and_is_done_when_it_opens(make_poller, queues) -> None:
    from datetime import timedelta

    with running_simulator(start=MONDAY_MORNING, accounts=0, seed=14) as sim:
        world = sim.world
        world.trade_sessions = True  # GER40 trades 03:15-23:00 server time
        login = world.create_account(PHASE1, balance="100000")
        ticket = world.open_position(login, "GER40", "buy", "1")  # 12:00 server: open
        poller = make_poller(sim)
        poller.start(with_inbox=False)
        poller.run_cycle()
        world.clock.advance(timedelta(hours=12))  # 00:00 server: closed
        body = orjson.dumps({"command_id": "fail-9-close", "type": "close_all", "server": "default",
                             "login": login}).decode()

        refused = poller.commands.handle(body)
        assert not refused.ok and refused.retcode == 10018
        assert [m for m in queues.drain() if m["kind"] == "command_result"] == []  # not decided: it waits
        assert poller.ledger.get("fail-9-close").status == "waiting"
        assert set(poller.ledger.waiting()) == {"fail-9-close"} and ticket in world.positions
        assert poller.retry_parked_commands() == 0  # still closed (a redelivery would wait the same way)

        world.clock.advance(timedelta(hours=3, minutes=30))  # 03:30 server: GER40 open
        assert poller.retry_parked_commands() == 1
        assert ticket not in world.positions and poller.ledger.waiting() == {}
        [result] = [m for m in queues.drain() if m["kind"] == "command_result"]
        assert result["ok"] and [c["ticket"] for c in result["details"]["closed"]] == [ticket]
        assert poller.ledger.get("fail-9-close").status == "done"
        assert poller.retry_parked_commands() == 0
        poller.close()
