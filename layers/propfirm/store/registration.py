"""Register a challenge for an MT5 account that exists already (the local stack and tests use it until
the purchase webhook creates accounts): the trader by email, the program's latest version (the one it
is sold with from now on), the engine's starting state in the given phase."""

from __future__ import annotations

from datetime import UTC, datetime

from propfirm.domain import engine
from propfirm.domain.state import ACTIVE
from propfirm.store.statistics import DayOpen
from propfirm.store.uow import UnitOfWork


def register_account_challenge(
    uow: UnitOfWork,
    server: str,
    login: int,
    program_id: str,
    phase: int = 0,
    trader_email: str = "trader@example.com",
    *,
    time: datetime | None = None,
    program_version: int | None = None,
    trader_sub: str | None = None,
) -> int:
    """The challenge id; an account that has a challenge already keeps it (idempotent). No commit. The
    trader is the one of `trader_email`, or a new one (with `trader_sub`, or a generated sub)."""
    existing = uow.challenges.by_account(server, login)
    if existing is not None:
        return existing.id
    version = program_version or uow.programs.latest_version(program_id)
    program = uow.programs.get(program_id, version)
    if not 0 <= phase < len(program.phases):
        raise ValueError(f"program {program_id} has no phase {phase}")
    start = (time or datetime.now(UTC)).astimezone(UTC)
    state = engine.new_challenge(program, login, start, server=server)
    if phase:
        # the engine's own phase start (balance reset to the account size, fresh clocks)
        state = engine.begin_phase(program, state, phase, start)
    trader_id = uow.traders.get_or_create(trader_email, sub=trader_sub).id
    challenge_id = uow.challenges.insert(
        trader_id=trader_id,
        program_id=program_id,
        program_version=version,
        server=server,
        login=login,
        status=ACTIVE,
        phase=phase,
        state=state.to_dict(),
    )
    # the first trading day's row; the evaluator closes it and opens the next at each day roll
    uow.statistics.open_days(
        [DayOpen(challenge_id, state.day_label, state.day_start_balance, state.equity, state.daily_floor)]
    )
    return challenge_id
