"""Packing a cycle's changes into evaluation messages: one per shard, split into parts when large.

A part stays under `max_bytes` (default 60 KB: SQS bills each 64 KB of payload as one request, and ten
such parts fit one SendMessageBatch call). A login's deals travel in the same part as the login; only a
login with more deals than one part holds (a backlog after a long outage) is named again in as many
parts as its deals need, each carrying the next slice of them in time order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from propfirm.queues.messages import DealRecord, EvaluationMessage
from propfirm.queues.sqs import Outgoing

DEFAULT_MAX_BYTES = 60_000


def evaluation_dedup_id(server: str, cycle: int, shard: int, part: int, poller: str = "") -> str:
    return f"{server}:{poller}:{cycle}:{shard}:{part}" if poller else f"{server}:{cycle}:{shard}:{part}"


def pack_evaluation_messages(
    server: str,
    cycle: int,
    time: datetime,
    logins_by_shard: Mapping[int, Sequence[int]],
    deals_by_login: Mapping[int, Sequence[DealRecord]],
    max_bytes: int = DEFAULT_MAX_BYTES,
    poller: str = "",
    deals_until: datetime | None = None,
) -> list[tuple[Outgoing, bool]]:
    """The cycle's messages, each with a flag telling whether it carries deals (those go to the outbox)."""
    result: list[tuple[Outgoing, bool]] = []
    for shard in sorted(logins_by_shard):
        logins = list(logins_by_shard[shard])
        if not logins:
            continue
        chunks = [
            (chunk, deals)
            for logins_chunk in _split(logins, deals_by_login, max_bytes, server, cycle, shard, time)
            for chunk, deals in _with_deals(logins_chunk, deals_by_login, max_bytes)
        ]
        for part, (chunk, deals) in enumerate(chunks):
            message = EvaluationMessage(server=server, cycle=cycle, shard=shard, part=part, time=time,
                                        logins=chunk, deals=deals, deals_until=deals_until)
            dedup = evaluation_dedup_id(server, cycle, shard, part, poller)
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


def _with_deals(logins: list[int], deals_by_login: Mapping[int, Sequence[DealRecord]], max_bytes: int
                ) -> list[tuple[list[int], list[DealRecord]]]:
    """The chunk with its deals; a lone login whose deals overflow a part is spread over several."""
    deals = [d for login in logins for d in deals_by_login.get(login, ())]
    if len(logins) > 1 or not deals:
        return [(logins, deals)]
    # ~400 bytes a deal; slices sized so that each part stays under max_bytes
    per_part = max(1, (max_bytes - 512) // max(1, max(len(d.model_dump_json()) for d in deals[:50]) + 2))
    if len(deals) <= per_part:
        return [(logins, deals)]
    return [(logins, deals[i : i + per_part]) for i in range(0, len(deals), per_part)]
