"""Command records in Redis, so a command id is carried out on MT5 at most once (a contract).

`cmd:{<command_id>}` holds `{"status": "started", "time": ISO}` while a command runs and
`{"status": "done", "time": ISO, "result": {...command result message...}}` after; records live 30 days
(longer than any queue retention, so a redelivered command always finds its record). A command found
`done` is not done again (its stored result is reported again); one found `started` was interrupted, so
the poller checks MT5's state before acting (see `propfirm.poller.commands`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import orjson
import redis

from propfirm.live.counting import RoundTrips
from propfirm.live.keys import LiveKeys
from propfirm.live.records import iso_utc

RECORD_TTL_SECONDS = 30 * 86_400


@dataclass(frozen=True, slots=True)
class CommandRecord:
    status: Literal["started", "done"]
    time: str
    result: dict[str, Any] | None = None


class CommandLedger:
    def __init__(self, client: redis.Redis, keys: LiveKeys, round_trips: RoundTrips | None = None) -> None:
        self.client = client
        self.keys = keys
        self.round_trips = round_trips or RoundTrips()

    def get(self, command_id: str) -> CommandRecord | None:
        raw = self.client.get(self.keys.command(command_id))
        self.round_trips.add()
        if raw is None:
            return None
        data = orjson.loads(raw)
        return CommandRecord(status=data["status"], time=data["time"], result=data.get("result"))

    def mark_started(self, command_id: str) -> None:
        record = {"status": "started", "time": iso_utc(datetime.now(UTC))}
        self.client.set(self.keys.command(command_id), orjson.dumps(record), ex=RECORD_TTL_SECONDS)
        self.round_trips.add()

    def mark_done(self, command_id: str, result: dict[str, Any]) -> None:
        record = {"status": "done", "time": iso_utc(datetime.now(UTC)), "result": result}
        self.client.set(self.keys.command(command_id), orjson.dumps(record), ex=RECORD_TTL_SECONDS)
        self.round_trips.add()
