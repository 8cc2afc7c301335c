"""How to reach the MT5 server, from the environment, and the factory that builds the gateway.

MT5_URL                       https://mt5.example.com:443 (Web API), or host:port for the Manager API
MT5_API                       webapi (default) | manager
MT5_MANAGER_LOGIN             the manager account
MT5_MANAGER_PASSWORD          its API password, or MT5_MANAGER_PASSWORD_FILE (a file holding it)
MT5_VERIFY_TLS                true (default) | false (self-signed test servers only)
MT5_CA_FILE                   a CA bundle / the server's certificate to trust instead of the system's
MT5_TIMEOUT_SECONDS           per call (default 10), MT5_CONNECT_TIMEOUT_SECONDS (default 5)
MT5_MAX_ATTEMPTS              attempts of a read before it fails (default 4)
MT5_KEEPALIVE_SECONDS         ping when idle this long (default 20; the server drops at 180)
MT5_PAGE_SIZE                 logins per batch request (default 100, the documented page)
MT5_SERVER_NAME               the `server` of every AccountId (default "default")
MT5_SERVER_ZONE               optional IANA zone of the server clock (exact history across DST),
MT5_SERVER_ZONE_SHIFT_MINUTES with a shift, e.g. America/New_York and 420 for "New York + 7 h"
MT5_MANAGER_DATA_DIR          the Manager API's working directory (its local databases)
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from propfirm.mt5.models import DEFAULT_SERVER
from propfirm.mt5.port import Mt5Gateway


class Mt5Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MT5_", extra="ignore", case_sensitive=False)

    url: str = Field(description="Web API base URL (https://host:port) or Manager API host:port")
    api: Literal["webapi", "manager"] = "webapi"
    manager_login: int = Field(gt=0)
    manager_password: SecretStr | None = None
    manager_password_file: Path | None = None
    verify_tls: bool = True
    ca_file: Path | None = None
    timeout_seconds: float = Field(10.0, gt=0)
    connect_timeout_seconds: float = Field(5.0, gt=0)
    max_attempts: int = Field(4, ge=1, le=20)
    keepalive_seconds: float = Field(20.0, ge=1)
    page_size: int = Field(100, ge=1, le=100)
    account_reads: Literal["pages", "group"] = Field(
        "pages",
        description="account states by pages of logins, or each group's account states and positions in one request",
    )
    server_name: str = Field(DEFAULT_SERVER, min_length=1)
    server_zone: str | None = None
    server_zone_shift_minutes: int = 0
    manager_data_dir: Path | None = None

    @model_validator(mode="after")
    def _one_password(self) -> Mt5Settings:
        if (self.manager_password is None) == (self.manager_password_file is None):
            raise ValueError("set exactly one of MT5_MANAGER_PASSWORD and MT5_MANAGER_PASSWORD_FILE")
        if self.manager_password_file is not None and not self.manager_password_file.is_file():
            raise ValueError(f"MT5_MANAGER_PASSWORD_FILE {self.manager_password_file} is not a readable file")
        if self.ca_file is not None and not self.ca_file.is_file():
            raise ValueError(f"MT5_CA_FILE {self.ca_file} is not a readable file")
        if self.api == "webapi" and not self.url.startswith(("https://", "http://")):
            raise ValueError("MT5_URL must be an https:// URL for the Web API")
        return self

    def password(self) -> str:
        if self.manager_password is not None:
            return self.manager_password.get_secret_value()
        assert self.manager_password_file is not None
        return self.manager_password_file.read_text(encoding="utf-8").strip()

    def tls_verify(self) -> bool | str:
        if self.ca_file is not None:
            return str(self.ca_file)
        return self.verify_tls


def gateway_from_settings(settings: Mt5Settings | None = None) -> Mt5Gateway:
    """The gateway the settings describe (not connected yet: the first call connects)."""
    from propfirm.settings import load

    settings = settings or load(Mt5Settings)
    if settings.api == "manager":
        from propfirm.mt5.manager import ManagerApiGateway

        return ManagerApiGateway.from_settings(settings)
    from propfirm.mt5.webapi import GatewayOptions, WebApiGateway, WebApiTransport

    transport = WebApiTransport(
        settings.url,
        settings.manager_login,
        settings.password(),
        verify=settings.tls_verify(),
        timeout=settings.timeout_seconds,
        connect_timeout=settings.connect_timeout_seconds,
        max_attempts=settings.max_attempts,
        keepalive_interval=settings.keepalive_seconds,
    )
    options = GatewayOptions(
        page_size=settings.page_size,
        account_reads=settings.account_reads,
        server_zone=settings.server_zone,
        server_zone_shift_minutes=settings.server_zone_shift_minutes,
    )
    return WebApiGateway(transport, settings.server_name, options)
