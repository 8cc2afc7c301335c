"""Where notifications go: Telegram's Bot API (`sendMessage`), a Discord webhook, email through SES.

Each `send` raises ChannelError with the reason when the service did not take the message."""

from __future__ import annotations

from typing import Any, Protocol

import httpx


class ChannelError(Exception):
    pass


class Channel(Protocol):
    name: str

    def send(self, recipient: str, subject: str, text: str) -> None: ...


class Telegram:
    """A bot's messages to a chat (the operators' group: its chat id is the recipient)."""

    name = "telegram"

    def __init__(
        self, token: str, api_url: str = "https://api.telegram.org", client: httpx.Client | None = None
    ) -> None:
        self.url = f"{api_url.rstrip('/')}/bot{token}/sendMessage"
        self.client = client or httpx.Client(timeout=5.0)

    def send(self, recipient: str, subject: str, text: str) -> None:
        try:
            response = self.client.post(self.url, json={"chat_id": recipient, "text": f"{subject}\n{text}"[:4096]})
        except httpx.HTTPError as exc:
            raise ChannelError(f"telegram: {type(exc).__name__}: {exc}") from exc
        body = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
        if response.status_code != 200 or not body.get("ok"):
            raise ChannelError(f"telegram: HTTP {response.status_code} {body.get('description', '')}".strip())


class Discord:
    """A channel's webhook (the recipient is the webhook's URL)."""

    name = "discord"

    def __init__(self, client: httpx.Client | None = None) -> None:
        self.client = client or httpx.Client(timeout=5.0)

    def send(self, recipient: str, subject: str, text: str) -> None:
        try:
            response = self.client.post(recipient, json={"content": f"**{subject}**\n{text}"[:2000]})
        except httpx.HTTPError as exc:
            raise ChannelError(f"discord: {type(exc).__name__}: {exc}") from exc
        if response.status_code not in (200, 204):
            raise ChannelError(f"discord: HTTP {response.status_code}")


class Email:
    """SES `SendEmail` from a verified sender (the recipient is the trader's address)."""

    name = "email"

    def __init__(self, ses: Any, sender: str) -> None:
        self.ses = ses
        self.sender = sender

    def send(self, recipient: str, subject: str, text: str) -> None:
        try:
            self.ses.send_email(
                Source=self.sender,
                Destination={"ToAddresses": [recipient]},
                Message={
                    "Subject": {"Data": subject, "Charset": "UTF-8"},
                    "Body": {"Text": {"Data": text, "Charset": "UTF-8"}},
                },
            )
        except Exception as exc:  # noqa: BLE001 - botocore's errors: the reason is kept on the row
            raise ChannelError(f"email: {type(exc).__name__}: {exc}") from exc
