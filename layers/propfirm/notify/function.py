"""The notifications Lambda: the bus's events from their rule's queue (as the webhooks'), and the
CloudWatch alarms from the alarm topic (SNS), each told to the people `plan` names on the channels that
are on. A send that failed fails the batch, which comes back;
what was sent is not sent again (the rows are unique by event and recipient)."""

from __future__ import annotations

from typing import Any

import orjson

from propfirm.notify.alarms import from_sns_records, is_sns_record
from propfirm.notify.channels import Channel, Discord, Email, Telegram
from propfirm.notify.service import Notifier, Outcome
from propfirm.notify.settings import NotifySettings
from propfirm.observability import function_logger
from propfirm.settings import load
from propfirm.store.db import make_pool
from propfirm.store.uow import UnitOfWork
from propfirm.webhooks.messages import from_sqs_records

logger = function_logger("notifications")

_notifier: Notifier | None = None
CHANNEL_KEYS = ("telegram_bot_token", "telegram_chat_id", "discord_webhook_url")


class NotificationsFailed(Exception):
    pass


def build_notifier(settings: NotifySettings, ses: Any = None) -> Notifier:
    channels: dict[str, Channel] = {}
    operators: dict[str, str] = {}
    if settings.telegram_bot_token and settings.telegram_chat_id:
        channels["telegram"] = Telegram(settings.telegram_bot_token, settings.telegram_api_url)
        operators["telegram"] = settings.telegram_chat_id
    if settings.discord_webhook_url:
        channels["discord"] = Discord()
        operators["discord"] = settings.discord_webhook_url
    if settings.notify_email_from:
        if ses is None:
            import boto3  # here, not at import

            ses = boto3.client("ses", region_name=settings.aws_region)
        channels["email"] = Email(ses, settings.notify_email_from)
    pool = make_pool(settings.database_url, min_size=1, max_size=settings.db_pool_max)
    return Notifier(
        lambda: UnitOfWork(pool),
        channels,
        operators,
        settings.notify_language,
        settings.notify_per_minute,
        on_close=pool.close,
    )


def channel_secret(arn: str | None, secrets: Any = None) -> dict[str, str]:
    """The channels' settings an operator keeps in Secrets Manager (`NOTIFY_CHANNELS_SECRET_ARN`: a JSON
    object with `telegram_bot_token`, `telegram_chat_id`, `discord_webhook_url`): never in the template."""
    if not arn:
        return {}
    if secrets is None:
        import boto3

        secrets = boto3.client("secretsmanager")
    raw = secrets.get_secret_value(SecretId=arn)["SecretString"]
    values = orjson.loads(raw) if raw.strip() else {}
    return {k: str(v) for k, v in values.items() if k in CHANNEL_KEYS and v}


def notifier() -> Notifier:
    global _notifier
    if _notifier is None:
        import os

        _notifier = build_notifier(load(NotifySettings, **channel_secret(os.environ.get("NOTIFY_CHANNELS_SECRET_ARN"))))
    return _notifier


def set_notifier(value: Notifier | None) -> None:
    global _notifier
    _notifier = value


def _malformed(reason: str, body: str, message_id: str | None) -> None:
    logger.error("malformed event dropped", extra={"reason": reason, "body": body, "message_id": message_id})


def handle_events(event: dict[str, Any]) -> dict[str, Any]:
    """The bus's events (SQS records from their rule's queue) or the alarm topic's notifications (SNS)."""
    records = event.get("Records", [])
    alarms = [r for r in records if is_sns_record(r)]
    messages = from_sns_records(alarms, _malformed) if alarms else []
    if len(alarms) < len(records):
        messages += from_sqs_records({"Records": [r for r in records if not is_sns_record(r)]}, _malformed)
    outcome: Outcome = notifier().handle(messages)
    report = {"sent": outcome.sent, "held": outcome.held, "failed": outcome.failed, "repeats": outcome.repeats}
    if outcome.failed:
        logger.warning("notifications failed", extra={"errors": outcome.errors[:20], **report})
        raise NotificationsFailed(f"{outcome.failed} notifications failed: {outcome.errors[:3]}")
    return report


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], lambda_context: Any) -> dict[str, Any]:
    return handle_events(event)
