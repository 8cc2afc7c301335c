"""Is the local stack healthy right now? What `faults` measures recovery against, and what the run's
settling waits for before the invariants are checked.

Healthy means all of:
- the poller's heartbeat is fresh: it completed a cycle that began after the moment asked about;
- evaluation keeps up: a batch was evaluated after that moment, the last one within `LAG_BOUND_SECONDS`
  of the poller's send, and the evaluation queue holds no more than `BACKLOG_BOUND` messages;
- no command is overdue in the outbox: every command due for more than `OUTBOX_BOUND_SECONDS` has been
  sent and answered.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
import psycopg
import redis

from propfirm.live.keys import LiveKeys

# an outbox command sent and not answered, or due and not sent (the one parameter: the server's time now)
IN_FLIGHT = "(status = 'sent' OR (status = 'pending' AND (not_before IS NULL OR not_before <= %s)))"
LAG_BOUND_SECONDS = 5.0
BACKLOG_BOUND = 8  # two cycles' messages of the local poller's four shards
OUTBOX_BOUND_SECONDS = 10


@dataclass(frozen=True)
class Reading:
    cycle: int  # the poller's last completed cycle
    evaluated: int  # evaluation-queue messages handled so far
    lag: float | None  # the last batch's evaluation lag, seconds
    backlog: int  # messages on the evaluation queue, visible or in flight
    overdue_commands: int

    def problems(self, since: Reading) -> list[str]:
        """What is not healthy yet, compared with the reading taken when the fault ended."""
        problems = []
        if self.cycle < since.cycle + 2:
            problems.append("no poller cycle completed since")
        if self.evaluated <= since.evaluated:
            problems.append("nothing evaluated since")
        elif self.lag is None or self.lag > LAG_BOUND_SECONDS:
            problems.append(f"evaluation lag {self.lag} s")
        if self.backlog > BACKLOG_BOUND:
            problems.append(f"{self.backlog} messages waiting")
        if self.overdue_commands:
            problems.append(f"{self.overdue_commands} commands overdue")
        return problems


class HealthProbe:
    def __init__(
        self,
        *,
        redis_client: redis.Redis,
        namespace: str,
        server: str,
        sqs: Any,
        evaluation_queue: str,
        database_url: str,
        evaluator: Any,
        clock: Callable[[], datetime],
    ) -> None:
        self.redis = redis_client
        self.heartbeat_key = LiveKeys(namespace).heartbeat(server)
        self.server = server
        self.sqs = sqs
        self.evaluation_queue = evaluation_queue
        self.database_url = database_url
        self.evaluator = evaluator
        self.clock = clock

    def read(self) -> Reading:
        return Reading(
            cycle=self._cycle(),
            evaluated=self.evaluator.received,
            lag=self.evaluator.lag.last,
            backlog=self._backlog(),
            overdue_commands=self._overdue(),
        )

    def _cycle(self) -> int:
        try:
            raw = self.redis.get(self.heartbeat_key)
        except redis.RedisError:
            return -1
        return int(orjson.loads(raw).get("cycle", 0)) if raw else 0

    def _backlog(self) -> int:
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        attributes = self.sqs.get_queue_attributes(QueueUrl=self.evaluation_queue, AttributeNames=names)
        return sum(int(attributes["Attributes"].get(name, 0)) for name in names)

    def _overdue(self) -> int:
        with psycopg.connect(self.database_url, autocommit=True, connect_timeout=5) as conn:
            row = conn.execute(
                "SELECT count(*) FROM outbox WHERE server = %s AND created_at < now() - make_interval(secs => %s)"
                f" AND {IN_FLIGHT}",
                (self.server, OUTBOX_BOUND_SECONDS, self.clock()),
            ).fetchone()
        return int(row[0]) if row else 0

    def wait_healthy(self, since: Reading, deadline: float, stop: Callable[[], bool] | None = None) -> float | None:
        """Poll until healthy (monotonic time when it was) or the deadline (None)."""
        while time.monotonic() < deadline:
            if stop is not None and stop():
                return None
            try:
                if not self.read().problems(since):
                    return time.monotonic()
            except (psycopg.Error, OSError):
                pass  # PostgreSQL still away: not healthy yet
            time.sleep(0.25)
        return None
