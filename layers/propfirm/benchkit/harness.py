"""What the benchmarks share: free ports, child processes (moto's server, the simulator, a delay proxy),
temporary databases. Each runs apart from the benchmark's process, so that its CPU is not counted.

Part of the package (`propfirm.benchkit`), so that a benchmark imports it the same way whether run by
`propfirm bench` or directly (`python bench/bench_poller.py`), and spawned children find it too.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
from psycopg import sql

MANAGER_LOGIN, MANAGER_PASSWORD = 1000, "Manager#2024"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@contextlib.contextmanager
def child(args: list[str], port: int) -> Iterator[None]:
    """A child process, ready once something listens on `port`; stopped at the end."""
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(port)
        yield
    finally:
        _stop(process)


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    """moto's server (SQS, EventBridge, ...): its endpoint URL."""
    port = free_port()
    with child([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], port):
        yield f"http://127.0.0.1:{port}"


@contextlib.contextmanager
def delay_proxy(host: str, port: int, rtt_ms: float) -> Iterator[int]:
    """A TCP proxy in front of host:port adding rtt_ms/2 each way: the port to connect to."""
    listen = free_port()
    args = [sys.executable, "-m", "propfirm.benchkit.delay_proxy", str(listen), host, str(port), str(rtt_ms / 2000)]
    with child(args, listen):
        yield listen


@contextlib.contextmanager
def simulator_process(
    accounts: int, *, speed: float = 0.0, seed: int = 1, tls: bool = False
) -> Iterator[tuple[str, str | None, float]]:
    """`propfirm sim` serving `accounts` accounts: (its URL, its certificate when TLS, seconds to start)."""
    port = free_port()
    cert_dir = tempfile.mkdtemp(prefix="bench-sim-") if tls else None
    args = [sys.executable, "-m", "propfirm.cli", "sim", "--port", str(port), "--accounts", str(accounts),
            "--speed", str(speed), "--seed", str(seed),
            "--manager-login", str(MANAGER_LOGIN), "--manager-password", MANAGER_PASSWORD]
    args += ["--cert-dir", cert_dir] if cert_dir else ["--http"]
    started = time.perf_counter()
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # the line with the URL: the server is up
        if "serving" not in line:
            raise RuntimeError(f"the simulator did not start: {line!r}")
        scheme = "https" if tls else "http"
        cert = str(Path(cert_dir) / "cert.pem") if cert_dir else None
        yield f"{scheme}://127.0.0.1:{port}", cert, time.perf_counter() - started
    finally:
        _stop(process)


def temporary_database(admin_url: str, prefix: str = "propfirm_bench") -> tuple[str, str]:
    """A new, empty database next to `admin_url`'s: (its name, its URL). The caller drops it."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    info = psycopg.conninfo.conninfo_to_dict(admin_url)
    info["dbname"] = name
    return name, psycopg.conninfo.make_conninfo("", **info)


def with_host(url: str, port: int) -> str:
    """A PostgreSQL URL pointed at 127.0.0.1:port (a proxy in front of the server)."""
    info = psycopg.conninfo.conninfo_to_dict(url)
    info.update(host="127.0.0.1", port=str(port))
    return psycopg.conninfo.make_conninfo("", **info)
