"""The evaluator's Redis side: the claim check read back in one pipeline, results written in one.

`acct:{server:login}:state` caches the challenge as the evaluator last left it (JSON):
    {"v":1,"challenge_id":7,"version":12,"program_id":"two-step-100k","program_version":1,"state":{...ChallengeState.to_dict()...},"unsaved":3,
     "floor":{...the floor last published, or null...},"point":["<iso time>","<equity>"],
     "awaiting_reset":null,"pending_kill":null}
`version` is the PostgreSQL version the cached state was built on; the cached state may be ahead of it
by `unsaved` snapshots (routine saves are spaced out). A cache whose version is not PostgreSQL's is
ignored (somebody else saved), and losing the cache loses no decision: decisions are saved at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import orjson
import redis

from propfirm.domain.state import ChallengeState
from propfirm.live.floors import write_floor
from propfirm.live.holds import FloorHold
from propfirm.live.keys import LiveKeys
from propfirm.live.records import FloorRecord, Snapshot, iso_utc_shared, parse_utc
from propfirm.store.jsonutil import plain

_pack_command: Callable[[tuple[Any, ...]], bytes] | None
try:
    from hiredis import pack_command as _pack_command
except ImportError:  # pragma: no cover - hiredis is a dependency; without it redis-py packs every command
    _pack_command = None

CACHE_VERSION = 1
CACHE_TTL_SECONDS = 7 * 86400


@dataclass
class CachedChallenge:
    challenge_id: int
    version: int
    program_id: str
    program_version: int
    state: dict[str, Any]
    unsaved: int = 0
    floor: dict[str, Any] | None = None
    point: tuple[datetime, Decimal] | None = None
    awaiting_reset: str | None = None
    pending_kill: dict[str, Any] | None = None
    # the state already decoded (never serialised): set when this process wrote exactly these bytes
    decoded: ChallengeState | None = field(default=None, compare=False, repr=False)

    def challenge_state(self) -> ChallengeState:
        """The cached state as an object, shared with this cache: nothing may change it. The evaluator only
        hands it to the engine, which works on a copy (a property test pins that), so a second copy here
        would be pure cost."""
        if self.decoded is not None:
            return self.decoded
        return ChallengeState.from_dict(self.state)

    def encode(self) -> bytes:
        return orjson.dumps(
            {
                "v": CACHE_VERSION,
                "challenge_id": self.challenge_id,
                "version": self.version,
                "program_id": self.program_id,
                "program_version": self.program_version,
                "state": self.state,  # JSON-native already (ChallengeState.to_dict() or a JSONB value)
                "unsaved": self.unsaved,
                "floor": self.floor,
                # a point's time is a cycle's, shared by the accounts whose point it kept: formatted once
                "point": None if self.point is None else [iso_utc_shared(self.point[0]), str(self.point[1])],
                "awaiting_reset": self.awaiting_reset,
                "pending_kill": plain(self.pending_kill),
            }
        )

    @classmethod
    def decode(cls, raw: bytes | str) -> CachedChallenge | None:
        try:
            data = orjson.loads(raw)
            if data.get("v") != CACHE_VERSION:
                return None
            point = data.get("point")
            return cls(
                challenge_id=int(data["challenge_id"]),
                version=int(data["version"]),
                program_id=data["program_id"],
                program_version=int(data["program_version"]),
                state=data["state"],
                unsaved=int(data.get("unsaved", 0)),
                floor=data.get("floor"),
                point=None if point is None else (parse_utc(point[0]), Decimal(point[1])),
                awaiting_reset=data.get("awaiting_reset"),
                pending_kill=data.get("pending_kill"),
            )
        except (ValueError, KeyError, TypeError):
            return None  # an unreadable cache is no cache: PostgreSQL has the state


@dataclass
class AccountLive:
    snapshot: Snapshot | None
    cached: CachedChallenge | None
    floor_present: bool
    snapshot_error: str | None = None
    floor_hold: FloorHold | None = None  # a withdrawal on its way (propfirm.live.holds)
    floor_hold_unreadable: bool = False  # then no floor is published until the hold expires


@dataclass
class LiveWrite:
    login: int
    cache: CachedChallenge | None  # None: drop the cache
    floor: FloorRecord | None = None  # write (version-guarded)
    delete_floor: bool = False
    clear_hold: bool = False  # the withdrawal's deal has been judged: the engine's floor is the true one


@dataclass
class LiveStats:
    round_trips: int = 0
    floors_written: int = 0
    memo_hits: int = 0
    extra: dict[str, int] = field(default_factory=dict)


# Sets every given key to its value with one expiry: a message's caches in one command instead of one each
_SET_ALL = """
local ttl = ARGV[#ARGV]
for i = 1, #KEYS do
  redis.call('SET', KEYS[i], ARGV[i], 'EX', ttl)
end
return #KEYS
"""


class LiveState:
    """`multi_key` (the default, for the deployed non-cluster cache): a message's reads are one MGET and
    its cache writes one script call, whatever the number of accounts; the redis-py client's cost is per
    command, and this is most of the evaluator's CPU. False (a Redis Cluster): one MGET and one SET per
    account, each within the account's hash slot."""

    def __init__(
        self, client: redis.Redis, namespace: str = "", memo_size: int = 50_000, multi_key: bool = True
    ) -> None:
        self.client = client
        self.keys = LiveKeys(namespace)
        self.stats = LiveStats()
        self.multi_key = multi_key
        self._set_all = client.register_script(_SET_ALL)
        # (server, login) -> (the cache bytes this process last wrote, that cache): when Redis still holds
        # exactly those bytes, the decoded cache is reused instead of parsed again (a warm container sees
        # the same accounts every cycle). Bytes that differ (another writer, a lost key) are parsed.
        self.memo_size = memo_size
        self._memo: dict[tuple[str, int], tuple[bytes, CachedChallenge]] = {}

    def read(self, server: str, logins: list[int]) -> dict[int, AccountLive]:
        """Snapshot, cached challenge and floor presence of every account: one round trip."""
        keys = self.keys
        # keys as bytes: redis-py passes bytes through, where each str argument costs it an encoding
        names: list[bytes] = []
        for login in logins:
            prefix = keys.account_prefix(server, login).encode()
            names += (prefix + b"snap", prefix + b"state", prefix + b"floor", prefix + b"floor_hold")
        if not logins:
            values: list = []
        elif self.multi_key:
            flat = self._command("MGET", *names)
            values = [flat[i : i + 4] for i in range(0, len(flat), 4)]
        else:
            pipe = self.client.pipeline(transaction=False)
            for i in range(0, len(names), 4):
                pipe.execute_command("MGET", *names[i : i + 4])  # one account's keys: one hash slot
            values = pipe.execute()
        self.stats.round_trips += 1
        result: dict[int, AccountLive] = {}
        memo = self._memo
        for login, (raw_snap, raw_state, raw_floor, raw_hold) in zip(logins, values, strict=True):
            floor_exists = raw_floor is not None
            snapshot, error = None, None
            if raw_snap is not None:
                try:
                    snapshot = Snapshot.decode(raw_snap)
                except (ValueError, KeyError, TypeError) as exc:
                    error = f"unreadable snapshot: {exc}"
            hold, hold_unreadable = None, False
            try:
                hold = FloorHold.decode(raw_hold)
            except ValueError:
                hold_unreadable = True
            cached = None
            if raw_state is not None:
                known = memo.get((server, login))
                if known is not None and known[0] == raw_state:
                    cached = known[1]
                    self.stats.memo_hits += 1
                else:
                    cached = CachedChallenge.decode(raw_state)
            result[login] = AccountLive(
                snapshot,
                cached,
                bool(floor_exists),
                error,
                hold,
                hold_unreadable,
            )
        return result

    def write(self, server: str, writes: list[LiveWrite], now: datetime) -> None:
        """States and floors after the commit: one pipeline (floors through the version-guarded writer).
        `now` is the evaluator's clock, on which the floors' expiry instants were computed."""
        if not writes:
            return
        try:
            written = self._write(server, writes, now)
        except redis.exceptions.NoScriptError:
            # Redis lost its scripts (a restart, a failover, SCRIPT FLUSH): load it and write again. Every
            # command of the pipeline can be repeated (SETs, deletes, floors guarded by their version).
            self._set_all.sha = self.client.script_load(_SET_ALL)
            written = self._write(server, writes, now)
        self.stats.round_trips += 1
        self._remember(server, written)

    def _write(
        self, server: str, writes: list[LiveWrite], now: datetime
    ) -> list[tuple[int, bytes | None, CachedChallenge | None]]:
        keys = self.keys
        pipe = self.client.pipeline(transaction=False)
        written: list[tuple[int, bytes | None, CachedChallenge | None]] = []
        set_keys: list[bytes] = []
        set_values: list[bytes] = []
        for w in writes:
            if w.cache is None:
                pipe.delete(keys.state(server, w.login))
                written.append((w.login, None, None))
            else:
                raw = w.cache.encode()
                if self.multi_key:
                    set_keys.append(keys.state(server, w.login).encode())
                    set_values.append(raw)
                else:
                    pipe.execute_command("SET", keys.state(server, w.login), raw, "EX", CACHE_TTL_SECONDS)
                written.append((w.login, raw, w.cache))
            if w.floor is not None:
                write_floor(pipe, keys, server, w.login, w.floor, now)
                self.stats.floors_written += 1
            elif w.delete_floor:
                pipe.delete(keys.floor(server, w.login))
            if w.clear_hold:
                pipe.delete(keys.floor_hold(server, w.login))
        if set_keys:
            # EVALSHA straight away: redis-py's script object would first ask SCRIPT EXISTS, a round trip
            # per write; the script is loaded once, when Redis first answers NOSCRIPT (above)
            arguments = ("EVALSHA", self._set_all.sha, len(set_keys), *set_keys, *set_values, CACHE_TTL_SECONDS)
            if not len(pipe):  # the common message: the caches alone, one command
                self._command(*arguments)
                return written
            pipe.execute_command(*arguments)
        pipe.execute()
        return written

    def _command(self, *args: Any) -> Any:
        """One command, packed in one C call (hiredis) and sent on a connection of the client's pool: redis-py
        packs a command argument by argument in Python, and a message's MGET has four keys an account (1.3
        of 2.5 µs an account, measured). A lost or timed-out connection is closed and the command sent again
        through redis-py, with the retries the client is configured with; both commands sent this way (the
        reads, the caches' SETs) can be repeated."""
        client = self.client
        if _pack_command is None or getattr(client, "connection", None) is not None:  # a single-connection client
            return client.execute_command(*args)
        pool = client.connection_pool
        connection = pool.get_connection()
        try:
            connection.send_packed_command([_pack_command(args)])
            return connection.read_response()
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
            connection.disconnect()
        finally:
            pool.release(connection)
        return client.execute_command(*args)

    def _remember(self, server: str, written: list[tuple[int, bytes | None, CachedChallenge | None]]) -> None:
        """After Redis accepted the pipeline: what it now holds, for the next read to reuse."""
        if not self.memo_size:
            return
        memo = self._memo
        if len(memo) + len(written) > self.memo_size:
            memo.clear()  # crude but bounded; a cleared memo only costs parsing
        for login, raw, cache in written:
            if raw is None or cache is None or cache.decoded is None:
                memo.pop((server, login), None)
            else:
                memo[(server, login)] = (raw, cache)
