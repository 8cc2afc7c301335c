"""Equity floors in Redis: the writer the evaluator calls and the reader the poller uses (a contract).

`write_floor` stores `acct:{server:login}:floor` unless the key already holds a floor produced by a newer
challenge-state version (a late or replayed evaluator run never lowers the guard that a newer run
raised, nor raises it back); the key expires by itself at the floor's `expires_at`, and a reader ignores a
floor whose expiry has passed even if Redis has not dropped it yet. `delete_floor` removes it (the
challenge ended or no floor applies).
"""

from __future__ import annotations

from datetime import datetime

import redis

from propfirm.domain.floors import EquityFloor
from propfirm.live.keys import LiveKeys
from propfirm.live.records import FloorRecord

# Replace the floor only when the stored one is not from a newer state version; expire at expires_at.
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
redis.call('PEXPIREAT', KEYS[1], ARGV[3])
return 1
"""


def write_floor(
    client: redis.Redis, keys: LiveKeys, server: str, login: int, floor: FloorRecord
) -> bool:
    """Store the floor; False when a floor from a newer state version is already there."""
    expires_ms = int(floor.expires_at.timestamp() * 1000)
    result = client.eval(
        _WRITE_IF_NOT_OLDER, 1, keys.floor(server, login), floor.encode(), floor.version, expires_ms
    )
    return bool(result)


def write_equity_floor(
    client: redis.Redis, keys: LiveKeys, server: str, login: int, floor: EquityFloor, state_version: int
) -> bool:
    """`write_floor` for the rule engine's `EquityFloor` and the state version that produced it."""
    return write_floor(client, keys, server, login, FloorRecord.from_equity_floor(floor, state_version))


def read_floor(client: redis.Redis, keys: LiveKeys, server: str, login: int) -> FloorRecord | None:
    raw = client.get(keys.floor(server, login))
    return None if raw is None else FloorRecord.decode(raw)


def delete_floor(client: redis.Redis, keys: LiveKeys, server: str, login: int) -> None:
    client.delete(keys.floor(server, login))


def active_floor(raw: bytes | None, now: datetime) -> FloorRecord | None:
    """The floor a raw Redis value holds, if it is still valid at `now`; ValueError for a bad record."""
    if raw is None:
        return None
    try:
        floor = FloorRecord.decode(raw)
    except (KeyError, TypeError) as exc:
        raise ValueError(f"malformed floor record: {exc}") from exc
    return floor if floor.is_valid_at(now) else None
