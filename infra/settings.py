"""Deployment settings, read from CDK context (`cdk.json`, or `cdk synth -c propfirm:environment=production`).

Values given with `-c` arrive as strings, so every key is parsed here; a bad value fails synth with the
key named. The stage is `propfirm:environment`: `dev` (the default) or `prod` (`production` is the
same); any other value fails, so a typo never deploys a production stack with development defaults.
Production turns on its defaults (two NAT gateways, an Aurora reader, a Multi-AZ cache, deletion
protection, MFA required, WAF); each can still be set on its own, except the cache's second zone.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from constructs import Node

from infra.constants import DEFAULT_LAYER_DIR, DEFAULT_WEB_DIR, LAYER_DIR_ENV, WEB_DIR_ENV


class SettingsError(ValueError):
    """A context key holds a value the stack cannot use."""


STAGES = {"dev": False, "prod": True, "production": True}  # stage -> production

# Fargate sizes per platform: the Manager API gateway runs on Windows Server Core, whose tasks need at
# least 1 vCPU and 2 GiB (Fargate's Windows minimum).
POLLER_SIZES = {"webapi": (512, 1024), "manager": (1024, 2048)}
MT5_APIS = tuple(POLLER_SIZES)
EGRESS = ("nat", "public")


@dataclass(frozen=True)
class Mt5Server:
    """One MT5 trade server: one poller service (desired count 1) per server."""

    name: str
    url: str
    manager_login: int
    password_secret_arn: str | None = None  # an existing secret; else the stack creates one to fill in
    api: str = "webapi"  # webapi: Linux task (Web API gateway); manager: Windows Server Core (Manager API)
    groups: tuple[str, ...] = ()  # MT5 group masks (POLLER_GROUPS); empty: the programs' groups
    cpu: int = 512
    memory_mib: int = 1024
    # how the task reaches MT5: "nat" (private subnets, through the NAT gateway, which charges for every byte
    # read) or "public" (public subnets with a public address; inbound data is free, nothing may connect in)
    egress: str = "nat"
    account_reads: str = "pages"  # MT5_ACCOUNT_READS: "group": a group's states, positions in one request each

    @property
    def windows(self) -> bool:
        return self.api == "manager"


@dataclass(frozen=True)
class StackSettings:
    production: bool
    nat_gateways: int
    shards: int
    aurora_max_acu: float
    aurora_reader: bool
    cache_node_type: str
    cache_nodes: int
    mt5_servers: tuple[Mt5Server, ...]
    layer_dir: Path
    waf: bool
    mfa_required: bool
    log_retention_days: int
    alarm_email: str | None
    load_example_programs: bool = True
    api_cors_origins: str = "*"
    web: bool = True  # the dashboards on CloudFront, signing in with Cognito's hosted UI
    web_dir: Path = DEFAULT_WEB_DIR
    auth_domain_prefix: str | None = None  # the hosted UI's domain prefix; None: propfirm-<account id>
    webhooks: bool = True  # outbound webhooks: the bus's events POSTed to the endpoints admins subscribe
    notifications: bool = True  # Telegram/Discord (their secret filled) and email (notify_email_from given)
    notify_email_from: str | None = None  # SES's verified sender: traders are told by email
    notify_language: str = "en"

    @classmethod
    def from_node(cls, node: Node) -> StackSettings:
        ctx = _Context(node)
        stage = ctx.string("propfirm:environment", "dev")
        if stage not in STAGES:
            raise SettingsError(f"propfirm:environment must be one of {sorted(STAGES)}, got {stage!r}")
        production = STAGES[stage]
        settings = cls(
            production=production,
            nat_gateways=ctx.integer("propfirm:natGateways", 2 if production else 1),
            shards=ctx.integer("propfirm:shards", 16),
            aurora_max_acu=ctx.number("propfirm:auroraMaxAcu", 16 if production else 4),
            aurora_reader=ctx.boolean("propfirm:auroraReader", production),
            cache_node_type=ctx.string("propfirm:cacheNodeType", "cache.t4g.small"),
            cache_nodes=ctx.integer("propfirm:cacheNodes", 2 if production else 1),
            mt5_servers=_servers(ctx.json("propfirm:mt5Servers", None)),
            layer_dir=Path(
                os.environ.get(LAYER_DIR_ENV) or ctx.string("propfirm:layerDir", str(DEFAULT_LAYER_DIR))
            ),
            waf=ctx.boolean("propfirm:waf", production),
            mfa_required=ctx.boolean("propfirm:mfaRequired", production),
            log_retention_days=ctx.integer("propfirm:logRetentionDays", 90 if production else 30),
            alarm_email=ctx.string("propfirm:alarmEmail", "") or None,
            load_example_programs=ctx.boolean("propfirm:loadExamplePrograms", True),
            api_cors_origins=ctx.string("propfirm:apiCorsOrigins", "*"),
            web=ctx.boolean("propfirm:web", True),
            web_dir=Path(os.environ.get(WEB_DIR_ENV) or ctx.string("propfirm:webDir", str(DEFAULT_WEB_DIR))),
            auth_domain_prefix=ctx.string("propfirm:authDomainPrefix", "") or None,
            webhooks=ctx.boolean("propfirm:webhooks", True),
            notifications=ctx.boolean("propfirm:notifications", True),
            notify_email_from=ctx.string("propfirm:notifyEmailFrom", "") or None,
            notify_language=ctx.string("propfirm:notifyLanguage", "en"),
        )
        settings._check()
        return settings

    def _check(self) -> None:
        if not 1 <= self.nat_gateways <= 2:
            raise SettingsError("propfirm:natGateways must be 1 or 2 (two availability zones)")
        if not 2 <= self.shards <= 1000:
            raise SettingsError(
                "propfirm:shards must be between 2 and 1000 (Lambda's SQS maximum concurrency range)"
            )
        if not 1 <= self.aurora_max_acu <= 256:
            raise SettingsError("propfirm:auroraMaxAcu must be between 1 and 256")
        if not 1 <= self.cache_nodes <= 6:
            raise SettingsError(
                "propfirm:cacheNodes must be between 1 and 6 (a primary and up to five replicas)"
            )
        if self.production and self.cache_nodes < 2:
            raise SettingsError("propfirm:cacheNodes must be at least 2 in production (Multi-AZ with failover)")
        if self.web and not (self.web_dir / "index.html").is_file():
            raise SettingsError(
                f"propfirm:webDir {self.web_dir}: the dashboards are not built (run `make web` first), "
                "or turn them off with propfirm:web false"
            )
        prefix = self.auth_domain_prefix
        if prefix is not None and not (
            re.fullmatch(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?", prefix)
            and not any(word in prefix for word in ("aws", "amazon", "cognito"))
        ):
            raise SettingsError(
                "propfirm:authDomainPrefix: lower-case letters, digits and '-', without aws, amazon or cognito"
            )
        names = [s.name for s in self.mt5_servers]
        if len(set(names)) != len(names):
            raise SettingsError(f"propfirm:mt5Servers: server names must be unique, got {names}")


DEFAULT_MT5_SERVERS = [{"name": "default", "url": "https://mt5.example.com:443", "managerLogin": 1000}]


def _servers(raw: Any) -> tuple[Mt5Server, ...]:
    raw = DEFAULT_MT5_SERVERS if raw is None else raw
    if not isinstance(raw, list) or not raw:
        raise SettingsError("propfirm:mt5Servers must be a non-empty list of {name, url, managerLogin}")
    servers = []
    for i, item in enumerate(raw):
        try:
            name, url, login = str(item["name"]), str(item["url"]), int(item["managerLogin"])
        except (KeyError, TypeError, ValueError) as exc:
            raise SettingsError(f"propfirm:mt5Servers[{i}] needs name, url and managerLogin: {exc}") from None
        if not name.replace("-", "").isalnum():
            raise SettingsError(f"propfirm:mt5Servers[{i}].name {name!r}: letters, digits and '-' only")
        api = str(item.get("api", "webapi"))
        if api not in MT5_APIS:
            raise SettingsError(f"propfirm:mt5Servers[{i}].api must be one of {list(MT5_APIS)}, got {api!r}")
        groups = item.get("groups", [])
        groups = [g.strip() for g in groups.split(",")] if isinstance(groups, str) else groups
        if not isinstance(groups, list) or not all(isinstance(g, str) and g and "," not in g for g in groups):
            raise SettingsError(f"propfirm:mt5Servers[{i}].groups: a list of MT5 group masks")
        default_cpu, default_memory = POLLER_SIZES[api]
        try:
            cpu, memory = int(item.get("cpu", default_cpu)), int(item.get("memoryMib", default_memory))
        except (TypeError, ValueError):
            raise SettingsError(f"propfirm:mt5Servers[{i}]: cpu and memoryMib are integers") from None
        if cpu < default_cpu or memory < default_memory:
            raise SettingsError(
                f"propfirm:mt5Servers[{i}]: the {api} poller needs at least cpu {default_cpu} and "
                f"memoryMib {default_memory}"
            )
        egress = str(item.get("egress", "nat"))
        if egress not in EGRESS:
            raise SettingsError(f"propfirm:mt5Servers[{i}].egress must be one of {list(EGRESS)}, got {egress!r}")
        account_reads = str(item.get("accountReads", "pages"))
        if account_reads not in ("pages", "group"):
            raise SettingsError(f"propfirm:mt5Servers[{i}].accountReads must be pages or group, got {account_reads!r}")
        servers.append(
            Mt5Server(name, url, login, item.get("passwordSecretArn"), api, tuple(groups), cpu, memory, egress,
                      account_reads)
        )
    return tuple(servers)


class _Context:
    def __init__(self, node: Node) -> None:
        self.node = node

    def _get(self, key: str) -> Any:
        return self.node.try_get_context(key)

    def string(self, key: str, default: str) -> str:
        value = self._get(key)
        return default if value is None else str(value)

    def integer(self, key: str, default: int) -> int:
        value = self._get(key)
        try:
            return default if value is None else int(value)
        except (TypeError, ValueError):
            raise SettingsError(f"{key}: not an integer: {value!r}") from None

    def number(self, key: str, default: float) -> float:
        value = self._get(key)
        try:
            return default if value is None else float(value)
        except (TypeError, ValueError):
            raise SettingsError(f"{key}: not a number: {value!r}") from None

    def boolean(self, key: str, default: bool) -> bool:
        value = self._get(key)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if str(value).lower() in ("true", "1", "yes"):
            return True
        if str(value).lower() in ("false", "0", "no"):
            return False
        raise SettingsError(f"{key}: not a boolean: {value!r}")

    def json(self, key: str, default: Any) -> Any:
        value = self._get(key)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except json.JSONDecodeError as exc:
                raise SettingsError(f"{key}: not valid JSON: {exc}") from None
        return default if value is None else value
