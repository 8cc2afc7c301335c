import pytest
from propfirm.settings import SettingsError, _Base, load
from pydantic import Field


class ExampleSettings(_Base):
    poll_interval_seconds: float = Field(2.0, ge=1, le=30)
    mt5_url: str


def test_missing_and_out_of_range_values_are_named(monkeypatch):
    monkeypatch.setenv("POLL_INTERVAL_SECONDS", "45")
    monkeypatch.delenv("MT5_URL", raising=False)
    with pytest.raises(SettingsError) as info:
        load(ExampleSettings)
    message = str(info.value)
    assert "POLL_INTERVAL_SECONDS" in message and "less than or equal to 30" in message
    assert "MT5_URL" in message and "required" in message.lower()


def test_valid_environment_loads(monkeypatch):
    monkeypatch.setenv("POLL_INTERVAL_SECONDS", "5")
    monkeypatch.setenv("MT5_URL", "https://127.0.0.1:8443")
    settings = load(ExampleSettings)
    assert settings.poll_interval_seconds == 5.0
    assert settings.mt5_url == "https://127.0.0.1:8443"
