"""Decisions recorded: one transaction per account that the engine decided something for."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from propfirm.domain import decisions as d
from propfirm.domain.state import ACTIVE, FAILED
from propfirm.evaluation.accounts import Account, Judged
from propfirm.evaluation.deals import ClassifiedDeal
from propfirm.evaluation.evidence import evidence
from propfirm.evaluation.live import AccountLive
from propfirm.evaluation.loading import AccountLoader
from propfirm.evaluation.report import EvaluationReport
from propfirm.evaluation.transitions import Consequences, Transition, write_transition
from propfirm.explain.inputs import decision_inputs
from propfirm.live.records import Snapshot
from propfirm.queues.messages import EvaluationMessage
from propfirm.store.audit import AuditEntry
from propfirm.store.errors import ConcurrencyConflict
from propfirm.store.events import DomainEvent
from propfirm.store.outbox import OutboxCommand
from propfirm.store.uow import UnitOfWork

log = logging.getLogger("propfirm.evaluation")


class DecisionRecorder:
    """One transaction per account with decisions: the state with the version check, the transitions, their
    audit rows, commands and events. A version conflict reloads the account from PostgreSQL and judges it
    once more."""

    def __init__(self, uow_factory: Callable[[], UnitOfWork], clock: Callable[[], datetime], loader: AccountLoader,
                 judge: Callable[[Account, Snapshot | None, list[ClassifiedDeal], datetime], Judged]) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.loader = loader
        self.judge = judge

    def record(
        self,
        message: EvaluationMessage,
        judged: Judged,
        live: AccountLive,
        deals: list[ClassifiedDeal],
        report: EvaluationReport,
    ) -> Judged:
        for attempt in (1, 2):
            try:
                self._commit(message, judged, report)
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
                    account = self.loader.from_record(record, uow)
                rows = judged.deal_rows
                judged = self.judge(account, live.snapshot, deals, message.deals_complete)
                judged.deal_rows = rows
                judged.floor_present = live.floor_present
                judged.floor_hold = live.floor_hold
                judged.floor_hold_unreadable = live.floor_hold_unreadable
                if not judged.decisions:
                    return judged
        return judged  # pragma: no cover

    def _commit(self, message: EvaluationMessage, judged: Judged, report: EvaluationReport) -> None:
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
                written = write_transition(
                    uow,
                    Transition(
                        challenge_id=account.challenge_id,
                        number=number,
                        from_phase=state_before.phase_index,
                        to_phase=to_phase,
                        kind=decision.decision,
                        reason=decision.reason,
                        equity=decision.equity,
                        limit=decision.limit,
                        decided_at=decision.time,
                        state_version=new_version,
                        evidence=proof,
                    ),
                    Consequences(
                        decision=decision,
                        program=account.program,
                        program_id=account.program_id,
                        program_version=account.program_version,
                        next_phase=to_phase if passed else None,
                        balance=judged.snapshot.balance if judged.snapshot else state_before.balance,
                        next_reset=state_after.next_reset,
                        issued_at=now,
                    ),
                )
                if written.reset_command_id is not None:
                    awaiting = written.reset_command_id
                commands.extend(written.commands)
                if written.event is not None:
                    events.append(written.event)
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
                            "commands": [c.command_id for c in written.commands],
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
