"""The EventBridge bus of domain events (ChallengePassed, ChallengeFailed, ChallengeFunded, the payout
stages, FloorWarning: `infra.constants.DOMAIN_EVENTS`, source `propfirm`), for notifications, the CRM and
other integrations, which subscribe with rules of their own. An archive keeps the events so that an
integration added later, or one that was down, can be replayed."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.constants import DOMAIN_EVENT_SOURCE


class DomainEvents(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, archive_days: int) -> None:
        super().__init__(scope, construct_id)
        self.bus = events.EventBus(self, "Bus", description="propfirm domain events")
        self.bus.archive(
            "Archive",
            description="every propfirm domain event, for replay",
            event_pattern=events.EventPattern(source=[DOMAIN_EVENT_SOURCE]),
            retention=Duration.days(archive_days),
        )

    def grant_put(self, grantee: iam.IGrantable) -> None:
        self.bus.grant_put_events_to(grantee)

    def to_queue(
        self, scope: Construct, consumer_timeout: Duration, description: str
    ) -> tuple[sqs.Queue, sqs.Queue, events.Rule]:
        """A listener's own queue for every `propfirm` event of the bus (encrypted, TLS only, five receives
        then dead letters; an event the queue refuses goes to the dead letters too): (queue, dead letters,
        rule), made in `scope`."""
        dead_letters = sqs.Queue(
            scope,
            "EventsDlq",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        queue = sqs.Queue(
            scope,
            "Events",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            visibility_timeout=Duration.seconds(consumer_timeout.to_seconds() * 6),
            retention_period=Duration.days(4),
            dead_letter_queue=sqs.DeadLetterQueue(queue=dead_letters, max_receive_count=5),
        )
        rule = events.Rule(
            scope,
            "EveryEvent",
            event_bus=self.bus,
            event_pattern=events.EventPattern(source=[DOMAIN_EVENT_SOURCE]),
            description=description,
        )
        rule.add_target(targets.SqsQueue(queue, dead_letter_queue=dead_letters, retry_attempts=185))
        return queue, dead_letters, rule
