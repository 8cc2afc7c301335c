"""The Manager API adapter and its fake against MetaQuotes' own type stub of MT5Manager.

The adapter's calls (`manager.CALLS`) must exist in the stub with those parameter
names; the fake must have exactly those calls with the same names and arities,
and records carrying only attributes the stub declares. The checked-in
signatures (taken from the wheel's `_core.pyi`) are always checked; when pip can
download the current wheel, the adapter is checked against it as well.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
from propfirm.mt5 import manager

from tests.integration.mt5 import fake_mt5manager
from tests.integration.mt5.mt5manager_stub import checked_in, download_stub, parse_stub


def _check_calls_against(stub: dict) -> None:
    methods = stub["ManagerAPI"]
    for name, params in manager.CALLS.items():
        assert name in methods, f"ManagerAPI.{name} is not in the stub"
        assert list(params) in methods[name], f"ManagerAPI.{name}{params} matches no overload {methods[name]}"
    for name in manager.MODULE_FUNCTIONS:
        assert name in stub["functions"], f"MT5Manager.{name} is not in the stub"
    for name in manager.RECORD_CLASSES:
        assert name in stub["classes"]


def test_the_adapters_calls_are_in_the_checked_in_stub() -> None:
    _check_calls_against(checked_in())


def test_the_fake_has_exactly_the_adapters_calls_with_the_stubs_signatures() -> None:
    public = {
        name: member
        for name, member in inspect.getmembers(fake_mt5manager._FakeManagerAPI, inspect.isfunction)
        if name[0].isupper()
    }
    assert set(public) == set(manager.CALLS)
    for name, function in public.items():
        params = [p for p in inspect.signature(function).parameters if p != "self"]
        assert tuple(params) == manager.CALLS[name], name
    module = fake_mt5manager.FakeModule(world=None, login=1, password="x")  # type: ignore[arg-type]
    for name in manager.MODULE_FUNCTIONS + manager.RECORD_CLASSES + ("ManagerAPI",):
        assert hasattr(module, name)
    assert inspect.signature(module.LastError).parameters == {}


def test_fake_records_carry_only_the_stubs_attributes() -> None:
    stub = checked_in()["classes"]
    record = fake_mt5manager._typed("MTUser", {"Login": "5", "Email": "a@b", "Balance": "1.50", "Bogus": "1"})
    assert set(vars(record)) <= set(stub["MTUser"])
    assert record.EMail == "a@b" and record.Balance == 1.5 and record.Login == 5


@pytest.mark.slow
def test_the_adapters_calls_are_in_the_current_wheel(tmp_path: Path) -> None:
    text = download_stub(tmp_path)
    if text is None:
        pytest.skip("the MT5Manager wheel could not be downloaded here (no network or no index)")
    fresh = parse_stub(text)
    _check_calls_against(fresh)
    for name in manager.CALLS:  # and the checked-in copy still describes the wheel
        assert fresh["ManagerAPI"][name] == checked_in()["ManagerAPI"][name]
