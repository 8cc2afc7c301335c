"""The Manager API gateway's own behaviour, against the contract fake of MT5Manager (Linux CI).

The shared contract is in test_contract.py; here: the missing package, the API's
False/LastError convention, network failures retried for reads, lost replies of
writes read back, and dealer results that arrive late.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from propfirm.mt5.backoff import Backoff
from propfirm.mt5.errors import AuthFailed, ConnectionLost, NotInstalled, Timeout
from propfirm.mt5.manager import ManagerApiGateway
from propfirm.mt5.models import AccountId, BalanceOperation, DealAction, DealEntry, NewAccount
from propfirm.sim.testing import Simulator

from tests.integration.mt5 import fake_mt5manager
from tests.integration.mt5.conftest import GROUPS, SERVER

PHASE1, FUNDED = GROUPS


def make(sim: Simulator, password: str | None = None) -> tuple[ManagerApiGateway, fake_mt5manager.FakeModule]:
    module = fake_mt5manager.module_for(sim.world, sim.manager_login, sim.manager_password)
    gateway = ManagerApiGateway(
        "127.0.0.1:443",
        sim.manager_login,
        password or sim.manager_password,
        server=SERVER,
        module=module,
        close_result_timeout=0.3,
        backoff=Backoff(base=0.001, cap=0.01),
    )
    return gateway, module


def test_without_the_package_connect_says_so() -> None:
    pytest.importorskip("sys")  # always there: this host has no MT5Manager (Windows-only wheels)
    gateway = ManagerApiGateway("127.0.0.1:443", 1000, "x")
    with pytest.raises(NotInstalled, match="Windows"):
        gateway.connect()


def test_a_refused_login_is_auth_failed(sim: Simulator) -> None:
    gateway, _ = make(sim, password="Wrong#Pass1")
    with pytest.raises(AuthFailed) as info:
        gateway.connect()
    assert info.value.retcode == 1001


def test_an_unreachable_server_is_retried_on_connect(sim: Simulator) -> None:
    gateway, module = make(sim)
    module.fail_next(2, retcode=10)  # the server is not reachable at first
    assert gateway.groups()
    assert module.failures == []


def test_network_failures_of_reads_are_retried(sim: Simulator) -> None:
    gateway, module = make(sim)
    gateway.connect()
    expected = {a.login for a in sim.world.accounts_in_groups(GROUPS)}
    module.fail_next(3, retcode=7)
    assert {s.login for s in gateway.account_states(GROUPS)} == expected
    assert module.failures == []
    module.fail_next(10, retcode=10)
    with pytest.raises(ConnectionLost):
        gateway.positions(GROUPS)
    module.failures.clear()
    assert gateway.positions(GROUPS) is not None


def test_a_balance_whose_reply_is_lost_is_found_not_repeated(sim: Simulator) -> None:
    gateway, module = make(sim)
    login = sim.world.create_account(FUNDED, balance="1000", leverage=100)
    module.lose_reply_of.add("DealerBalance")
    ticket = gateway.balance_operation(BalanceOperation(AccountId(SERVER, login), Decimal("0.10"), "bonus 3"))
    account = sim.world.get_account(login)
    assert account.balance == Decimal("1000.10")
    assert [d.ticket for d in account.deals if d.comment == "bonus 3"] == [ticket]


def test_a_create_whose_reply_is_lost_finds_the_account(sim: Simulator) -> None:
    gateway, module = make(sim)
    module.lose_reply_of.add("UserAdd")
    created = gateway.create_account(
        NewAccount(
            group=PHASE1,
            leverage=100,
            initial_balance=Decimal("3000"),
            first_name="Lin",
            last_name="Lost",
            email="lin@example.com",
            client_ref="mgr-lost-1",
        )
    )
    mine = [a for a in sim.world.accounts.values() if a.comment == "mgr-lost-1"]
    assert [a.login for a in mine] == [created.login] and created.existed
    assert len([d for d in mine[0].deals if d.action == DealAction.BALANCE]) == 1
    # generated passwords were set afresh, so the ones returned work
    from propfirm.mt5.auth import password_hash

    assert mine[0].password_hash == password_hash(created.password_main)


def test_a_late_dealer_result_is_awaited_not_resent(sim: Simulator) -> None:
    gateway, module = make(sim)
    login = sim.world.create_account(FUNDED, balance="100000", leverage=100)
    ticket = sim.world.open_position(login, "GBPUSD", "buy", "0.30")
    module.hold_dealer = True
    with pytest.raises(Timeout):
        gateway.close_all_positions(AccountId(SERVER, login))
    assert len(module.held) == 1
    module.release_dealer()
    closed = gateway.close_all_positions(AccountId(SERVER, login))
    assert [(c.ticket, c.confirmed_by) for c in closed] == [(ticket, "result")]
    assert module.held == []  # nothing was sent a second time
    outs = [d for d in sim.world.get_account(login).deals if d.entry == DealEntry.OUT]
    assert len(outs) == 1


def test_money_from_doubles_is_exact_at_the_currency_digits(sim: Simulator) -> None:
    gateway, _ = make(sim)
    login = sim.world.create_account(FUNDED, balance="0.30", leverage=100)
    sim.world.balance(login, Decimal("0.10"), 2, "a")
    sim.world.balance(login, Decimal("0.20"), 2, "b")
    state = next(s for s in gateway.account_states([FUNDED]) if s.login == login)
    assert state.balance == Decimal("0.60") and str(state.balance) == "0.60"
