"""Secrets kept on this machine for local runs: `$PROPFIRM_HOME` (default `~/.propfirm/`), one file each.

A secret is created on first use (random, mode 0600) and shared by every process of the machine that
reads it: `propfirm token` and `propfirm api` (the token key), the API and the poller (the credentials key),
the writers of the audit log and `propfirm audit verify` (the audit seal key). In AWS none of these files
exists: each secret lives in Secrets Manager or KMS.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def propfirm_home() -> Path:
    return Path(os.environ.get("PROPFIRM_HOME") or Path.home() / ".propfirm").expanduser()


def secret_path(name: str) -> Path:
    return propfirm_home() / name


def kept_secret(name: str, make: Callable[[], str] = lambda: secrets.token_urlsafe(48)) -> str:
    """A random secret (`make()`) kept in $PROPFIRM_HOME/<name> (0600), created on first use; racing
    creators agree (the file is created exclusively, and a reader waits for its writer)."""
    home = propfirm_home()
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = home / name
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as f:
            f.write(make())
    for _ in range(50):  # another process may be between create and write
        value = path.read_text().strip()
        if value:
            return value
        time.sleep(0.01)
    raise RuntimeError(f"{path} is empty: delete it and try again")


def kept_key(variable: str, name: str) -> bytes:
    """A 32-byte key for a local run: `$variable` (base64), else a random one kept in $PROPFIRM_HOME/<name>."""
    import base64

    value = os.environ.get(variable)
    if value:
        return base64.b64decode(value)
    return base64.b64decode(kept_secret(name, lambda: base64.b64encode(secrets.token_bytes(32)).decode()))


def per_setting(names: tuple[str, ...], cache: dict[tuple[str | None, ...], T], build: Callable[[], T]) -> T:
    """`build()` once per setting of the environment variables `names` (a process keeps one per setting)."""
    setting = tuple(os.environ.get(name) for name in names)
    made = cache.get(setting)
    if made is None:
        made = cache[setting] = build()
    return made
