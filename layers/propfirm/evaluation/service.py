"""The evaluator: one queue message in, the rule engine run per account, results recorded.

Per evaluation message (a claim check):
1. Redis, one pipeline: each named account's snapshot, cached challenge and floor presence.
2. PostgreSQL, one short transaction: the challenges' versions (one statement), the full rows of those
   whose cache is missing or stale, the message's deals stored idempotently (one statement).
3. Per account, in time order: trade deals, the trader's balance operations, then the snapshot, through
   the engine. Decisions are recorded in ONE transaction per account (state with the version check,
   transition rows, audit rows, outbox commands); a version conflict reloads the account from
   PostgreSQL and judges it once more.
4. One transaction for the rest: routine state saves (only when the state changed in a way that must
   survive a lost cache, or every N snapshots), equity points, daily statistics; three statements at most.
5. After the commits: the cache and the floors in one Redis pipeline; the outbox relay sends commands.
Kill reports and command results go to `feedback.FeedbackRecorder`.

Each step has its module: `loading` (1-2), `judging` (3, pure), `recording` (3's transactions),
`routine` (4 and the Redis writes of 5); this one orders them for a message and a batch.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

from propfirm.domain.warnings import DEFAULT_SHARE
from propfirm.evaluation.accounts import Account, Judged
from propfirm.evaluation.deals import ClassifiedDeal
from propfirm.evaluation.feedback import FeedbackRecorder
from propfirm.evaluation.gaps import record_gap_review
from propfirm.evaluation.judging import judge
from propfirm.evaluation.live import AccountLive, CachedChallenge, LiveState
from propfirm.evaluation.loading import AccountLoader
from propfirm.evaluation.news import NewsSource
from propfirm.evaluation.policy import SavePolicy
from propfirm.evaluation.recording import DecisionRecorder
from propfirm.evaluation.relay import OutboxRelay
from propfirm.evaluation.report import EvaluationReport
from propfirm.evaluation.routine import RoutineSaver
from propfirm.live.records import Snapshot
from propfirm.payouts.records import PayoutWorkflow
from propfirm.queues.messages import AnyEvaluationQueueMessage, EvaluationMessage, GapReviewMessage, KillReport
from propfirm.store.challenges import ChallengeRecord, ChallengeVersion
from propfirm.store.deals import DealRow
from propfirm.store.errors import ConcurrencyConflict
from propfirm.store.uow import UnitOfWork

log = logging.getLogger("propfirm.evaluation")


class Evaluator:
    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        live: LiveState,
        relay: OutboxRelay | None,
        policy: SavePolicy | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        relay_each_message: bool = True,
        warning_share: Decimal = DEFAULT_SHARE,
        news: NewsSource | None = None,
        payout_workflow: PayoutWorkflow | None = None,
    ) -> None:
        self.uow_factory = uow_factory
        self.payout_workflow = payout_workflow  # a withdrawal's result answers its payout's workflow
        self.live = live
        self.relay = relay
        self.policy = policy or SavePolicy()
        self.clock = clock
        self.news = news or NewsSource(uow_factory, clock)  # the calendar of programs with a news blackout
        # False: the caller runs the relay itself once after many messages (the Lambda handler does, after
        # each batch: one SendMessageBatch and one PutEvents for the batch instead of one per message)
        self.relay_each_message = relay_each_message
        # between begin_batch and end_batch: the challenges' versions, read once for a whole batch and kept
        # up to date with what this evaluator saves (server -> login -> version)
        self._versions: dict[str, dict[int, ChallengeVersion]] | None = None
        self.loader = AccountLoader(uow_factory, clock, self.policy.save_every_snapshots)
        # a version conflict judges again through `_judge` (a test stands in for it there)
        self.recorder = DecisionRecorder(uow_factory, clock, self.loader,
                                         lambda *args: self._judge(*args))
        self.routine = RoutineSaver(uow_factory, self.policy, warning_share)
        self._warned = self.routine.warned  # the early warnings this container recorded

    # -- a batch of messages ---------------------------------------------------------------------------
    def begin_batch(self, messages: list[EvaluationMessage]) -> None:
        """Read the versions of every account the batch's evaluation messages name: one statement per
        server instead of one per message. Only the versions: Redis is still read per message, right before
        each one is judged, so a floor hold stored meanwhile is seen (propfirm.live.holds)."""
        wanted: dict[str, set[int]] = defaultdict(set)
        for message in messages:
            wanted[message.server].update(message.logins)
            wanted[message.server].update(deal.login for deal in message.deals)
        self._versions = {}
        if not wanted:
            return
        with self.uow_factory().autocommitting() as uow:
            for server, logins in wanted.items():
                found = uow.challenges.versions(server, sorted(logins))
                self._versions[server] = {login: found.get(login) for login in logins}  # type: ignore[misc]

    def end_batch(self) -> None:
        self._versions = None

    def _known_versions(self, server: str, logins: list[int]) -> dict[int, ChallengeVersion] | None:
        view = None if self._versions is None else self._versions.get(server)
        if view is None or any(login not in view for login in logins):
            return None
        return {login: v for login in logins if (v := view[login]) is not None}

    def _remember_versions(self, server: str, judged: list[Judged], dropped: set[int]) -> None:
        view = None if self._versions is None else self._versions.get(server)
        if view is None:
            return
        for j in judged:
            a = j.account
            if a.login in dropped:
                view.pop(a.login, None)  # somebody else saved it: read it again
                continue
            known = view.get(a.login)
            if known is None or known.version != a.version or known.id != a.challenge_id:
                view[a.login] = ChallengeVersion(a.challenge_id, a.login, a.version)

    def handle(self, message: AnyEvaluationQueueMessage) -> EvaluationReport:
        if isinstance(message, EvaluationMessage):
            return self.evaluate(message)
        if isinstance(message, GapReviewMessage):  # recorded for review; no challenge changes
            return record_gap_review(self.uow_factory, message, self.clock)
        if self._versions is not None:  # a kill report or a result may change a challenge: read afresh
            self._versions.pop(message.server, None)
        feedback = FeedbackRecorder(self.uow_factory, self.live, self.clock, self.payout_workflow)
        if isinstance(message, KillReport):
            return feedback.record_kill(message)
        return feedback.record_command_result(message)

    # -- evaluation messages --------------------------------------------------------------------------
    def evaluate(self, message: EvaluationMessage) -> EvaluationReport:
        try:
            return self._evaluate(message)
        except BaseException:
            if self._versions is not None:  # what this message committed is not in the view: read afresh
                self._versions.pop(message.server, None)
            raise

    def _evaluate(self, message: EvaluationMessage) -> EvaluationReport:
        report = EvaluationReport()
        server = message.server
        deals_by_login: dict[int, list] = defaultdict(list)
        for deal in message.deals:
            deals_by_login[deal.login].append(deal)
        logins = sorted(set(message.logins) | set(deals_by_login))
        report.accounts = len(logins)
        live = self.live.read(server, logins)
        accounts, classified, rows = self._load(message, logins, live, deals_by_login)

        judged: list[Judged] = []
        for login in logins:
            account = accounts.get(login)
            if account is None:  # an account without a challenge: its deals are stored, nothing judged
                report.skipped += 1
                continue
            if live[login].snapshot_error:  # judged again with the next good snapshot
                log.warning("snapshot skipped", extra={"login": login, "error": live[login].snapshot_error})
            result = self._judge(account, live[login].snapshot, classified.get(login, []), message.deals_complete)
            result.floor_present = live[login].floor_present
            result.floor_hold = live[login].floor_hold
            result.floor_hold_unreadable = live[login].floor_hold_unreadable
            result.deal_rows = rows.pop(login, [])
            if result.decisions:
                result = self.recorder.record(
                    message, result, live[login], classified.get(login, []), report
                )
            judged.append(result)
        orphans = [row for account_rows in rows.values() for row in account_rows]
        writes, lost_race = self.routine.save(judged, orphans, report)
        self._remember_versions(server, judged, {w.login for w in writes if w.cache is None})
        # after the commits, in this order: the commands (the account's safety first), the floors and
        # caches, the events. Commands and events wait in PostgreSQL's outbox: whatever a crash or an
        # unreachable queue or bus leaves unsent is sent by the next relay run (after every batch, and
        # every minute), with the same ids.
        relay = self.relay if report.transitions and self.relay_each_message else None
        if relay is not None:
            report.commands_sent = self._relay("commands", relay.run)
        self.live.write(server, writes, self.clock())
        if relay is not None:
            report.events_sent = self._relay("events", relay.run_events)
        if lost_race:
            # deals judged on a state that another writer replaced meanwhile: neither was stored, so the
            # message fails and comes back, and its deals are judged on the state that won
            raise ConcurrencyConflict(lost_race[0], -1)
        return report

    @staticmethod
    def _relay(what: str, step: Callable[[], int]) -> int:
        try:
            return step()
        except Exception:
            log.exception("outbox relay failed; %s stay pending", what)
            return 0

    # -- the steps (their own modules); the methods a variant may replace ------------------------------
    def _load(
        self, message: EvaluationMessage, logins: list[int], live: dict[int, AccountLive],
        deals_by_login: dict[int, list],
    ) -> tuple[dict[int, Account], dict[int, list[ClassifiedDeal]], dict[int, list[DealRow]]]:
        return self.loader.load(message, logins, live, self._known_versions(message.server, logins))

    def _from_record(self, record: ChallengeRecord, uow: UnitOfWork, start_time: datetime | None = None,
                     stale: CachedChallenge | None = None) -> Account:
        return self.loader.from_record(record, uow, start_time, stale)

    def _judge(self, account: Account, snapshot: Snapshot | None, deals: list[ClassifiedDeal],
               deals_complete: datetime) -> Judged:
        return judge(account, snapshot, deals, deals_complete, self.news.for_program(account.program))
