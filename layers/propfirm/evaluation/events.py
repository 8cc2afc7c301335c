"""Domain events of the evaluator's decisions, and the EventBridge sender the outbox relay uses.

A failure, a passed phase and a funded account each become one event (source `propfirm`), recorded in
`domain_events` in the transaction that records the transition, and put on the bus after the commit by
the relay. Restrictions make no event. An account near the floor that binds it makes a `FloorWarning`
(once per rule and trading day), recorded with the routine save of the snapshot that showed it. A blind
interval's account found `breached` or `possible` makes a `GapFindingRecorded`, with its finding.
Delivery is at least once: a crash after the bus accepted an event and before the relay marked it sent
puts it again, with the same `event_id` in the detail (the transition's identity,
`{challenge_id}:{transition_no}:event`; a warning's `{challenge_id}:warning:{rule}:{day}`), by which
consumers recognise a repeat.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import orjson

from propfirm.domain import decisions as d
from propfirm.domain.decisions import Decision
from propfirm.domain.warnings import FloorWarning
from propfirm.queues.messages import GapAccount, GapReviewMessage
from propfirm.store.events import DomainEvent

SOURCE = "propfirm"
DETAIL_TYPES = {
    d.FAILED: "ChallengeFailed",
    d.PHASE_PASSED: "ChallengePassed",
    d.FUNDED: "ChallengeFunded",
}
MAX_ENTRIES = 10  # PutEvents takes at most ten entries a call


def event_id(challenge_id: int, transition_no: int) -> str:
    return f"{challenge_id}:{transition_no}:event"


def plan_event(
    *,
    challenge_id: int,
    transition_no: int,
    decision: Decision,
    from_phase: int,
    to_phase: int | None,
    program_id: str,
    program_version: int,
    digits: int = 2,
) -> DomainEvent | None:
    """The event a decision makes, or None (restrictions)."""
    detail_type = DETAIL_TYPES.get(decision.decision)
    if detail_type is None:
        return None
    ident = event_id(challenge_id, transition_no)
    return DomainEvent(
        event_id=ident,
        detail_type=detail_type,
        challenge_id=challenge_id,
        detail={
            "event_id": ident,
            "challenge_id": challenge_id,
            "transition_no": transition_no,
            "from_phase": from_phase,
            "to_phase": to_phase,
            "program": {"id": program_id, "version": program_version},
            **decision.to_json_dict(digits),  # time, login, server, decision, phase, reason, equity, limit
        },
    )


FLOOR_WARNING = "FloorWarning"


def warning_event(
    *, challenge_id: int, login: int, server: str, warning: FloorWarning, time: Any, digits: int = 2
) -> DomainEvent:
    """A trader's early warning (`propfirm.domain.warnings`): one per challenge, rule and trading day, by
    its id, so a redelivered snapshot or a second evaluator container makes no second one."""
    ident = f"{challenge_id}:warning:{warning.rule}:{warning.day.isoformat()}"
    quantum = Decimal(1).scaleb(-digits)
    return DomainEvent(
        event_id=ident,
        detail_type=FLOOR_WARNING,
        challenge_id=challenge_id,
        detail={
            "event_id": ident,
            "challenge_id": challenge_id,
            "login": login,
            "server": server,
            "time": time.isoformat(),
            "rule": warning.rule,
            "reason": warning.rule,  # as a failure names it (the templates' reason_words)
            "day": warning.day.isoformat(),
            "equity": str(warning.equity.quantize(quantum)),
            "floor": str(warning.level.quantize(quantum)),
            "headroom": str(warning.headroom.quantize(quantum)),
            "limit": str(warning.limit.quantize(quantum)),
            "used_pct": str(warning.used_pct),
        },
    )


GAP_FINDING = "GapFindingRecorded"
TO_REVIEW = ("breached", "possible")  # a gap finding's outcomes that make an event ("unchecked": the interval's)


def gap_finding_event(
    *, finding_id: int, review_id: int, challenge_id: int | None, account: GapAccount, message: GapReviewMessage,
    recorded_at: datetime,
) -> DomainEvent:
    """A blind interval's account that may have crossed its floor unseen (`propfirm.evaluation.gaps`), for the
    operators and the firm's systems: nothing is decided, a person confirms or dismisses it. Its id is the
    finding's, recorded once, so a redelivered review makes no second event."""
    ident = f"gap-finding:{finding_id}"
    return DomainEvent(
        event_id=ident,
        detail_type=GAP_FINDING,
        challenge_id=challenge_id,
        detail={
            "event_id": ident,
            "id": finding_id,
            "review_id": review_id,
            "challenge_id": challenge_id,
            "login": account.login,
            "server": message.server,
            "time": recorded_at.isoformat(),
            "outcome": account.outcome,
            "floor": None if account.floor is None else str(account.floor),
            "lowest": None if account.lowest is None else str(account.lowest),
            "at": None if account.at is None else account.at.isoformat(),
            "positions_held": len(account.held),
            "blind_from": message.blind_from.isoformat(),
            "blind_to": message.blind_to.isoformat(),
            "cause": message.cause,
        },
    )


@dataclass(frozen=True)
class EventEntry:
    id: int  # the domain_events row
    detail_type: str
    detail: dict[str, Any]


class EventBridgeSender:
    """PutEvents in calls of ten; returns {row id: error} for the entries the bus refused."""

    def __init__(self, client: Any, bus_name: str, source: str = SOURCE) -> None:
        self.client = client
        self.bus_name = bus_name
        self.source = source
        self.requests = 0

    def put(self, entries: Sequence[EventEntry]) -> dict[int, str]:
        refused: dict[int, str] = {}
        for start in range(0, len(entries), MAX_ENTRIES):
            chunk = entries[start : start + MAX_ENTRIES]
            response = self.client.put_events(
                Entries=[
                    {
                        "Source": self.source,
                        "DetailType": e.detail_type,
                        "Detail": orjson.dumps(e.detail).decode(),
                        "EventBusName": self.bus_name,
                    }
                    for e in chunk
                ]
            )
            self.requests += 1
            # the answer lists one result per entry, in order: an EventId, or an ErrorCode
            results = response.get("Entries") or []
            for i, entry in enumerate(chunk):
                result = results[i] if i < len(results) else {"ErrorCode": "NoResult"}
                if result.get("ErrorCode") or not result.get("EventId"):
                    refused[entry.id] = f"{result.get('ErrorCode')}: {result.get('ErrorMessage', '')}"
        return refused
