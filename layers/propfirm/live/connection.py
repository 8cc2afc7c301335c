"""Redis clients from REDIS_URL, signed in when the cache requires it.

In AWS the cache (ElastiCache for Valkey) requires TLS and a user: REDIS_URL is `rediss://host:port/0`
with no credentials, and REDIS_AUTH_SECRET_ARN names a Secrets Manager secret holding
`{"username": ..., "password": ...}` (or a bare password, for the `default` user). The secret is read
once per process and kept: a Lambda container or the poller signs every new connection with it.
Locally (no REDIS_AUTH_SECRET_ARN) the URL is used as it is, credentials in it included.

A new password takes effect in a new process (a deploy, a new poller task): ElastiCache users accept
two passwords at once, so a rotation adds the new one, updates the secret, restarts, removes the old.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import redis

from propfirm.settings import SettingsError

AUTH_SECRET_ENV = "REDIS_AUTH_SECRET_ARN"

# What the application's cache user may do (the ElastiCache user's access string; Redis ACL syntax): the
# command categories the live state uses (reads, writes, scripts, transactions, key expiry and scans), on
# every key, and nothing dangerous or administrative (no FLUSHALL, CONFIG, KEYS, DEBUG, MONITOR, CLIENT,
# SHUTDOWN...). tests/integration/redis_auth runs every writer and reader of the live state as such a user.
CACHE_ACCESS_STRING = (
    "on ~* resetchannels -@all +@read +@write +@scripting +@transaction +@connection +@keyspace"
    " -@dangerous -@admin"
)


@dataclass(frozen=True)
class RedisCredentials:
    username: str | None
    password: str


_cache: dict[str, RedisCredentials] = {}
_lock = threading.Lock()


def parse_credentials(secret_id: str, text: str) -> RedisCredentials:
    if text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
            return RedisCredentials(data.get("username") or None, str(data["password"]))
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError):
            raise SettingsError(f"secret {secret_id}: JSON without a 'password' field") from None
    if not text.strip():
        raise SettingsError(f"secret {secret_id} is empty")
    return RedisCredentials(None, text.strip())


def credentials(secret_id: str, secrets_client: Any = None) -> RedisCredentials:
    """The secret's credentials, fetched on first use and kept for the process."""
    with _lock:
        found = _cache.get(secret_id)
        if found is None:
            if secrets_client is None:
                import boto3

                secrets_client = boto3.client("secretsmanager")
            text = secrets_client.get_secret_value(SecretId=secret_id)["SecretString"]
            found = _cache[secret_id] = parse_credentials(secret_id, text)
        return found


def forget_credentials() -> None:
    """Drop the kept credentials (tests; a process that knows the password changed)."""
    with _lock:
        _cache.clear()


def redis_from_url(
    url: str, *, secrets_client: Any = None, environ: Mapping[str, str] | None = None, **kwargs: Any
) -> redis.Redis:
    """`redis.Redis.from_url(url)`, with the user and password of REDIS_AUTH_SECRET_ARN when it is set."""
    environ = os.environ if environ is None else environ
    secret_id = environ.get(AUTH_SECRET_ENV, "")
    if secret_id:
        found = credentials(secret_id, secrets_client)
        kwargs.setdefault("password", found.password)
        if found.username:
            kwargs.setdefault("username", found.username)
    return redis.Redis.from_url(url, **kwargs)
