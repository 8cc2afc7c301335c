"""Settings from the environment, validated by pydantic.

Each component reads only the settings it needs through `load(SettingsClass)`,
which turns a validation failure into a `SettingsError` naming every bad
variable and why, instead of a traceback.
"""

from __future__ import annotations

from typing import TypeVar

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


class SettingsError(Exception):
    """The environment does not describe a usable configuration."""


class _Base(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False)


class DatabaseSettings(_Base):
    database_url: str = Field(DEFAULT_DATABASE_URL, description="PostgreSQL connection URL")


class RedisSettings(_Base):
    redis_url: str = Field(DEFAULT_REDIS_URL, description="Redis connection URL")
    redis_namespace: str = Field("", description="prefix for every key (tests and shared Redis servers)")


S = TypeVar("S", bound=BaseSettings)


def load(settings_class: type[S], **overrides: object) -> S:
    """Build `settings_class` from the environment (and overrides), or raise SettingsError."""
    try:
        return settings_class(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        prefix = settings_class.model_config.get("env_prefix", "") or ""
        problems = []
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"]) or "?"
            env_name = (prefix + field).upper()
            problems.append(f"{env_name}: {err['msg']}")
        raise SettingsError(
            f"invalid settings for {settings_class.__name__}: " + "; ".join(problems)
        ) from None
