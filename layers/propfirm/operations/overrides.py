"""An operator's manual override (fail, pass or restart a phase), recorded like the evaluator's own
decisions: the state saved with the version check, and through the evaluator's own transition writer
(`evaluation.transitions.write_transition`) a phase transition (reason `manual`, the operator and their
reason in its evidence) with the commands and the domain event its decision makes (ChallengeFailed,
Passed or Funded, for the bus and every integration on it); an audit row; all in one transaction. The
floor published to the poller is dropped after a failure. Raises ChallengeNotFound, OperationConflict.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import redis

from propfirm.domain import decisions as d
from propfirm.domain import engine
from propfirm.domain.decisions import Decision
from propfirm.domain.rules import compiled
from propfirm.domain.state import ACTIVE, FAILED, PASSED, PROVISIONING, ChallengeState
from propfirm.evaluation.transitions import Consequences, Transition, write_transition
from propfirm.live.floors import delete_floor
from propfirm.live.keys import LiveKeys
from propfirm.live.records import Snapshot
from propfirm.operations.errors import ChallengeNotFound, OperationConflict
from propfirm.store.audit import AuditEntry
from propfirm.store.errors import ConcurrencyConflict
from propfirm.store.uow import UnitOfWork

MANUAL = "manual"
RESET = "reset"  # an operator restarted the phase (a transition of its own: from_phase == to_phase)


@dataclass(frozen=True)
class OverrideResult:
    challenge_id: int
    transition_no: int
    decision: str
    status: str
    phase: int
    commands: list[str]


def _snapshot(client: redis.Redis, keys: LiveKeys, server: str, login: int) -> Snapshot | None:
    try:
        raw = client.get(keys.snap(server, login))
        return Snapshot.decode(raw) if raw else None
    except (redis.RedisError, ValueError, KeyError, TypeError):
        return None


def override(
    uow: UnitOfWork,
    client: redis.Redis,
    keys: LiveKeys,
    *,
    challenge_id: int,
    action: str,  # "fail" | "pass" | "reset"
    reason: str,
    operator: str,
    now: datetime,
) -> OverrideResult:
    locked = uow.fetchone("SELECT id FROM challenges WHERE id = %s FOR UPDATE", (challenge_id,))
    if locked is None:
        raise ChallengeNotFound(f"no challenge {challenge_id}")
    record = uow.challenges.get(challenge_id)
    if action == "reset":
        if record.status not in (ACTIVE, FAILED) or record.login is None:
            raise OperationConflict(
                f"challenge {challenge_id} is {record.status}: only an account that trades or failed resets"
            )
    elif record.status not in (ACTIVE, PROVISIONING):
        raise OperationConflict(f"challenge {challenge_id} is {record.status}: there is nothing to override")
    if record.login is None and action == "pass":
        raise OperationConflict(f"challenge {challenge_id} has no MT5 account yet: it cannot pass")
    program = uow.programs.get(record.program_id, record.program_version)
    if action == "pass" and program.phases[record.phase].funded:
        raise OperationConflict(f"challenge {challenge_id} is in its funded stage: there is no phase to pass")
    cp = compiled(program)
    if record.state is not None:
        state = ChallengeState.from_dict(record.state)
    elif record.login is not None:
        state = engine.new_challenge(program, record.login, now, record.server)
        if record.phase:
            state = engine.begin_phase(program, state, record.phase, now)
    else:
        state = None
    snapshot = _snapshot(client, keys, record.server, record.login) if record.login is not None else None
    balance = snapshot.balance if snapshot else (state.balance if state else program.account_size)
    equity = snapshot.equity if snapshot else (state.equity if state else program.account_size)
    before_phase = record.phase
    phase_name = program.phases[before_phase].name
    if action == "reset":
        # the phase starts afresh: its clock, its floors, and the balance reset to the account size on MT5
        kind = RESET
        assert state is not None
        state = engine.begin_phase(program, state, before_phase, now)
        state.status, state.failed_reason = ACTIVE, None
        next_phase = to_phase = before_phase
        status, phase = ACTIVE, before_phase
    elif action == "fail":
        kind, to_phase, next_phase = d.FAILED, None, None
        status, phase = FAILED, before_phase
        if state is not None:
            state = state.copy()
            state.status, state.failed_reason = FAILED, MANUAL
    else:
        ph = cp.phases[before_phase]
        kind = d.FUNDED if ph.passes_to_funded else d.PHASE_PASSED
        assert state is not None
        state = state.copy()
        if before_phase + 1 < len(program.phases):
            next_phase = to_phase = before_phase + 1
            state = engine.begin_phase(program, state, next_phase, now)
            status, phase = ACTIVE, next_phase
        else:
            next_phase = to_phase = None
            state.status = PASSED
            status, phase = PASSED, before_phase
    number = record.transitions + 1
    evidence = {
        "manual": True,
        "operator": operator,
        "reason": reason,
        "balance": str(balance),
        "equity": str(equity),
        "snapshot_time": snapshot.time.isoformat() if snapshot else None,
        "program": {"id": record.program_id, "version": record.program_version},
    }
    consequences = None
    if record.login is not None:
        plan = d.PHASE_PASSED if action == "reset" else kind  # a reset plans as a pass into the same phase
        consequences = Consequences(
            decision=Decision(now, record.server, record.login, plan, phase_name, MANUAL, equity, None),
            program=program,
            program_id=record.program_id,
            program_version=record.program_version,
            next_phase=next_phase,
            balance=balance,
            next_reset=state.next_reset if state else now,
            issued_at=now,
            announce=action != "reset",  # a restarted phase is no decision of the rules: no event
        )
    transition = Transition(
        challenge_id=challenge_id,
        number=number,
        from_phase=before_phase,
        to_phase=to_phase,
        kind=kind,
        reason=MANUAL,
        equity=Decimal(equity),
        limit=None,
        decided_at=now,
        state_version=record.version + 1,  # the save below checks the version it moves on from
        evidence=evidence,
    )
    written = write_transition(uow, transition, consequences)
    commands = written.commands
    events = [written.event] if written.event is not None else []
    awaiting = written.reset_command_id or record.awaiting_reset
    try:
        version = uow.challenges.save(
            record,
            state=state.to_dict() if state else None,  # type: ignore[arg-type]
            status=status,
            phase=phase,
            transitions_added=1,
            awaiting_reset=awaiting,
            pending_kill=record.pending_kill,
        )
    except ConcurrencyConflict:  # pragma: no cover - the row is locked above
        raise OperationConflict("the challenge changed meanwhile; try again") from None
    if status == FAILED:
        uow.outbox.cancel_scheduled(challenge_id)
    uow.outbox.add(commands)
    uow.events.add(events)
    command_ids = [c.command_id for c in commands]
    uow.audit.append(
        [
            AuditEntry(
                kind=f"challenge.manual_{action}",
                challenge_id=challenge_id,
                server=record.server,
                login=record.login,
                created_at=now,
                payload={
                    "transition_no": number,
                    "decision": kind,
                    "operator": operator,
                    "reason": reason,
                    "from_phase": before_phase,
                    "to_phase": to_phase,
                    "state_version": version,
                    "commands": command_ids,
                },
            )
        ]
    )
    uow.commit()
    if status != ACTIVE and record.login is not None:
        try:
            delete_floor(client, keys, record.server, record.login)
        except redis.RedisError:
            pass  # the evaluator drops it with its next look at the account
    return OverrideResult(challenge_id, number, kind, status, phase, command_ids)
