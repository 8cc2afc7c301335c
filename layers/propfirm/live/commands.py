"""Command records in Redis, so a command id is carried out on MT5 at most once (a contract).

`cmd:{<command_id>}` holds `{"status": "started", "time": ISO}` while a command runs and
`{"status": "done", "time": ISO, "result": {...command result message...}}` after; records live 30 days
(longer than any queue retention, so a redelivered command always finds its record). A command found
`done` is not done again (its stored result is reported again); one found `started` was interrupted, so
the poller checks MT5's state before acting (see `propfirm.poller.commands`).

A command MT5 cannot carry out yet (closing positions while their market is closed) is parked:
`{"status": "waiting", "time": ISO, "reason": ...}`, its message body kept in the hash `cmd:waiting`
(command id -> body) until a retry carries it out (`unpark`), so that it outlives the queue message and
a restart of the poller.
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
    status: Literal["started", "done", "waiting"]
    time: str
    result: dict[str, Any] | None = None
    reason: str | None = None


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
        return CommandRecord(
            status=data["status"], time=data["time"], result=data.get("result"), reason=data.get("reason")
        )

    def mark_started(self, command_id: str) -> None:
        record = {"status": "started", "time": iso_utc(datetime.now(UTC))}
        self.client.set(self.keys.command(command_id), orjson.dumps(record), ex=RECORD_TTL_SECONDS)
        self.round_trips.add()

    def mark_done(self, command_id: str, result: dict[str, Any]) -> None:
        record = {"status": "done", "time": iso_utc(datetime.now(UTC)), "result": result}
        with self.client.pipeline(transaction=False) as pipe:  # one round trip
            pipe.set(self.keys.command(command_id), orjson.dumps(record), ex=RECORD_TTL_SECONDS)
            pipe.hdel(self.keys.waiting_commands(), command_id)
            pipe.execute()
        self.round_trips.add()

    def park(self, command_id: str, body: str, reason: str) -> None:
        """Keep a command that MT5 cannot carry out yet, to be tried again (`waiting`)."""
        record = {"status": "waiting", "time": iso_utc(datetime.now(UTC)), "reason": reason}
        with self.client.pipeline(transaction=False) as pipe:
            pipe.set(self.keys.command(command_id), orjson.dumps(record), ex=RECORD_TTL_SECONDS)
            pipe.hset(self.keys.waiting_commands(), command_id, body)
            pipe.execute()
        self.round_trips.add()

    def waiting(self) -> dict[str, str]:
        """The parked commands: command id -> message body."""
        raw = self.client.hgetall(self.keys.waiting_commands())
        self.round_trips.add()
        return {_text(k): _text(v) for k, v in raw.items()}


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
