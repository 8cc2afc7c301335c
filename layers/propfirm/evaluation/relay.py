"""The outbox relay: sends due commands to the command queue, then marks them sent.

Rows are taken FOR UPDATE SKIP LOCKED (two relays never send the same row at once) and marked sent only
after SQS accepted them; a crash in between leaves them pending, and the next run sends them again
with the same deduplication id (the command id), which SQS and the poller's ledger both absorb.
A scheduled command (`not_before`) waits until its time; every run sends what has come due.

Domain events (`domain_events`, written with the transitions) go the same way to EventBridge through
`run_events`: taken FOR UPDATE SKIP LOCKED, put, and marked sent only once the bus accepted them; an entry
the bus refused stays pending with its error. Without a bus configured, events stay pending.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Protocol

import orjson

from propfirm.evaluation.events import EventEntry
from propfirm.queues.sqs import Outgoing
from propfirm.store.uow import UnitOfWork


class CommandSender(Protocol):
    def send(self, messages: Sequence[Outgoing]) -> int: ...


class EventSender(Protocol):
    def put(self, entries: Sequence[EventEntry]) -> dict[int, str]: ...


def command_group(server: str, login: int | None, command_id: str) -> str:
    # the command queue's MessageGroupId: one account's commands in order; a creation by its own id
    return f"{server}:{login}" if login is not None else command_id


class OutboxRelay:
    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        sender: CommandSender,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        batch: int = 200,
        events: EventSender | None = None,
    ) -> None:
        self.uow_factory = uow_factory
        self.sender = sender
        self.clock = clock
        self.batch = batch
        self.events = events

    def run(self, now: datetime | None = None) -> int:
        """Send every due command; returns how many were sent."""
        now = now or self.clock()
        with self.uow_factory().autocommitting() as uow:
            if not uow.outbox.any_due(now):  # the common case: one round trip, no transaction
                return 0
        sent = 0
        while True:
            with self.uow_factory() as uow:
                due = uow.outbox.due(now, self.batch)
                if not due:
                    return sent
                self.sender.send(
                    [
                        Outgoing(
                            body=orjson.dumps(row.command).decode(),
                            group_id=command_group(row.server, row.login, row.command_id),
                            dedup_id=row.command_id,
                        )
                        for row in due
                    ]
                )
                uow.outbox.mark_sent([row.id for row in due], now)
                uow.commit()
            sent += len(due)
            if len(due) < self.batch:
                return sent

    def run_events(self, now: datetime | None = None) -> int:
        """Put every pending domain event on the bus; returns how many the bus accepted."""
        if self.events is None:
            return 0
        now = now or self.clock()
        with self.uow_factory().autocommitting() as uow:
            if not uow.events.any_due():
                return 0
        accepted = 0
        while True:
            with self.uow_factory() as uow:
                due = uow.events.due(self.batch)
                if not due:
                    return accepted
                refused = self.events.put([EventEntry(e.id, e.detail_type, e.detail) for e in due])
                uow.events.mark_sent([e.id for e in due if e.id not in refused], now)
                uow.events.mark_failed(refused)
                uow.commit()
            accepted += len(due) - len(refused)
            if refused or len(due) < self.batch:
                return accepted  # refused entries wait for the next run rather than spin here
