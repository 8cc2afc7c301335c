"""One Powertools Logger and Metrics for the poller (JSON logs; CloudWatch embedded metric format).

Metrics are collected per cycle and flushed every N cycles (`POLLER_METRICS_FLUSH_CYCLES`), which keeps
the log volume down at a 2-second interval while staying well under EMF's 100 values per metric.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

SERVICE = "poller"
NAMESPACE = "PropFirm"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)


class CycleMetrics:
    """Adds one cycle's figures and flushes every `flush_every` cycles."""

    def __init__(self, flush_every: int = 5, sink: Metrics | None = None) -> None:
        self.flush_every = flush_every
        self.sink = sink or metrics
        self.pending = 0

    def record(self, *, duration_s: float, cpu_s: float, accounts: int, changed: int, messages: int,
               sqs_requests: int, redis_round_trips: int, breaches: int) -> None:
        m = self.sink
        m.add_metric(name="CycleDuration", unit=MetricUnit.Milliseconds, value=duration_s * 1000)
        m.add_metric(name="CycleCpu", unit=MetricUnit.Milliseconds, value=cpu_s * 1000)
        m.add_metric(name="AccountsPolled", unit=MetricUnit.Count, value=accounts)
        m.add_metric(name="AccountsChanged", unit=MetricUnit.Count, value=changed)
        m.add_metric(name="MessagesSent", unit=MetricUnit.Count, value=messages)
        m.add_metric(name="SqsRequests", unit=MetricUnit.Count, value=sqs_requests)
        m.add_metric(name="RedisRoundTrips", unit=MetricUnit.Count, value=redis_round_trips)
        m.add_metric(name="Breaches", unit=MetricUnit.Count, value=breaches)
        self._tick()

    def error(self, name: str = "Mt5Errors") -> None:
        self.sink.add_metric(name=name, unit=MetricUnit.Count, value=1)
        self._tick()

    def count(self, name: str, value: float = 1) -> None:
        self.sink.add_metric(name=name, unit=MetricUnit.Count, value=value)

    def duration(self, name: str, seconds: float) -> None:
        self.sink.add_metric(name=name, unit=MetricUnit.Milliseconds, value=seconds * 1000)

    def _tick(self) -> None:
        self.pending += 1
        if self.pending >= self.flush_every:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self.sink.flush_metrics()
        self.pending = 0
