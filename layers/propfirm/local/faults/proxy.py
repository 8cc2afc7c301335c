"""A fault-injecting TCP proxy, as Toxiproxy does it: clients connect to it, it connects to the real server
and copies bytes both ways, until told to break things.

- `cut()`: every open connection reset at once (clients read a reset or an EOF mid-query);
- `outage(seconds)`: cut, and connections refused (the listening socket closed) for that long, then the
  same port again, so the clients' reconnection logic is what recovers;
- `latency`: seconds added before every chunk it forwards (both ways).

It runs an asyncio loop in a thread of its own; the control methods are safe to call from any thread.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Coroutine
from typing import Any

CHUNK = 65_536


class FaultProxy:
    def __init__(self, upstream_host: str, upstream_port: int, name: str, host: str = "127.0.0.1") -> None:
        self.upstream = (upstream_host, upstream_port)
        self.name = name
        self.host = host
        self.port = 0
        self.latency = 0.0
        self.connections = 0  # accepted over the proxy's life
        self.cuts = 0  # connections reset by cut()
        self.refusing = False
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()
        self._thread = threading.Thread(target=self._loop.run_forever, name=f"fault-proxy-{name}", daemon=True)

    # -- life ----------------------------------------------------------------------------------------
    def start(self) -> FaultProxy:
        self._thread.start()
        self._call(self._listen())
        return self

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        self._call(self._close_all(listening=True))
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    def conninfo_for(self, conninfo: str) -> str:
        """A PostgreSQL connection string (URL or key=value) pointed at the proxy instead."""
        from psycopg.conninfo import conninfo_to_dict, make_conninfo

        params = conninfo_to_dict(conninfo)
        params.update(host=self.host, port=str(self.port))
        params.pop("hostaddr", None)
        return make_conninfo("", **params)

    def open_connections(self) -> int:
        """Client connections open through the proxy now."""
        return len(self._open) // 2

    # -- faults --------------------------------------------------------------------------------------
    def cut(self) -> int:
        """Reset every open connection; returns how many."""
        return int(self._call(self._close_all(listening=False)))

    def outage(self, seconds: float) -> None:
        """Cut every connection and refuse new ones for `seconds` (blocks that long), then listen again."""
        self.refusing = True
        self._call(self._close_all(listening=True))
        time.sleep(seconds)
        self._call(self._listen())
        self.refusing = False

    # -- the loop's side -----------------------------------------------------------------------------
    def _call(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=30)

    async def _listen(self) -> None:
        for attempt in range(50):  # the same port again after an outage: wait for the kernel to free it
            try:
                self._server = await asyncio.start_server(
                    self._serve, self.host, self.port, reuse_address=True
                )
                break
            except OSError:
                if attempt == 49 or not self.port:
                    raise
                await asyncio.sleep(0.1)
        assert self._server is not None
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def _close_all(self, listening: bool) -> int:
        if listening and self._server is not None:
            self._server.close()
            self._server = None
        writers = list(self._open)
        for writer in writers:
            transport = writer.transport
            sock = transport.get_extra_info("socket")
            if sock is not None:  # RST, not FIN: what a crashed server or a broken network looks like
                try:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                except OSError:
                    pass
            transport.abort()
        self._open.difference_update(writers)
        self.cuts += len(writers) // 2  # each connection: the client's side and the server's
        return len(writers) // 2

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.refusing:
            writer.transport.abort()
            return
        self.connections += 1
        try:
            host, port = self.upstream
            if host.startswith("/"):  # a Unix socket's folder, as PostgreSQL names it
                up_reader, up_writer = await asyncio.open_unix_connection(f"{host}/.s.PGSQL.{port}")
            else:
                up_reader, up_writer = await asyncio.open_connection(host, port)
        except OSError:
            writer.transport.abort()
            return
        self._open.update((writer, up_writer))
        try:
            await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        finally:
            for w in (writer, up_writer):
                self._open.discard(w)
                w.transport.abort()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                data = await reader.read(CHUNK)
                if not data:
                    break
                if self.latency:
                    await asyncio.sleep(self.latency)
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.transport.abort()


def postgres_proxy(conninfo: str) -> FaultProxy:
    """A started proxy in front of the PostgreSQL server a connection string names (TCP or Unix socket)."""
    from psycopg.conninfo import conninfo_to_dict

    params = conninfo_to_dict(conninfo)
    host = str(params.get("hostaddr") or params.get("host") or "/var/run/postgresql").split(",")[0]
    port = int(str(params.get("port") or 5432).split(",")[0])
    return FaultProxy(host, port, "postgres").start()
