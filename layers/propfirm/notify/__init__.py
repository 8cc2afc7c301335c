"""Notifications: the firm's events told to people, never in the evaluation path.

- `templates`: each event type's message, per language;
- `plan`: who hears of an event (the trader by email; the operators' Telegram chat and Discord channel);
- `channels`: Telegram's Bot API, a Discord webhook, email through SES;
- `service`: each notification recorded once (by event and recipient), rate limited per channel and
  recipient (a storm becomes one line saying how many were held back), sent, its outcome kept;
- `function`: the Lambda on the bus's events.

Each channel is on when its settings are given, off otherwise.
"""
