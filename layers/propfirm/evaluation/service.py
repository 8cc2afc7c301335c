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
"""

from __future__ import annotations

import dataclasses
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from propfirm.domain import decisions as d
from propfirm.domain import engine
from propfirm.domain.events import BalanceOperation, Position
from propfirm.domain.events import Snapshot as SnapshotEvent
from propfirm.domain.floors import EquityFloor
from propfirm.domain.programs import Program
from propfirm.domain.state import ACTIVE, FAILED, ChallengeState
from propfirm.domain.warnings import DEFAULT_SHARE, warning_for
from propfirm.evaluation.commands import plan_commands
from propfirm.evaluation.deals import ROLE_SYSTEM, ClassifiedDeal, classify, is_balance_like, to_event
from propfirm.evaluation.events import plan_event, warning_event
from propfirm.evaluation.evidence import evidence
from propfirm.evaluation.feedback import FeedbackRecorder
from propfirm.evaluation.live import AccountLive, CachedChallenge, LiveState, LiveWrite
from propfirm.evaluation.placement import place_snapshot
from propfirm.evaluation.policy import SavePolicy
from propfirm.evaluation.relay import OutboxRelay
from propfirm.evaluation.report import EvaluationReport
from propfirm.explain.inputs import decision_inputs
from propfirm.live.holds import FloorHold
from propfirm.live.records import FloorRecord, PositionSummary, Snapshot, iso_utc
from propfirm.queues.messages import CommandResult, EvaluationMessage, KillReport
from propfirm.store.audit import AuditEntry
from propfirm.store.challenges import ChallengeRecord, ChallengeVersion, RoutineSave
from propfirm.store.deals import DealRow
from propfirm.store.errors import ConcurrencyConflict
from propfirm.store.events import DomainEvent
from propfirm.store.outbox import OutboxCommand
from propfirm.store.statistics import DayClose, DayOpen, EquityPoint
from propfirm.store.uow import UnitOfWork

log = logging.getLogger("propfirm.evaluation")


@dataclass
class Account:
    """One account's challenge while a message is judged."""

    login: int
    challenge_id: int
    version: int
    transitions: int
    program_id: str
    program_version: int
    program: Program
    state: ChallengeState
    unsaved: int
    floor: dict[str, Any] | None
    point: Any
    awaiting_reset: str | None
    pending_kill: dict[str, Any] | None
    state_json: dict[str, Any] | None = None  # `state.to_dict()` when known (the cache): reused when saving


@dataclass
class Judged:
    """What the engine made of one account's events."""

    account: Account
    before: ChallengeState
    after: ChallengeState
    decisions: list[tuple[d.Decision, ChallengeState, ChallengeState]]  # (decision, state before, after)
    snapshot: Snapshot | None
    snapshot_judged: bool
    deals_applied: bool
    awaiting_reset: str | None
    floor_present: bool = True
    applied_comments: frozenset[str] = frozenset()  # comments of the balance operations judged now
    floor_hold: FloorHold | None = None  # a withdrawal on its way (propfirm.live.holds)
    floor_hold_unreadable: bool = False
    deal_rows: list[DealRow] = field(default_factory=list)  # stored with the state that applied them
    events: list[Any] = field(default_factory=list)  # the engine events judged, in order (a decision's inputs)
    _floor: Any = field(default=None, repr=False)  # (the floor,) once computed

    def floor(self) -> EquityFloor | None:
        """The floor the state after the events sets: computed once, shared by the early warning and the
        live write."""
        if self._floor is None:
            self._floor = (engine.equity_floor(self.account.program, self.after),)
        return self._floor[0]


def _position(p: PositionSummary) -> Position:
    """The engine's view of a polled position: its floating result is profit and swap together."""
    if p.profit is None:
        return Position(p.symbol, p.volume, p.side, None, p.value)
    return Position(p.symbol, p.volume, p.side, p.profit + (p.swap or 0), p.value)


def _snapshot_event(s: Snapshot) -> SnapshotEvent:
    positions = None if s.positions is None else tuple(_position(p) for p in s.positions)
    return SnapshotEvent(
        time=s.time, login=s.login, balance=s.balance, equity=s.equity, positions=positions, server=s.server
    )


