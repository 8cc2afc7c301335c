"""A TCP proxy that delays each direction by a fixed time: a network round trip on loopback.

    python -m propfirm.benchkit.delay_proxy LISTEN_PORT HOST PORT ONE_WAY_SECONDS

Run as a child process by the benchmarks (`harness.delay_proxy`), so that its threads' CPU is not theirs.
"""

from __future__ import annotations

import collections
import socket
import sys
import threading
import time


def pump(src: socket.socket, dst: socket.socket, delay: float) -> None:
    """Forward src to dst, each chunk sent `delay` seconds after it arrived."""
    queue: collections.deque[tuple[float, bytes]] = collections.deque()
    ready = threading.Condition()

    def receive() -> None:
        while True:
            data = src.recv(262144)
            with ready:
                queue.append((time.perf_counter() + delay, data))
                ready.notify()
            if not data:
                return

    def send() -> None:
        while True:
            with ready:
                while not queue:
                    ready.wait()
                due, data = queue.popleft()
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            if not data:
                try:
                    dst.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                return
            dst.sendall(data)

    threading.Thread(target=receive, daemon=True).start()
    threading.Thread(target=send, daemon=True).start()


def main(argv: list[str]) -> None:
    listen_port, host, port, delay = int(argv[0]), argv[1], int(argv[2]), float(argv[3])
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", listen_port))
    server.listen(64)
    while True:
        client, _ = server.accept()
        upstream = socket.create_connection((host, port))
        for s in (client, upstream):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        pump(client, upstream, delay)
        pump(upstream, client, delay)


if __name__ == "__main__":
    main(sys.argv[1:])
