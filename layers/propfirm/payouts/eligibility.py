"""Eligibility: whether a funded challenge may be paid now, with every denial (from the closed deals, the
program's payout rules and the payouts already made)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from propfirm.domain.payouts import (
    NOT_FUNDED,
    Condition,
    Denial,
    PayoutAssessment,
    TradeDeal,
    assess,
)
from propfirm.domain.programs import Program
from propfirm.domain.state import ACTIVE
from propfirm.payouts.errors import ChallengeNotFound
from propfirm.payouts.records import PAYOUT_OPEN, Eligibility
from propfirm.store.challenges import ChallengeRecord
from propfirm.store.errors import NotFound
from propfirm.store.payouts import PayoutRepository

if TYPE_CHECKING:
    from propfirm.store.uow import UnitOfWork



# -- eligibility -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Context:
    challenge: ChallengeRecord
    program: Program
    assessment: PayoutAssessment


def assess_challenge(uow: UnitOfWork, challenge_id: int, now: datetime) -> _Context:
    try:
        challenge = uow.challenges.get(challenge_id)
    except NotFound:
        raise ChallengeNotFound(f"no challenge {challenge_id}") from None
    program = uow.programs.get(challenge.program_id, challenge.program_version)
    payouts = PayoutRepository(uow)
    funded = program.phases[challenge.phase].funded
    funded_at = phase_started_at(uow, challenge, now)
    previous, last_paid = payouts.history(challenge_id)
    period_start = max(funded_at, last_paid) if last_paid is not None else funded_at
    deals = [
        TradeDeal(
            ticket=int(r[0]),
            position=int(r[1]),
            time=r[2],
            entry=r[3],
            volume=r[4],
            profit=r[5],
            commission=r[6],
            swap=r[7],
        )
        for r in payouts.uncovered_trades(challenge_id, funded_at)
    ]
    assessment = assess(
        program,
        deals=deals,
        previous_payouts=previous,
        period_start=period_start,
        now=now,
        funded=funded,
        active=challenge.status == ACTIVE and challenge.login is not None,
    )
    return _Context(challenge, program, assessment)


def phase_started_at(uow: UnitOfWork, challenge: ChallengeRecord, now: datetime) -> datetime:
    """When the current phase began: the engine's state, else the transition into it, else now."""
    if challenge.state is not None and challenge.state.get("phase_index") == challenge.phase:
        return datetime.fromisoformat(challenge.state["phase_started_at"])
    row = uow.fetchone(
        "SELECT max(decided_at) FROM phase_transitions WHERE challenge_id = %s AND to_phase = %s",
        (challenge.id, challenge.phase),
    )
    return row[0] if row and row[0] is not None else now


def check_eligibility(uow: UnitOfWork, challenge_id: int, now: datetime) -> Eligibility:
    """Eligibility and the would-be payout, read only. Raises ChallengeNotFound.
    A payout already in progress is a denial too (`payout_open`)."""
    with uow:
        context = assess_challenge(uow, challenge_id, now)
        denials = context.assessment.denials
        open_row = PayoutRepository(uow).open_of(challenge_id)
    conditions = context.assessment.conditions
    if open_row is not None:
        blocking = Denial(
            PAYOUT_OPEN, str(open_row["id"]), None, f"payout {open_row['id']} is {open_row['status']}"
        )
        denials = denials + (blocking,)
        conditions = conditions + (Condition(PAYOUT_OPEN, False, blocking.value, None, None, blocking.message),)
    else:
        conditions = conditions + (Condition(PAYOUT_OPEN, True, None, None, None, "no other payout is in progress"),)
    funded = not any(d.code == NOT_FUNDED for d in denials)
    return Eligibility(
        challenge_id, not denials, denials, context.assessment.quote if funded else None, now, conditions
    )