@lru_cache(maxsize=1024)
def _iso(moment: datetime) -> str:
    return iso_utc(moment)  # most accounts of a program share the next reset: format it once


def _floor_json(level: Decimal, floor: EquityFloor, version: int) -> dict[str, Any]:
    """What `FloorRecord.as_json()` gives for this floor, built cheaply to compare with the published one
    (when the two formats ever differ, the floor is merely rewritten)."""
    return {
        "v": 1,
        "level": str(level),
        "expires_at": _iso(floor.expires_at),
        "reason": floor.reason,
        "breach_at": floor.breach_at,
        "action": floor.action,
        "version": version,
    }


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
    ) -> None:
        self.uow_factory = uow_factory
        self.live = live
        self.relay = relay
        self.policy = policy or SavePolicy()
        self.clock = clock
        # False: the caller runs the relay itself once after many messages (the Lambda handler does, after
        # each batch: one SendMessageBatch and one PutEvents for the batch instead of one per message)
        self.relay_each_message = relay_each_message
        # between begin_batch and end_batch: the challenges' versions, read once for a whole batch and kept
        # up to date with what this evaluator saves (server -> login -> version)
        self._versions: dict[str, dict[int, ChallengeVersion]] | None = None
        # early warnings: the share of a loss limit left that warns, and the warnings this container has
        # recorded (the event id dedups across containers; this spares the statement)
        self.warning_share = warning_share
        self._warned: set[str] = set()

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
            else:
                view[a.login] = ChallengeVersion(a.challenge_id, a.login, a.version)

    def handle(self, message: EvaluationMessage | KillReport | CommandResult) -> EvaluationReport:
        if isinstance(message, EvaluationMessage):
            return self.evaluate(message)
        if self._versions is not None:  # a kill report or a result may change a challenge: read afresh
            self._versions.pop(message.server, None)
        feedback = FeedbackRecorder(self.uow_factory, self.live, self.clock)
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
                result = self._record_decisions(
                    message, result, live[login], classified.get(login, []), report
                )
            judged.append(result)
        orphans = [row for account_rows in rows.values() for row in account_rows]
        writes, lost_race = self._save_routine(judged, orphans, report)
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

    def _load(
        self,
        message: EvaluationMessage,
        logins: list[int],
        live: dict[int, AccountLive],
        deals_by_login: dict[int, list],
    ) -> tuple[dict[int, Account], dict[int, list[ClassifiedDeal]], dict[int, list[DealRow]]]:
        """Reads only (autocommit: no BEGIN/COMMIT round trips): the accounts, and the message's deals not
        stored yet, classified, with their rows. A deal is stored in the transaction that saves the state
        which applied it, so a stored deal has been applied: a redelivered or repeated deal is not judged
        twice, and one whose state was never saved (a crash) is judged again."""
        server = message.server
        accounts: dict[int, Account] = {}
        known = self._known_versions(server, logins)
        with self.uow_factory().autocommitting() as uow:
            versions = known if known is not None else uow.challenges.versions(server, logins)
            stale = [
                v.id
                for login, v in versions.items()
                if (cache := live[login].cached) is None or cache.version != v.version or cache.challenge_id != v.id
            ]
            records = uow.challenges.many(stale) if stale else {}
            for login, v in versions.items():
                cached = live[login].cached
                if v.id in records:
                    accounts[login] = self._from_record(records[v.id], uow, message.time, cached)
                elif cached is not None:
                    accounts[login] = self._from_cache(login, cached, uow)
            classified: dict[int, list[ClassifiedDeal]] = {}
            rows: dict[int, list[DealRow]] = {}
            if not message.deals:
                return accounts, classified, rows
            stored = uow.deals.stored(server, sorted({deal.ticket for deal in message.deals}))
            fresh, seen = [], set(stored)
            for deal in message.deals:
                if deal.ticket not in seen:
                    seen.add(deal.ticket)
                    fresh.append(deal)
            system: dict[tuple[int, str], str] = {}
            funding: set[int] = set()
            balance_deals = [deal for deal in fresh if is_balance_like(deal)]
            if balance_deals:
                with_balance = sorted({deal.login for deal in balance_deals})
                system = uow.outbox.system_comments(
                    server, with_balance, sorted({x.comment for x in balance_deals})
                )
                funding = uow.outbox.funding_deals(server, with_balance)
        for deal in fresh:
            challenge = versions.get(deal.login)
            c = classify(deal, system, funding)
            classified.setdefault(deal.login, []).append(c)
            rows.setdefault(deal.login, []).append(
                DealRow(
                    server,
                    deal.ticket,
                    deal.login,
                    challenge.id if challenge else None,
                    deal.time,
                    deal.action,
                    deal.entry,
                    deal.symbol,
                    deal.volume,
                    deal.price,
                    deal.profit,
                    deal.commission,
                    deal.swap,
                    deal.position,
                    deal.order,
                    deal.comment,
                    c.role,
                    deal.value,
                )
            )
        return accounts, classified, rows

    def _from_record(
        self,
        record: ChallengeRecord,
        uow: UnitOfWork,
        start_time: datetime | None = None,
        stale: CachedChallenge | None = None,
    ) -> Account:
        program = uow.programs.get(record.program_id, record.program_version)
        assert record.login is not None
        unsaved = 0
        if record.state is None:
            # a challenge created before its MT5 account (a purchase): it starts with its first evaluation
            state = engine.new_challenge(program, record.login, start_time or self.clock(), record.server)
            if record.phase:
                state = engine.begin_phase(program, state, record.phase, state.phase_started_at)
            unsaved = self.policy.save_every_snapshots  # saved by this message
        else:
            state = ChallengeState.from_dict(record.state)
        # what an outdated cache knew of the published floor and the last equity point still holds
        same = stale is not None and stale.challenge_id == record.id
        return Account(
            record.login,
            record.id,
            record.version,
            record.transitions,
            record.program_id,
            record.program_version,
            program,
            state,
            unsaved,
            stale.floor if same else None,  # type: ignore[union-attr]
            stale.point if same else None,  # type: ignore[union-attr]
            record.awaiting_reset,
            record.pending_kill,
        )

    def _from_cache(self, login: int, cached: CachedChallenge, uow: UnitOfWork) -> Account:
        program = uow.programs.get(cached.program_id, cached.program_version)
        state = cached.challenge_state()
        # the transition count is read FOR UPDATE when a decision is recorded
        return Account(
            login,
            cached.challenge_id,
            cached.version,
            -1,
            cached.program_id,
            cached.program_version,
            program,
            state,
            cached.unsaved,
            cached.floor,
            cached.point,
            cached.awaiting_reset,
            cached.pending_kill,
            cached.state,
        )

    def _judge(
        self, account: Account, snapshot: Snapshot | None, deals: list[ClassifiedDeal], deals_complete: datetime
    ) -> Judged:
        """`deals_complete`: up to when the account's deals are all known with this message (its cycle's time,
        or the deal window's end while the poller catches up a backlog); `snapshot`: the account's latest in
        Redis, which a lagging evaluator may find from a later cycle."""
        before = account.state
        awaiting = account.awaiting_reset
        if before.status != ACTIVE:  # failed or passed for good: nothing more to judge (deals are stored)
            return Judged(account, before, before, [], snapshot, False, False, awaiting)
        reset_time = None
        events: list[tuple[datetime, int, Any]] = []
        comments: set[str] = set()
        for c in deals:
            if c.role == ROLE_SYSTEM and awaiting is not None and c.system_command == awaiting:
                awaiting, reset_time = None, c.record.time  # the reset is done: judge snapshots again
                continue
            event = to_event(c, before.server, before.phase_started_at)
            if event is not None:
                events.append((event.time, 0, event))
                if isinstance(event, BalanceOperation):
                    comments.add(c.record.comment)
        snapshot_judged = False
        if (
            snapshot is not None
            and awaiting is None
            and (reset_time is None or snapshot.time >= reset_time)
            and engine.no_reset_between(account.program, before, deals_complete, snapshot.time)
        ):
            events.append((snapshot.time, 1, _snapshot_event(snapshot)))
            snapshot_judged = True
        # else, for the last condition: a snapshot read past a day's reset that the known deals do not reach
        # yet (a later cycle's, found by a lagging evaluator; or this cycle's while the poller catches up a
        # backlog of deals) is left to a later message (the poller sends one for every snapshot it writes,
        # and names every account again within its heartbeat). Deals dated before the reset may still wait
        # in the queue behind this message, and the day must close on all of them: judged now, the reset
        # would take the balance without them and keep it (the high-water mark, the next day's basis)
        events.sort(key=lambda e: (e[0], e[1]))
        if snapshot_judged and events[-1][1] == 0:  # deals dated after the snapshot: does its balance hold them?
            events = place_snapshot(account.program, before, events)
        state = before
        decisions: list[tuple[d.Decision, ChallengeState, ChallengeState]] = []
        deals_applied = False
        for _, order, event in events:
            outcome = engine.evaluate(account.program, state, event)
            if order == 0:
                deals_applied = True
            elif outcome.ignored:
                snapshot_judged = False
            for decision in outcome.decisions:
                decisions.append((decision, state, outcome.state))
            state = outcome.state
        return Judged(
            account, before, state, decisions, snapshot, snapshot_judged, deals_applied, awaiting,
            applied_comments=frozenset(comments), events=[e for _, _, e in events] if decisions else [],
        )

    # -- decisions: one transaction per account ------------------------------------------------------
    def _record_decisions(
        self,
        message: EvaluationMessage,
        judged: Judged,
        live: AccountLive,
        deals: list[ClassifiedDeal],
        report: EvaluationReport,
    ) -> Judged:
        for attempt in (1, 2):
            try:
                self._commit_decisions(message, judged, report)
                return judged
            except ConcurrencyConflict:
                report.conflicts += 1
                if attempt == 2:
                    raise
                log.warning(
                    "version conflict; judging the account again from PostgreSQL",
                    extra={"challenge_id": judged.account.challenge_id},
                )
                with self.uow_factory() as uow:
                    record = uow.challenges.get(judged.account.challenge_id)
                    account = self._from_record(record, uow)
                rows = judged.deal_rows
                judged = self._judge(account, live.snapshot, deals, message.deals_complete)
                judged.deal_rows = rows
                judged.floor_present = live.floor_present
                judged.floor_hold = live.floor_hold
                judged.floor_hold_unreadable = live.floor_hold_unreadable
                if not judged.decisions:
                    return judged
        return judged  # pragma: no cover

    def _commit_decisions(self, message: EvaluationMessage, judged: Judged, report: EvaluationReport) -> None:
        account, after = judged.account, judged.after
        now = self.clock()
        with self.uow_factory() as uow:
            record = uow.challenges.get_for_update(after.server, account.login)
            if record is None or record.id != account.challenge_id or record.version != account.version:
                raise ConcurrencyConflict(account.challenge_id, account.version)
            new_version = account.version + 1
            awaiting = judged.awaiting_reset
            pending_kill = account.pending_kill
            commands: list[OutboxCommand] = []
            events: list[DomainEvent] = []
            audit: list[AuditEntry] = []
            for i, (decision, state_before, state_after) in enumerate(judged.decisions, start=1):
                number = record.transitions + i
                passed = decision.decision in (d.PHASE_PASSED, d.FUNDED)
                to_phase = (
                    state_after.phase_index
                    if passed and state_after.status == ACTIVE
                    else None
                    if decision.decision == d.FAILED
                    else state_before.phase_index
                )
                kill = None
                if pending_kill is not None and decision.reason in (d.DAILY_LOSS, d.MAX_LOSS):
                    kill, pending_kill = pending_kill, None
                proof = evidence(
                    decision,
                    snapshot=judged.snapshot,
                    before=state_before,
                    program=account.program,
                    program_version=account.program_version,
                    inputs=decision_inputs(
                        judged.before.to_dict(), judged.events, account.program_id, account.program_version, i - 1
                    ),
                    state_version=new_version,
                    floor=account.floor,
                    kill=kill,
                    message={
                        "server": message.server,
                        "cycle": message.cycle,
                        "shard": message.shard,
                        "part": message.part,
                    },
                )
                planned = plan_commands(
                    challenge_id=account.challenge_id,
                    transition_no=number,
                    decision=decision,
                    program=account.program,
                    next_phase=to_phase if passed else None,
                    balance=judged.snapshot.balance if judged.snapshot else state_before.balance,
                    next_reset=state_after.next_reset,
                    issued_at=now,
                )
                if planned.reset_command_id is not None:
                    awaiting = planned.reset_command_id
                commands.extend(planned.commands)
                event = plan_event(
                    challenge_id=account.challenge_id,
                    transition_no=number,
                    decision=decision,
                    from_phase=state_before.phase_index,
                    to_phase=to_phase,
                    program_id=account.program_id,
                    program_version=account.program_version,
                )
                if event is not None:
                    events.append(event)
                uow.challenges.add_transition(
                    challenge_id=account.challenge_id,
                    transition_no=number,
                    from_phase=state_before.phase_index,
                    to_phase=to_phase,
                    decision=decision.decision,
                    reason=decision.reason,
                    equity=decision.equity,
                    limit=decision.limit,
                    decided_at=decision.time,
                    state_version=new_version,
                    evidence=proof,
                )
                audit.append(
                    AuditEntry(
                        kind=f"challenge.{decision.decision}",
                        challenge_id=account.challenge_id,
                        server=decision.server,
                        login=decision.login,
                        created_at=now,
                        payload={
                            "transition_no": number,
                            "decision": decision.to_json_dict(),
                            "from_phase": state_before.phase_index,
                            "to_phase": to_phase,
                            "state_version": new_version,
                            "program": {"id": account.program_id, "version": account.program_version},
                            "commands": [c.command_id for c in planned.commands],
                            "evidence": proof,
                        },
                    )
                )
            if after.status == FAILED:
                # a scheduled re-enable (a pause's) must not wake a failed account at the next reset
                uow.outbox.cancel_scheduled(account.challenge_id)
            saved = uow.challenges.save(
                record,
                state=after.to_dict(),
                status=after.status,
                phase=after.phase_index,
                transitions_added=len(judged.decisions),
                awaiting_reset=awaiting,
                pending_kill=pending_kill,
            )
            uow.outbox.add(commands)
            uow.events.add(events)
            uow.audit.append(audit)
            uow.deals.upsert(judged.deal_rows)
            uow.commit()
        judged.deal_rows = []
        account.version, account.transitions = saved, record.transitions + len(judged.decisions)
        account.unsaved, account.pending_kill = 0, pending_kill
        judged.awaiting_reset = awaiting
        report.decisions += len(judged.decisions)
        report.transitions += len(judged.decisions)

    # -- the rest: one transaction ------------------------------------------------------------------
    def _save_routine(
        self, judged: list[Judged], orphans: list[DealRow], report: EvaluationReport
    ) -> tuple[list[LiveWrite], list[int]]:
        """One transaction: routine state saves, the deals they applied, equity points, daily statistics.
        Returns the Redis writes, and the challenges whose save lost a version race while deals were
        applied to them (those deals are not stored: the message must come back)."""
        saves: list[RoutineSave] = []
        warnings: list[DomainEvent] = []
        points: list[EquityPoint] = []
        opened: list[DayOpen] = []
        closed: list[DayClose] = []
        for j in judged:
            a, before, after = j.account, j.before, j.after
            report.judged += 1 if j.snapshot_judged else 0
            unsaved = a.unsaved + (1 if j.snapshot_judged else 0)
            if not j.decisions and (
                self.policy.must_save(before, after, j.deals_applied, unsaved)
                or j.awaiting_reset != a.awaiting_reset
            ):
                saves.append(
                    RoutineSave(
                        a.challenge_id,
                        a.version,
                        after.to_dict(),
                        after.status,
                        after.phase_index,
                        j.awaiting_reset,
                    )
                )
            else:
                a.unsaved = unsaved if not j.decisions else 0
            if (
                j.snapshot_judged
                and j.snapshot is not None
                and self.policy.keeps_point(
                    a.point, j.snapshot.time, j.snapshot.equity, a.program.account_size
                )
            ):
                points.append(
                    EquityPoint(a.challenge_id, j.snapshot.time, j.snapshot.balance, j.snapshot.equity)
                )
                a.point = (j.snapshot.time, j.snapshot.equity)
            if j.snapshot_judged and j.snapshot is not None and not j.decisions:
                warning = self._warning(j)
                if warning is not None:
                    warnings.append(warning)
            if after.day_label != before.day_label:
                closed.append(
                    DayClose(
                        a.challenge_id,
                        before.day_label,
                        before.balance,
                        before.equity,
                        before.balance - before.day_start_balance - before.day_ops,
                    )
                )
                opened.append(
                    DayOpen(
                        a.challenge_id,
                        after.day_label,
                        after.day_start_balance,
                        before.equity,
                        after.daily_floor,
                    )
                )
        conflicts: list[int] = []
        lost: list[int] = []
        with_rows = [j for j in judged if j.deal_rows]
        if saves or points or opened or orphans or with_rows or warnings:
            with self.uow_factory() as uow:
                saved, conflicts = uow.challenges.save_many(saves)
                uow.events.add(warnings)
                refused = set(conflicts)
                lost = [j.account.challenge_id for j in with_rows if j.account.challenge_id in refused]
                uow.deals.upsert(
                    orphans + [r for j in with_rows if j.account.challenge_id not in refused for r in j.deal_rows]
                )
                uow.statistics.add_points(points)
                uow.statistics.close_days(closed)
                uow.statistics.open_days(opened)
                uow.commit()
            for j in judged:
                if j.account.challenge_id in saved:
                    j.account.version, j.account.unsaved = saved[j.account.challenge_id], 0
            report.routine_saves += len(saved)
            report.conflicts += len(conflicts)
        return [self._live_write(j, j.account.challenge_id in conflicts) for j in judged], lost

    def _warning(self, j: Judged) -> DomainEvent | None:
        """The trader's early warning this snapshot calls for, once per rule and day (None: none due)."""
        assert j.snapshot is not None
        a = j.account
        share = a.program.warning_share(self.warning_share)
        if not share:
            return None
        warning = warning_for(a.program, j.after, j.floor(), j.snapshot.equity, share)
        if warning is None:
            return None
        event = warning_event(
            challenge_id=a.challenge_id, login=a.login, server=j.after.server, warning=warning,
            time=j.snapshot.time,
        )
        if event.event_id in self._warned:
            return None
        if len(self._warned) > 100_000:  # a long-lived container: forget, the event id still dedups
            self._warned.clear()
        self._warned.add(event.event_id)
        return event

    def _live_write(self, j: Judged, conflicted: bool) -> LiveWrite:
        a, after = j.account, j.after
        if conflicted:
            log.warning(
                "routine save lost a version race; cache dropped", extra={"challenge_id": a.challenge_id}
            )
            return LiveWrite(a.login, None)
        floor = j.floor()
        write = LiveWrite(a.login, None)
        hold = j.floor_hold
        if hold is not None and hold.comment in j.applied_comments:
            write.clear_hold, hold = True, None  # the engine has judged the withdrawal: its floor is true
        published = None
        if floor is not None and not j.floor_hold_unreadable:  # an unreadable hold: no floor, not a high one
            # a withdrawal on its way: the true floor is lower by its amount (propfirm.live.holds)
            level = floor.level if hold is None else floor.level - hold.amount
            published = _floor_json(level, floor, a.version)
            if published != a.floor or not j.floor_present:  # changed, new version, or lost from Redis
                record = dataclasses.replace(FloorRecord.from_equity_floor(floor, a.version), level=level)
                write.floor, published = record, record.as_json()
            else:
                published = a.floor  # unchanged: nothing to write
        elif a.floor is not None or j.floor_present:
            write.delete_floor = True  # no floor applies any more (failed, passed the last phase)
        write.cache = CachedChallenge(
            challenge_id=a.challenge_id,
            version=a.version,
            program_id=a.program_id,
            program_version=a.program_version,
            # the cached state's text is reused for every field the events left as they were
            state=after.to_dict() if a.state_json is None else after.to_dict_since(a.state, a.state_json),
            decoded=after,
            unsaved=a.unsaved,
            floor=published,
            point=a.point,
            awaiting_reset=j.awaiting_reset,
            pending_kill=a.pending_kill,
        )
        return write
