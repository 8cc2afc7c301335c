"""The notifications' settings, from the environment. A channel is on when its settings are given."""

from __future__ import annotations

from pydantic import Field

from propfirm.settings import DatabaseSettings


class NotifySettings(DatabaseSettings):
    telegram_bot_token: str | None = Field(None, min_length=10, description="the bot's token (Telegram's BotFather)")
    telegram_chat_id: str | None = Field(None, min_length=1, description="the operators' chat")
    telegram_api_url: str = Field("https://api.telegram.org", description="Telegram's Bot API (a test server locally)")
    discord_webhook_url: str | None = Field(None, min_length=10, description="the operators' Discord channel webhook")
    notify_email_from: str | None = Field(None, min_length=3, description="SES's verified sender: traders by email")
    notify_language: str = Field(
        "en", min_length=2, max_length=5, description="the messages' language (templates.yaml)"
    )
    notify_per_minute: int = Field(20, ge=1, le=1000, description="messages a minute to one recipient on one channel")
    aws_region: str = Field("us-east-1", description="AWS region (SES)")
    db_pool_max: int = Field(2, ge=1, le=20, description="PostgreSQL connections per container")

    def any_channel(self) -> bool:
        return bool(
            (self.telegram_bot_token and self.telegram_chat_id) or self.discord_webhook_url or self.notify_email_from
        )
