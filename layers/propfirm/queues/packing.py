"""Packing a cycle's changes into evaluation messages: one per shard, split into parts when large.

A part stays under `max_bytes` (default 60 KB: SQS bills each 64 KB of payload as one request, and ten
such parts fit one SendMessageBatch call). A login's deals always travel in the same part as the login.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from propfirm.queues.messages import DealRecord, EvaluationMessage
from propfirm.queues.sqs import Outgoing

DEFAULT_MAX_BYTES = 60_000


def evaluation_dedup_id(server: str, cycle: int, shard: int, part: int) -> str:
    return f"{server}:{cycle}:{shard}:{part}"


def pack_evaluation_messages(
    server: str,
    cycle: int,
    time: datetime,
    logins_by_shard: Mapping[int, Sequence[int]],
    deals_by_login: Mapping[int, Sequence[DealRecord]],
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> list[tuple[Outgoing, bool]]:
    """The cycle's messages, each with a flag telling whether it carries deals (those go to the outbox)."""
    result: list[tuple[Outgoing, bool]] = []
    for shard in sorted(logins_by_shard):
        logins = list(logins_by_shard[shard])
        if not logins:
            continue
        for part, chunk in enumerate(_split(logins, deals_by_login, max_bytes, server, cycle, shard, time)):
            deals = [d for login in chunk for d in deals_by_login.get(login, ())]
            message = EvaluationMessage(server=server, cycle=cycle, shard=shard, part=part, time=time,
                                        logins=chunk, deals=deals)
            dedup = evaluation_dedup_id(server, cycle, shard, part)
            result.append((Outgoing(body=message.model_dump_json(), group_id=str(shard), dedup_id=dedup),
                           bool(deals)))
    return result


def _split(logins: list[int], deals_by_login: Mapping[int, Sequence[DealRecord]], max_bytes: int,
           server: str, cycle: int, shard: int, time: datetime) -> list[list[int]]:
    """Halve the login list until each half's message fits `max_bytes` (a lone login always goes)."""
    deals = [d for login in logins for d in deals_by_login.get(login, ())]
    probe = EvaluationMessage(server=server, cycle=cycle, shard=shard, part=999_999, time=time,
                              logins=logins, deals=deals)
    if len(logins) == 1 or len(probe.model_dump_json()) <= max_bytes:
        return [logins]
    middle = len(logins) // 2
    return (_split(logins[:middle], deals_by_login, max_bytes, server, cycle, shard, time)
            + _split(logins[middle:], deals_by_login, max_bytes, server, cycle, shard, time))
