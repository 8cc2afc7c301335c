"""Who hears of an event: the trader (by email) of everything about their challenge and payouts (an early
warning near a floor included); the
operators (Telegram chat, Discord channel) of what needs them: payouts waiting for approval, escalated or
failed, accounts funded, a blind interval's account that may have crossed its floor unseen, and every
CloudWatch alarm's change (a stale poller, a blind interval, ...)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from propfirm.webhooks.messages import EVENT_TYPES

OPERATOR_EVENTS = frozenset(
    {"PayoutRequested", "PayoutEscalated", "PayoutFailed", "ChallengeFunded", "OperatorAlarm", "GapFindingRecorded"}
)
# every event of the bus about a trader's challenge or payouts, but the escalation and a blind interval's
# finding (the operators' alone: a possible breach nobody has decided yet is not told to the trader)
TRADER_EVENTS = frozenset(EVENT_TYPES) - {"PayoutEscalated", "GapFindingRecorded"}


@dataclass(frozen=True)
class Target:
    channel: str  # telegram | discord | email
    recipient: str
    audience: str  # trader | operators


def targets(event_type: str, trader_email: str | None, operators: Mapping[str, str]) -> list[Target]:
    """`operators`: channel -> recipient for the channels that are on (telegram: chat id, discord: URL);
    email reaches the trader when the email channel is on (the caller passes None otherwise)."""
    found = []
    if event_type in TRADER_EVENTS and trader_email:
        found.append(Target("email", trader_email, "trader"))
    if event_type in OPERATOR_EVENTS:
        found += [Target(channel, recipient, "operators") for channel, recipient in sorted(operators.items())]
    return found
