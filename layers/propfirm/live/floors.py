"""Equity floors in Redis: the writer the evaluator calls and the reader the poller uses (a contract).

`write_floor` stores `acct:{server:login}:floor` unless the key already holds a floor produced by a newer
challenge-state version (a late or replayed evaluator run never lowers the guard that a newer run
raised, nor raises it back); the key expires by itself once the time left until the floor's `expires_at`
(by the writer's clock) has passed, and a reader ignores a floor whose expiry has passed even if Redis has
not dropped it yet. `delete_floor` removes it (the challenge ended or no floor applies).

The expiry is relative (PEXPIRE), never Redis's own idea of the date (PEXPIREAT): the floor's times are
the trade server's, which in a simulation (`propfirm dev --start`) need not be today, and a key set to
expire at a past instant would vanish at once and leave the poller without a floor.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import redis

from propfirm.live.keys import LiveKeys
from propfirm.live.records import FloorRecord

# Replace the floor only when the stored one is not from a newer state version; expire after ARGV[3] ms.
_WRITE_IF_NOT_OLDER = """
local current = redis.call('GET', KEYS[1])
if current then
  local ok, decoded = pcall(cjson.decode, current)
  if ok and type(decoded) == 'table' and tonumber(decoded['version']) ~= nil
     and tonumber(decoded['version']) > tonumber(ARGV[2]) then
    return 0
  end
end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
"""


def time_to_live_ms(expires_at: datetime, now: datetime) -> int:
    """Milliseconds from `now` to `expires_at`, at least 1 (an expired floor lingers a moment, ignored)."""
    return max(1, math.ceil((expires_at - now) / timedelta(milliseconds=1)))


def write_floor(
    client: redis.Redis, keys: LiveKeys, server: str, login: int, floor: FloorRecord, now: datetime
) -> bool:
    """Store the floor; False when a floor from a newer state version is already there. `now` is the
    writer's clock, the one the floor's `expires_at` was computed on."""
    result = client.eval(
        _WRITE_IF_NOT_OLDER,
        1,
        keys.floor(server, login),
        floor.encode(),
        floor.version,
        time_to_live_ms(floor.expires_at, now),
    )
    return bool(result)


def read_floor(client: redis.Redis, keys: LiveKeys, server: str, login: int) -> FloorRecord | None:
    raw = client.get(keys.floor(server, login))
    return None if raw is None else FloorRecord.decode(raw)


def delete_floor(client: redis.Redis, keys: LiveKeys, server: str, login: int) -> None:
    client.delete(keys.floor(server, login))


def readable_floor(raw: bytes | str | None) -> FloorRecord | None:
    """The floor a raw Redis value holds, valid or not; None for none or an unreadable record (its readers
    judge validity at their own instant: a tick's, a blind interval's start)."""
    if raw is None:
        return None
    return ReadFloor.decode(raw.encode() if isinstance(raw, str) else raw).floor


@dataclass(frozen=True, slots=True)
class ReadFloor:
    """A floor key's value as read, and what it holds (decoded once)."""

    raw: bytes
    floor: FloorRecord | None  # None: not a floor record (`error` says why)
    error: str | None = None

    @classmethod
    def decode(cls, raw: bytes) -> ReadFloor:
        try:
            return cls(raw, FloorRecord.decode(raw))
        except (KeyError, TypeError, ValueError) as exc:
            return cls(raw, None, f"malformed floor record: {exc!r}")

    def active(self, now: datetime) -> FloorRecord | None:
        """The floor, if it is still valid at `now`."""
        floor = self.floor
        return floor if floor is not None and floor.is_valid_at(now) else None


class FloorMemo:
    """The floors a poller reads back each cycle, each decoded once while its bytes stay the same: a floor
    mostly outlives many cycles, and the fast path and the tick path both judge it (at 100,000 accounts,
    half of them holding positions, that is 50,000 records a cycle decoded for nothing). Holds the last
    cycle's reads only: an account whose floor was not read is forgotten."""

    def __init__(self) -> None:
        self._known: dict[int, ReadFloor] = {}

    def read(self, floors: dict[int, bytes | None]) -> dict[int, ReadFloor | None]:
        """Each login's floor as read this cycle (None: no key); an unchanged value keeps the object read
        before (its bytes included: the copy Redis just sent is let go)."""
        known, kept = self._known, {}
        result: dict[int, ReadFloor | None] = {}
        for login, raw in floors.items():
            if raw is None:
                result[login] = None
                continue
            entry = known.get(login)
            if entry is None or entry.raw != raw:
                entry = ReadFloor.decode(raw)
            kept[login] = result[login] = entry
        self._known = kept
        return result
