"""The command inbox: a background thread long-polls the command queue and hands messages to the loop.

MT5 calls stay on the loop's thread (a gateway is one session used from one thread), so the thread only
receives; it asks for more only when the loop has taken everything, which keeps received messages well
inside their visibility timeout. On stop, messages not yet taken are made visible again at once.
"""

from __future__ import annotations

import queue
import threading

from propfirm.poller.observability import logger
from propfirm.queues.sqs import Received, SqsConsumer


class CommandInbox:
    def __init__(self, consumer: SqsConsumer, wait_seconds: int = 10) -> None:
        self.consumer = consumer
        self.wait_seconds = wait_seconds
        self._queue: queue.Queue[Received] = queue.Queue()
        self._stopping = threading.Event()
        self._taken = threading.Event()
        self._taken.set()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="poller-command-inbox", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._taken.wait(timeout=1.0)
            if self._stopping.is_set() or not self._queue.empty():
                continue
            try:
                messages = self.consumer.receive(max_messages=10, wait_seconds=self.wait_seconds)
            except Exception as exc:  # noqa: BLE001 - a receive failure must not kill the thread
                logger.warning("command queue receive failed", error=str(exc))
                self._stopping.wait(2.0)
                continue
            if messages:
                self._taken.clear()
                for message in messages:
                    self._queue.put(message)

    def take(self) -> Received | None:
        try:
            message = self._queue.get_nowait()
        except queue.Empty:
            self._taken.set()
            return None
        if self._queue.empty():
            self._taken.set()
        return message

    def stop(self, join_seconds: float = 1.0) -> None:
        self._stopping.set()
        self._taken.set()
        if self._thread is not None:
            self._thread.join(timeout=join_seconds)
        while True:
            try:
                message = self._queue.get_nowait()
            except queue.Empty:
                break
            try:
                self.consumer.release(message)
            except Exception as exc:  # noqa: BLE001
                logger.warning("could not release a command message", error=str(exc))
