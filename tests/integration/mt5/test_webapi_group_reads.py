"""Account states read a whole group in one request (`account_reads="group"`): the same states as the login
pages give, with one account request a group instead of one per hundred accounts; accounts the answer
leaves out (no trade state since the server started) still come back from their user records. Positions
then come a group at a time too, the same as the pages give."""

from __future__ import annotations

from collections import Counter

import pytest
from propfirm.mt5.webapi import GatewayOptions, WebApiGateway
from propfirm.sim.testing import Simulator

from tests.integration.mt5.conftest import GROUPS, make_webapi


def _counting(gateway: WebApiGateway) -> Counter:
    calls: Counter = Counter()
    read = gateway.transport.read

    def counted(path, params=None, **kw):
        calls[path] += 1
        return read(path, params, **kw)

    gateway.transport.read = counted  # type: ignore[method-assign]
    return calls


def _states(gateway: WebApiGateway) -> dict[int, tuple]:
    return {s.login: (s.group, s.balance, s.equity, s.margin, s.credit) for s in gateway.account_states(GROUPS)}


def test_a_group_in_one_request_reads_what_the_pages_read(sim: Simulator) -> None:
    pages = make_webapi(sim, options=GatewayOptions(page_size=7))
    whole = make_webapi(sim, options=GatewayOptions(page_size=7, account_reads="group"))
    try:
        paged_calls, whole_calls = _counting(pages), _counting(whole)
        assert _states(whole) == _states(pages) and len(_states(pages)) >= 60
        assert whole_calls["/api/user/account/get_batch"] == len(GROUPS)  # one a group
        assert paged_calls["/api/user/account/get_batch"] > whole_calls["/api/user/account/get_batch"]
    finally:
        pages.close()
        whole.close()


def test_a_groups_positions_in_one_request_are_what_the_pages_read(sim: Simulator) -> None:
    for _ in range(3):
        sim.world.run_traders()
    pages = make_webapi(sim, options=GatewayOptions(page_size=3))
    whole = make_webapi(sim, options=GatewayOptions(page_size=3, account_reads="group"))
    try:
        paged_calls, whole_calls = _counting(pages), _counting(whole)
        paged = {p.ticket: p for p in pages.positions(GROUPS)}
        assert {p.ticket: p for p in whole.positions(GROUPS)} == paged and len(paged) > 3
        assert whole_calls["/api/position/get_batch"] == len(GROUPS)  # one a group, however many positions
        assert paged_calls["/api/position/get_batch"] > len(GROUPS)
    finally:
        pages.close()
        whole.close()


def test_accounts_left_out_of_the_groups_answer_come_from_their_user_records(sim: Simulator) -> None:
    whole = make_webapi(sim, options=GatewayOptions(page_size=5, account_reads="group"))
    expected = _states(whole)
    read = whole.transport.read
    dropped = sorted(expected)[:12]

    def without_some(path, params=None, **kw):
        answer = read(path, params, **kw)
        if path == "/api/user/account/get_batch":
            return [r for r in answer if int(getattr(r, "login", None) or r["Login"]) not in dropped]
        return answer

    whole.transport.read = without_some  # type: ignore[method-assign]
    calls = _counting(whole)
    try:
        rebuilt = {s.login: s for s in whole.account_states(GROUPS)}
        assert set(rebuilt) == set(expected)
        assert all(rebuilt[login].balance == expected[login][1] for login in dropped)
        assert calls["/api/user/get_batch"] >= 3  # the twelve missing, five a page
    finally:
        whole.close()


def test_an_unknown_way_of_reading_is_refused(sim: Simulator) -> None:
    with pytest.raises(ValueError, match="account_reads"):
        make_webapi(sim, options=GatewayOptions(account_reads="everything"))
