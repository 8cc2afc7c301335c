"""MT5 settings from the environment and the gateway factory."""

from __future__ import annotations

from pathlib import Path

import pytest
from propfirm.mt5.manager import ManagerApiGateway
from propfirm.mt5.settings import Mt5Settings, gateway_from_settings
from propfirm.mt5.webapi import WebApiGateway
from propfirm.settings import SettingsError, load


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("MT5_"):
            monkeypatch.delenv(name)


def test_web_api_settings_build_a_web_api_gateway(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MT5_URL", "https://mt5.example.com:443")
    monkeypatch.setenv("MT5_MANAGER_LOGIN", "1000")
    monkeypatch.setenv("MT5_MANAGER_PASSWORD", "Secret#1")
    monkeypatch.setenv("MT5_SERVER_NAME", "live-1")
    monkeypatch.setenv("MT5_TIMEOUT_SECONDS", "3.5")
    monkeypatch.setenv("MT5_PAGE_SIZE", "50")
    gateway = gateway_from_settings()
    assert isinstance(gateway, WebApiGateway)
    assert gateway.server == "live-1" and gateway.options.page_size == 50
    assert gateway.transport.timeout == 3.5 and gateway.transport.login == 1000
    assert not gateway.transport.connected  # nothing is sent until the first call


def test_password_from_a_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secret = tmp_path / "pw"
    secret.write_text("FromFile#9\n")
    settings = load(Mt5Settings, url="https://x", manager_login=1, manager_password_file=secret)
    assert settings.password() == "FromFile#9" and settings.server_name == "default"
    assert "FromFile" not in repr(
        load(Mt5Settings, url="https://x", manager_login=1, manager_password="FromFile#9")
    )


@pytest.mark.parametrize(
    "overrides,names",
    [
        ({"url": "https://x", "manager_login": 1}, "MANAGER_PASSWORD"),
        (
            {
                "url": "https://x",
                "manager_login": 1,
                "manager_password": "a",
                "manager_password_file": "/nope",
            },
            "exactly one",
        ),
        ({"url": "mt5.example.com", "manager_login": 1, "manager_password": "a"}, "https://"),
        ({"url": "https://x", "manager_login": 0, "manager_password": "a"}, "MT5_MANAGER_LOGIN"),
        (
            {"url": "https://x", "manager_login": 1, "manager_password": "a", "page_size": 500},
            "MT5_PAGE_SIZE",
        ),
    ],
)
def test_bad_settings_name_the_variable(overrides: dict, names: str) -> None:
    with pytest.raises(SettingsError, match=names):
        load(Mt5Settings, **overrides)


def test_manager_settings_build_a_manager_gateway_without_importing_it() -> None:
    settings = load(Mt5Settings, api="manager", url="10.0.0.5:443", manager_login=1000, manager_password="a")
    gateway = gateway_from_settings(settings)
    assert isinstance(gateway, ManagerApiGateway) and gateway.address == "10.0.0.5:443"
