"""The dispatcher: messages recorded per subscribed endpoint, then POSTed, retried, or dead-lettered.

    dispatcher = Dispatcher(uow_factory, HttpTransport())
    dispatcher.accept(messages)     # one delivery per message and endpoint that wants its type
    dispatcher.deliver_due()        # POST what is due; a failure is due again later, per RETRY_SCHEDULE

A 2xx answer delivers; anything else (another status, a time-out, a refused connection) is a failed
attempt, tried again after the schedule's next wait, and after the last one the delivery is on the
dead-letter list (`failed`) until an admin replays it. Every attempt is signed afresh (a new
`webhook-timestamp`, which receivers hold to a few minutes of their clock) over the same body and id.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

import httpx

from propfirm.store.uow import UnitOfWork
from propfirm.store.vault import Vault, VaultError, default_vault
from propfirm.store.webhooks import Delivery, Endpoint, WebhookStore
from propfirm.webhooks import signing
from propfirm.webhooks.messages import Message

# the waits before the second, third, … attempt: the Standard Webhooks specification's example schedule
# (immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h); after the last, the dead-letter list
RETRY_SCHEDULE: tuple[float, ...] = (5, 300, 1800, 7200, 18000, 36000, 36000)
LEASE = timedelta(seconds=60)  # longer than a POST's time-out times a batch


class Transport(Protocol):
    def post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        """The receiver's HTTP status; raises TransportError when there is no answer."""
        ...


class TransportError(Exception):
    pass


class HttpTransport:
    """httpx, no redirects followed (a receiver that moved must be updated, not guessed)."""

    def __init__(self, timeout: float = 5.0, user_agent: str = "propfirm-webhooks/1") -> None:
        self.timeout = timeout
        self.client = httpx.Client(timeout=timeout, follow_redirects=False, headers={"user-agent": user_agent})

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        try:
            return self.client.post(url, content=body, headers=headers).status_code
        except httpx.HTTPError as exc:
            raise TransportError(f"{type(exc).__name__}: {exc}") from exc

    def close(self) -> None:
        self.client.close()


@dataclass
class Tally:
    recorded: int = 0
    repeats: int = 0
    delivered: int = 0
    retrying: int = 0
    dead: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        self.recorded += other.recorded
        self.repeats += other.repeats
        self.delivered += other.delivered
        self.retrying += other.retrying
        self.dead += other.dead
        self.errors.extend(other.errors)


def next_attempt(attempts_made: int, now: datetime, schedule: Sequence[float]) -> datetime | None:
    """When to try again after `attempts_made` failed attempts; None: that was the last."""
    if attempts_made > len(schedule):
        return None
    return now + timedelta(seconds=schedule[attempts_made - 1])


class Dispatcher:
    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        transport: Transport,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        schedule: Sequence[float] = RETRY_SCHEDULE,
        batch: int = 50,
        vault: Vault | None = None,
    ) -> None:
        self.uow_factory = uow_factory
        self._vault = vault  # opens the signing secrets (the process's, from the environment, unless given)
        self.transport = transport
        self.clock = clock  # the wall clock: receivers check webhook-timestamp against theirs
        self.schedule = tuple(schedule)
        self.batch = batch

    def accept(self, messages: Sequence[Message]) -> Tally:
        """Record one delivery per message and subscribed endpoint (a repeat of a message adds none)."""
        tally = Tally()
        if not messages:
            return tally
        now = self.clock()
        with self.uow_factory() as uow:
            store = WebhookStore(uow)
            endpoints = store.endpoints(enabled_only=True)
            for message in messages:
                for endpoint in endpoints:
                    if not endpoint.wants(message.event_type, message.server):
                        continue
                    if store.record(endpoint.id, message, now):
                        tally.recorded += 1
                    else:
                        tally.repeats += 1
            uow.commit()
        return tally

    def deliver_due(self, rounds: int = 20, seconds: float | None = None) -> Tally:
        """POST every due delivery, a batch at a time, for at most `rounds` batches and, when given, about
        `seconds` (a Lambda's remaining time: a POST is not started when it could outlast it; what was
        claimed and not sent is tried again when its lease runs out)."""
        deadline = None if seconds is None else time.monotonic() + seconds
        tally = Tally()
        for _ in range(rounds):
            done = self._deliver_batch(deadline)
            tally.add(done)
            if done.delivered + done.retrying + done.dead < self.batch:
                break
        return tally

    def _time_left(self, deadline: float | None) -> bool:
        timeout = getattr(self.transport, "timeout", 5.0)
        return deadline is None or time.monotonic() + timeout < deadline

    def _deliver_batch(self, deadline: float | None) -> Tally:
        tally = Tally()
        now = self.clock()
        if not self._time_left(deadline):
            return tally
        with self.uow_factory() as uow:
            store = WebhookStore(uow)
            claimed = store.claim_due(now, self.batch, LEASE)
            endpoints = {e.id: e for e in store.endpoints()} if claimed else {}
            uow.commit()
        for delivery in claimed:  # outside any transaction: a slow receiver holds no lock
            if not self._time_left(deadline):
                break
            endpoint = endpoints.get(delivery.endpoint_id)
            if endpoint is None:
                continue  # deleted meanwhile: its deliveries went with it
            status, error = self._post(endpoint, delivery)
            finished = self.clock()
            with self.uow_factory() as uow:
                store = WebhookStore(uow)
                if error is None:
                    store.delivered(delivery.id, status or 0, finished)
                    tally.delivered += 1
                else:
                    when = next_attempt(delivery.attempts + 1, finished, self.schedule)
                    store.attempt_failed(delivery.id, status, error, when)
                    if when is None:
                        tally.dead += 1
                    else:
                        tally.retrying += 1
                    tally.errors.append(f"{endpoint.url}: {error}")
                uow.commit()
        return tally

    def _post(self, endpoint: Endpoint, delivery: Delivery) -> tuple[int | None, str | None]:
        """(status, None) for a 2xx answer; (status or None, why) otherwise."""
        body = delivery.body.encode()
        now = self.clock()
        if self._vault is None:
            self._vault = default_vault()
        try:
            secrets = endpoint.signing_secrets(now, self._vault.open)
        except VaultError as exc:  # sealed with another key: a failed attempt with its reason, nothing sent
            return None, f"the endpoint's secret does not open here: {exc}"
        headers = signing.headers(secrets, delivery.message_id, int(now.timestamp()), body)
        try:
            status = self.transport.post(endpoint.url, body, headers)
        except TransportError as exc:
            return None, str(exc)
        if 200 <= status < 300:
            return status, None
        return status, f"HTTP {status}"
