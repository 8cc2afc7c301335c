"""Notifications in the local stack: on when the environment names a channel (`TELEGRAM_BOT_TOKEN` and
`TELEGRAM_CHAT_ID`, `DISCORD_WEBHOOK_URL`, `NOTIFY_EMAIL_FROM`; `TELEGRAM_API_URL` points at a test server),
fed by their own rule's queue on the run's bus; email goes to SES in moto (the sender verified there)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from propfirm.local.lambda_driver import drive_once
from propfirm.notify.settings import NotifySettings
from propfirm.settings import load
from propfirm.store.uow import UnitOfWork


def notification_settings(database_url: str) -> NotifySettings | None:
    settings = load(NotifySettings, database_url=database_url)
    return settings if settings.any_channel() else None


class LocalNotifications:
    def __init__(self, *, sqs: Any, queue_url: str, settings: NotifySettings, ses: Any) -> None:
        from propfirm.notify import function

        if settings.notify_email_from:
            ses.verify_email_identity(EmailAddress=settings.notify_email_from)
        self._function = function
        self.notifier = function.build_notifier(settings, ses=ses)
        function.set_notifier(self.notifier)
        self.channels = sorted(self.notifier.channels)
        self.sqs = sqs
        self.queue_url = queue_url
        self.database_url = settings.database_url
        self.started = datetime.now(UTC)

    def drive(self) -> int:
        return drive_once(self.sqs, self.queue_url, self._function.lambda_handler, wait_seconds=1).received

    def counts(self) -> dict[str, int]:
        from propfirm.notify.service import counts

        with UnitOfWork(self.database_url) as uow:
            return counts(uow, self.started)

    def close(self) -> None:
        try:
            for _ in range(10):
                if drive_once(self.sqs, self.queue_url, self._function.lambda_handler, wait_seconds=0).received == 0:
                    break
        finally:
            self._function.set_notifier(None)
            self.notifier.close()
