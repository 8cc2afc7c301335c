"""What comes back from the poller: kill reports (its fast path acted) and command results.

A kill report is recorded as pending on the challenge: the breach becomes a transition when the engine
judges the snapshot (the evaluator's own decision), with the kill's close result in its evidence. A kill
arriving after that decision only adds an audit row. So the two make one transition, whichever comes
first. A command result updates its outbox row and adds an audit row.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from propfirm.domain.state import FAILED, ChallengeState
from propfirm.evaluation.live import CachedChallenge, LiveState, LiveWrite
from propfirm.evaluation.provisioning import bind_created_account
from propfirm.evaluation.report import EvaluationReport
from propfirm.payouts.service import PayoutWorkflow, on_withdrawal_result, payout_of_command
from propfirm.queues.messages import CommandResult, KillReport
from propfirm.store.audit import AuditEntry
from propfirm.store.uow import UnitOfWork

log = logging.getLogger("propfirm.evaluation")


class FeedbackRecorder:
    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        live: LiveState,
        clock: Callable[[], datetime],
        payout_workflow: PayoutWorkflow | None,
    ) -> None:
        self.uow_factory = uow_factory
        self.live = live
        self.clock = clock
        self.payout_workflow = payout_workflow  # answers a withdrawal's waiting task (None: the sweep will)

    def record_kill(self, kill: KillReport) -> EvaluationReport:
        """The poller's fast path acted. The breach is recorded as the evaluator's own decision when it
        judges the snapshot (the engine fails the account on it); the kill's close result goes into that
        transition's evidence. A kill arriving after the decision only adds an audit row, so the two
        make one transition whichever comes first."""
        report = EvaluationReport(accounts=1)
        live = self.live.read(kill.server, [kill.login])[kill.login]
        kill_json = kill.model_dump(mode="json")
        now = self.clock()
        write: LiveWrite | None = None
        with self.uow_factory() as uow:
            record = uow.challenges.get_for_update(kill.server, kill.login)
            if record is None:
                uow.audit.append(
                    [AuditEntry("kill.unknown_account", kill_json, None, kill.server, kill.login, now)]
                )
                uow.commit()
                report.skipped = 1
                return report
            cached = live.cached
            if cached is not None and (cached.version != record.version or cached.challenge_id != record.id):
                cached = None  # the cache holds another version: PostgreSQL's record it is
            state = ChallengeState.from_dict(cached.state if cached is not None else record.state or {})
            already = state.status == FAILED or (kill.floor.action == "pause" and state.daily_paused)
            if already or record.pending_kill is not None:
                uow.audit.append(
                    [
                        AuditEntry(
                            "kill.after_decision" if already else "kill.repeated",
                            {"kill": kill_json, "transitions": record.transitions},
                            record.id,
                            kill.server,
                            kill.login,
                            now,
                        )
                    ]
                )
                uow.commit()
                return report
            version = uow.challenges.save(
                record,
                state=state.to_dict(),
                status=state.status,
                phase=state.phase_index,
                awaiting_reset=record.awaiting_reset,
                pending_kill=kill_json,
            )
            uow.audit.append(
                [
                    AuditEntry(
                        "kill.pending",
                        {"kill": kill_json, "state_version": version},
                        record.id,
                        kill.server,
                        kill.login,
                        now,
                    )
                ]
            )
            uow.commit()
            write = LiveWrite(
                kill.login,
                CachedChallenge(
                    challenge_id=record.id,
                    version=version,
                    program_id=record.program_id,
                    program_version=record.program_version,
                    state=state.to_dict(),
                    unsaved=0,
                    floor=cached.floor if cached is not None else None,
                    point=cached.point if cached is not None else None,
                    awaiting_reset=record.awaiting_reset,
                    pending_kill=kill_json,
                ),
            )
        self.live.write(kill.server, [write], self.clock())
        return report

    def record_command_result(self, result: CommandResult) -> EvaluationReport:
        now = self.clock()
        body = result.model_dump(mode="json")
        with self.uow_factory() as uow:
            known = uow.outbox.record_result(result.command_id, result.ok, body, now)
            bind_created_account(uow, result, now)  # a purchase's new account joins its challenge
            uow.audit.append(
                [
                    AuditEntry(
                        "command.done" if result.ok else "command.failed",
                        {"result": body, "known": known},
                        None,
                        result.server,
                        result.login,
                        now,
                    )
                ]
            )
            uow.commit()
        if not result.ok:
            log.error("command failed on MT5", extra={"command_id": result.command_id, "error": result.error})
        self._payout_hook(result, now)
        return EvaluationReport(accounts=1)

    def _payout_hook(self, result: CommandResult, now: datetime) -> None:
        """Payouts (docs/payouts.md): a payout's withdrawal result answers its workflow's waiting task.
        Never raises: a Step Functions hiccup must not hold up this shard's evaluations; the payouts
        sweep (`service.start_pending`) answers the token later from the result recorded above."""
        if payout_of_command(result.command_id) is None:
            return
        try:
            on_withdrawal_result(
                self.uow_factory(),
                result,
                now,
                self.payout_workflow,
                redis=self.live.client,
                namespace=self.live.keys.namespace,
            )
        except Exception:
            log.exception("payout withdrawal result not passed on", extra={"command_id": result.command_id})
