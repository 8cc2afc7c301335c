"""The two FIFO queues of the data flow, each with its dead-letter queue.

- evaluation: poller -> evaluator. MessageGroupId is the account's shard, so one shard's cycles are
  evaluated in order while shards run in parallel; the deduplication id is the poller's (cycle, shard).
- commands: evaluator/api -> poller. MessageGroupId is the account, so one account's commands are
  carried out in order.
A message that fails `max_receive_count` times moves to its DLQ instead of blocking its group forever.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_sqs as sqs
from constructs import Construct


class Queues(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        evaluator_timeout: Duration | None = None,
        max_receive_count: int = 5,
    ) -> None:
        super().__init__(scope, construct_id)
        evaluator_timeout = evaluator_timeout or Duration.seconds(60)
        self.evaluation_dlq = self._fifo("EvaluationDlq", retention=Duration.days(14))
        self.evaluation = self._fifo(
            "Evaluation",
            # Lambda's guidance: six times the function timeout, so retries are not redelivered early.
            visibility_timeout=Duration.seconds(evaluator_timeout.to_seconds() * 6),
            retention=Duration.days(1),
            dead_letter=sqs.DeadLetterQueue(queue=self.evaluation_dlq, max_receive_count=max_receive_count),
        )
        self.command_dlq = self._fifo("CommandDlq", retention=Duration.days(14))
        self.commands = self._fifo(
            "Commands",
            visibility_timeout=Duration.seconds(120),
            retention=Duration.days(4),
            dead_letter=sqs.DeadLetterQueue(queue=self.command_dlq, max_receive_count=max_receive_count),
        )

    def _fifo(
        self,
        construct_id: str,
        *,
        retention: Duration,
        visibility_timeout: Duration | None = None,
        dead_letter: sqs.DeadLetterQueue | None = None,
    ) -> sqs.Queue:
        return sqs.Queue(
            self,
            construct_id,
            fifo=True,
            # Per message group throughput: shards and accounts are the groups, not the whole queue.
            deduplication_scope=sqs.DeduplicationScope.MESSAGE_GROUP,
            fifo_throughput_limit=sqs.FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=retention,
            visibility_timeout=visibility_timeout,
            dead_letter_queue=dead_letter,
        )
