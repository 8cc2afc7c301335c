"""Notifications recorded once, rate limited, sent.

For each message and target: a row (unique by event, channel and recipient: a repeat of the event tells
nobody twice; a row that failed is tried again). At most `per_minute` messages a minute go to one
recipient on one channel; the rest are `held`, and the next message sent there begins with how many were
held back, so a storm of failures is one line in the operators' chat, not a flood.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from propfirm.notify.channels import Channel, ChannelError
from propfirm.notify.plan import Target, targets
from propfirm.notify.templates import render
from propfirm.store.uow import UnitOfWork
from propfirm.webhooks.messages import Message

WINDOW = timedelta(minutes=1)


@dataclass
class Outcome:
    sent: int = 0
    held: int = 0
    failed: int = 0
    repeats: int = 0
    errors: list[str] = field(default_factory=list)


class Notifier:
    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        channels: Mapping[str, Channel],
        operators: Mapping[str, str],
        language: str = "en",
        per_minute: int = 20,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        on_close: Callable[[], object] | None = None,
    ) -> None:
        self.uow_factory = uow_factory
        self.on_close = on_close  # releases what the builder opened (its connection pool)
        self.channels = dict(channels)
        self.operators = {c: r for c, r in operators.items() if c in self.channels}
        self.language = language
        self.per_minute = per_minute
        self.clock = clock

    def close(self) -> None:
        if self.on_close is not None:
            self.on_close()

    def handle(self, messages: Sequence[Message]) -> Outcome:
        outcome = Outcome()
        emails = self._trader_emails({m.challenge_id for m in messages}) if "email" in self.channels else {}
        for message in messages:
            payload = message.payload()
            data = payload.get("data") or {}
            text = render(message.event_type, data, self.language)
            if text is None:
                continue
            email = emails.get(message.challenge_id) if message.challenge_id is not None else None
            for target in targets(message.event_type, email, self.operators):
                self._notify(message, target, text, outcome)
        return outcome

    def _trader_emails(self, challenge_ids: set[int | None]) -> dict[int, str]:
        """The traders' addresses of a batch's challenges, in one statement."""
        wanted = [cid for cid in challenge_ids if cid is not None]
        if not wanted:
            return {}
        with self.uow_factory() as uow:
            rows = uow.fetchall(
                "SELECT c.id, t.email FROM challenges c JOIN traders t ON t.id = c.trader_id WHERE c.id = ANY(%s)",
                (wanted,),
            )
        return {cid: email for cid, email in rows}

    def _notify(self, message: Message, target: Target, text: str, outcome: Outcome) -> None:
        now = self.clock()
        subject = f"propfirm: {message.event_type}" + (
            f" (challenge {message.challenge_id})" if message.challenge_id else ""
        )
        with self.uow_factory() as uow:
            row = uow.fetchone(
                "INSERT INTO notifications (message_id, event_type, challenge_id, channel, recipient, subject, body,"
                " status, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, 'pending', %s)"
                " ON CONFLICT (message_id, channel, recipient) DO UPDATE SET status = 'pending', error = NULL"
                " WHERE notifications.status = 'failed' RETURNING id",
                (
                    message.message_id,
                    message.event_type,
                    message.challenge_id,
                    target.channel,
                    target.recipient,
                    subject,
                    text,
                    now,
                ),
            )
            if row is None:
                outcome.repeats += 1
                return
            (row_id,) = row
            (recent,) = uow.fetchone(
                "SELECT count(*) FROM notifications WHERE channel = %s AND recipient = %s AND status = 'sent'"
                " AND sent_at > %s",
                (target.channel, target.recipient, now - WINDOW),
            )
            if recent >= self.per_minute:
                uow.execute("UPDATE notifications SET status = 'held' WHERE id = %s", (row_id,))
                uow.commit()
                outcome.held += 1
                return
            (held,) = uow.fetchone(
                "SELECT count(*) FROM notifications WHERE channel = %s AND recipient = %s AND status = 'held'"
                " AND created_at >= coalesce((SELECT max(sent_at) FROM notifications WHERE channel = %s"
                " AND recipient = %s AND status = 'sent'), '-infinity')",
                (target.channel, target.recipient, target.channel, target.recipient),
            )
            uow.commit()
        body = (f"({held} more held back by the rate limit)\n" if held else "") + text
        try:
            self.channels[target.channel].send(target.recipient, subject, body)
        except ChannelError as exc:
            status, error = "failed", str(exc)[:500]
            outcome.failed += 1
            outcome.errors.append(str(exc))
        else:
            status, error = "sent", ""
            outcome.sent += 1
        with self.uow_factory() as uow:
            uow.execute(
                "UPDATE notifications SET status = %s, error = %s, sent_at = %s WHERE id = %s",
                (status, error or None, self.clock() if status == "sent" else None, row_id),
            )
            uow.commit()


def counts(uow: UnitOfWork, since: datetime | None = None) -> dict[str, int]:
    rows = uow.fetchall(
        "SELECT status, count(*) FROM notifications WHERE %s::timestamptz IS NULL OR created_at >= %s GROUP BY status",
        (since, since),
    )
    found = dict(rows)
    return {s: int(found.get(s, 0)) for s in ("sent", "held", "failed")}
