"""The EventBridge bus of domain events (ChallengePassed, ChallengeFailed, FundedAccountCreated,
PayoutApproved, …: `infra.constants.DOMAIN_EVENTS`, source `propfirm`), for notifications, the CRM and
other integrations, which subscribe with rules of their own. An archive keeps the events so that an
integration added later, or one that was down, can be replayed."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
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
