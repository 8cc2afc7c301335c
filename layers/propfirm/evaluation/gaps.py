"""A blind interval's review from the poller (`gap_review` messages): recorded, never applied.

Each part records the interval once and each account not found clear as an open gap finding
(`propfirm.store.gaps`), with an audit row for the interval and for each finding, and a `GapFindingRecorded`
event for each finding `breached` or `possible` (the operators' chat, the outbound webhooks), in one
transaction. A redelivered part records nothing twice and adds no audit row and no event. What happens to
the account is a person's decision (`/admin/gaps/findings/{id}/confirm|dismiss`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from propfirm.evaluation.events import TO_REVIEW, gap_finding_event
from propfirm.evaluation.report import EvaluationReport
from propfirm.queues.messages import GapReviewMessage
from propfirm.store.audit import AuditEntry
from propfirm.store.gaps import GapStore
from propfirm.store.uow import UnitOfWork


def record_gap_review(
    uow_factory: Callable[[], UnitOfWork], message: GapReviewMessage, clock: Callable[[], datetime]
) -> EvaluationReport:
    now = clock()
    report = EvaluationReport(accounts=len(message.accounts))
    with uow_factory() as uow:
        recorded = GapStore(uow).record(message, now)
        entries: list[AuditEntry] = []
        if recorded.new_review:
            entries.append(AuditEntry(
                "gap.review_recorded",
                {
                    "review_id": recorded.review_id,
                    "poller": message.poller,
                    "blind_from": message.blind_from.isoformat(),
                    "blind_to": message.blind_to.isoformat(),
                    "cause": message.cause,
                    "checked": message.checked,
                    "clear": message.clear,
                    "watched": message.watched,
                    "killed": message.killed,
                    "reason": message.reason,
                    "parts": message.parts,
                },
                None, message.server, None, now,
            ))
        accounts = {a.login: a for a in message.accounts}
        events = []
        for finding_id, login, outcome, challenge_id in recorded.new_findings:
            entries.append(AuditEntry(
                "gap.finding_recorded",
                {"id": finding_id, "review_id": recorded.review_id, "outcome": outcome},
                challenge_id, message.server, login, now,
            ))
            if outcome in TO_REVIEW:
                events.append(gap_finding_event(finding_id=finding_id, review_id=recorded.review_id,
                                                challenge_id=challenge_id, account=accounts[login], message=message,
                                                recorded_at=now))
        if entries:
            uow.audit.append(entries)
        uow.events.add(events)  # with the findings, in their transaction: the relay puts them on the bus
        uow.commit()
    report.skipped = len(message.accounts) - len(recorded.new_findings)
    if recorded.new_findings:
        report.notes.append(f"gap review {recorded.review_id}: {len(recorded.new_findings)} findings to review")
    return report
