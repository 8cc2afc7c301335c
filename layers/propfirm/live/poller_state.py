"""The poller's durable state in Redis and its one pipeline per cycle (a contract for the keys used).

Deal cursor and dedup set: `poller:{server}:state` field `cursor` is the instant (MT5 clock, epoch ms,
UTC) up to which every deal has been handed on; each cycle asks MT5 for the deals from
`cursor - overlap` on (see `propfirm.poller.deals`), and drops the tickets in
`poller:{server}:deals_seen` (ticket -> deal time), which is trimmed to the tickets newer than
`cursor - retention`. The messages that carry deals (the cycle's, and earlier ones whose send failed)
are stored in the same hash (`outbox`) in the same pipeline that advances the cursor, before they are
sent; a restarted poller marks their
tickets seen and sends them again with the same deduplication ids (SQS FIFO drops the copy if the first
send got through within its 5-minute window). So a restart neither loses nor repeats a deal.

The cycle's pipeline writes the state hash first, then the seen tickets, the changed accounts'
snapshots, reads their floors, and writes the heartbeat: one round trip for the whole cycle.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import orjson
import redis

from propfirm.live.counting import RoundTrips
from propfirm.live.keys import LiveKeys
from propfirm.live.resp import LeanPipeline

FLOORS_PER_MGET = 1000  # floors read back per command (a cycle reads one for every changed account)


@dataclass
class PollerState:
    cycle: int = 0
    cursor_ms: int | None = None
    outbox: list[dict] = field(default_factory=list)  # [{"body", "group_id", "dedup_id"}]
    seen: dict[int, int] = field(default_factory=dict)  # ticket -> deal time ms


@dataclass
class CycleWrite:
    cycle: int
    cursor_ms: int | None
    new_tickets: dict[int, int]
    outbox: list[dict]
    snapshots: Iterable[tuple[int, bytes]]  # (login, encoded snapshot), consumed once
    floor_logins: Sequence[int]
    heartbeat: bytes | None  # the last completed cycle's heartbeat (None before the first)


class PollerStateStore:
    """Reads and writes one server's poller state; counts its Redis round trips."""

    def __init__(
        self,
        client: redis.Redis,
        keys: LiveKeys,
        server: str,
        *,
        snapshot_ttl_seconds: int = 86_400,
        seen_retention_ms: int = 86_400_000,
        round_trips: RoundTrips | None = None,
        name: str = "",
    ) -> None:
        self.name = name
        self.client = client
        self.keys = keys
        self.server = server
        self.snapshot_ttl_seconds = snapshot_ttl_seconds
        self.seen_retention_ms = seen_retention_ms
        self.round_trips = round_trips or RoundTrips()

    @property
    def _seen_key(self) -> str:
        return self.keys.deals_seen(self.server, self.name)

    def load(self, overlap_ms: int) -> PollerState:
        """The state at start: last cycle, cursor, pending outbox, and the tickets seen near the cursor."""
        state_key = self.keys.poller_state(self.server, self.name)
        raw = self.client.hgetall(state_key)
        self.round_trips.add()
        fields = {(k.decode() if isinstance(k, bytes) else k): v for k, v in raw.items()}
        state = PollerState(
            cycle=int(fields.get("cycle", b"0")),
            cursor_ms=int(fields["cursor"]) if fields.get("cursor") else None,
            outbox=orjson.loads(fields["outbox"]) if fields.get("outbox") else [],
        )
        if state.cursor_ms is not None:
            members = self.client.zrangebyscore(
                self._seen_key, state.cursor_ms - overlap_ms, "+inf", withscores=True
            )
            self.round_trips.add()
            state.seen = {int(member[0]): int(member[1]) for member in members}
        return state

    def mark_seen(self, tickets: dict[int, int]) -> None:
        if tickets:
            self.client.zadd(self._seen_key, {str(t): ms for t, ms in tickets.items()})
            self.round_trips.add()

    def write_cycle(self, write: CycleWrite) -> dict[int, bytes | None]:
        """Write everything of one cycle in one pipeline; returns the floors of `floor_logins`."""
        pipe = LeanPipeline(self.client)
        state_key, seen_key = self.keys.poller_state(self.server, self.name), self._seen_key
        outbox = orjson.dumps(write.outbox) if write.outbox else b""
        # The state hash goes first: if the connection dies mid-pipeline, the outbox is what survives.
        if write.cursor_ms is not None:
            pipe.add("HSET", state_key, "cycle", write.cycle, "outbox", outbox, "cursor", write.cursor_ms)
        else:
            pipe.add("HSET", state_key, "cycle", write.cycle, "outbox", outbox)
        if write.new_tickets:
            flat: list[int | str] = []
            for ticket, ms in write.new_tickets.items():
                flat += [ms, ticket]
            pipe.add("ZADD", seen_key, *flat)
        if write.cursor_ms is not None:
            pipe.add("ZREMRANGEBYSCORE", seen_key, "-inf", f"({write.cursor_ms - self.seen_retention_ms}")
        keys, server, ttl = self.keys, self.server, self.snapshot_ttl_seconds
        for login, payload in write.snapshots:
            pipe.add("SET", keys.snap(server, login), payload, "EX", ttl)
        first_floor = len(pipe)
        floor_keys = [keys.floor(server, login) for login in write.floor_logins]
        if pipe.cluster:  # each account's keys are a slot of their own
            for key in floor_keys:
                pipe.add("GET", key)
        else:  # an MGET of many floors has one reply, parsed in C, where a GET each has one each
            for i in range(0, len(floor_keys), FLOORS_PER_MGET):
                pipe.add("MGET", *floor_keys[i : i + FLOORS_PER_MGET])
        after_floors = len(pipe)
        if write.heartbeat is not None:
            pipe.add("SET", keys.heartbeat(server, self.name), write.heartbeat)
        results = pipe.execute()
        self.round_trips.add()
        replies = results[first_floor:after_floors]
        floors = replies if pipe.cluster else [value for reply in replies for value in reply]
        return dict(zip(write.floor_logins, floors, strict=True))
