"""The shard of an account (a contract): `zlib.crc32(f"{server}:{login}".encode("utf-8")) % shard_count`.

CRC-32 is stable across processes, machines and languages (Python's `hash` of a str is salted per
process, so it cannot be used); the evaluator, the infrastructure and any other reader compute the same
shard. The shard is the FIFO MessageGroupId of the evaluation queue, so one account's messages are
processed in order while different shards are processed in parallel.
"""

from __future__ import annotations

import zlib


def shard_of(server: str, login: int, shard_count: int) -> int:
    if shard_count < 1:
        raise ValueError(f"shard_count must be at least 1, not {shard_count}")
    return zlib.crc32(f"{server}:{login}".encode()) % shard_count
