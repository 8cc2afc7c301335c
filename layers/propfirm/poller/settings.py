"""The poller's own settings (environment variables, validated; see `propfirm.settings.load`).

MT5 connection settings (address, manager login, password from Secrets Manager or the environment)
belong to the gateway (`propfirm.mt5.settings`); these are the loop's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from propfirm.settings import RedisSettings


class PollerSettings(RedisSettings):
    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False)

    poller_name: str = Field(
        "", pattern=r"^[A-Za-z0-9_-]{0,32}$",
        description="names this poller when several poll one server (each its own POLLER_GROUPS)",
    )
    poller_groups: str = Field(
        "", description="MT5 group masks to watch, comma-separated (default: the programs' groups)"
    )
    poller_interval_seconds: float = Field(2.0, ge=1.0, le=30.0, description="seconds between cycle starts")
    poller_shard_count: int = Field(16, ge=1, le=10_000, description="evaluation-queue shards")
    poller_heartbeat_seconds: float = Field(
        60.0, gt=0, description="an unchanged account is sent again after this long"
    )
    poller_static_refresh_seconds: float = Field(300.0, gt=0, description="group settings refresh period")
    poller_deal_overlap_seconds: int = Field(10, ge=0, description="the deal window reaches back this far")
    poller_deal_window_seconds: int = Field(
        3600, ge=1, description="first deal window; it adapts to about POLLER_DEAL_TARGET deals a cycle"
    )
    poller_deal_target: int = Field(20_000, ge=100, description="deals a cycle aims at when catching up")
    poller_deal_lookback_seconds: int = Field(3600, ge=0, description="first start: deals this far back")
    poller_positions: Literal["auto", "always", "never"] = Field(
        "auto", description="read positions: auto = for the groups whose rules need them"
    )
    poller_positions_full_seconds: float = Field(
        30.0, ge=0, le=3600,
        description="every open position read again at least this often; between, only those of the accounts "
                    "that dealt, and every cycle those of the groups judging a position's current result or "
                    "value (0: every position every cycle)",
    )
    poller_tick_interval_seconds: float = Field(
        0.25, ge=0, le=10.0,
        description="the tick path: seconds between polls of the last quotes (0: off, full reads only)",
    )
    poller_kill_sessions: int = Field(
        3, ge=0, le=16,
        description="more MT5 sessions for the tick path's kills: the accounts one quote takes to their floors "
                    "are read and killed this many (plus one) at a time (0: one after another)",
    )
    poller_tick_max_age_seconds: float = Field(
        5.0, gt=0, description="a quote older than this on the server's clock is refused (stale)"
    )
    poller_gc_seconds: float = Field(
        60.0, ge=0, le=3600,
        description="Python's full garbage collection every this many seconds, after a cycle, instead of two or "
                    "three a cycle by allocation counts (0: Python's automatic rule)",
    )
    poller_metrics_flush_cycles: int = Field(5, ge=1, description="flush EMF metrics every N cycles")
    poller_message_max_bytes: int = Field(60_000, ge=1_000, le=262_144)
    poller_command_wait_seconds: int = Field(10, ge=0, le=20, description="command queue long-poll wait")
    mt5_manager_password_secret_id: str = Field(
        "", description="Secrets Manager id of the MT5 manager password (AWS); else MT5_MANAGER_PASSWORD"
    )
    propfirm_credentials_kms_key_id: str | None = Field(
        None, description="in AWS: the KMS key that opens new accounts' sealed MT5 passwords (local: the kept key)"
    )
    programs_path: Path | None = Field(None, description="programs file or folder (default: the examples)")
    evaluation_queue_url: str = Field(min_length=1, description="SQS evaluation queue (FIFO) URL")
    command_queue_url: str = Field("", description="SQS command queue URL (empty: no commands)")

    @field_validator("evaluation_queue_url", "command_queue_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) SQS queue URL")
        return value
