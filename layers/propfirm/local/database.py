"""PostgreSQL for a local run: migrations, programs, and the simulator's accounts bound to challenges.

The database comes from the environment (`DATABASE_URL`) and may be shared by many runs: every run
registers its accounts under a server name of its own (`dev-<run id>`), and an account is identified
by `(server, login)` everywhere, so two runs on one database never touch each other's challenges.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from propfirm.domain.abuse.news import Release
from propfirm.domain.programs import Program
from propfirm.store.migrator import apply_migrations
from propfirm.store.news import NewRelease, NewsStore
from propfirm.store.programs import load_program_path, load_shipped_programs
from propfirm.store.registration import register_account_challenge
from propfirm.store.uow import UnitOfWork


@dataclass(frozen=True)
class GroupPhase:
    program_id: str
    phase: int
    funded: bool


def prepare_database(database_url: str, programs_path: Path | None) -> None:
    """Apply the migrations (idempotent) and load the shipped programs and those at `programs_path`."""
    apply_migrations(database_url)
    with UnitOfWork(database_url) as uow:
        load_shipped_programs(uow)
        if programs_path is not None:
            load_program_path(uow, programs_path)
        uow.commit()


def phases_by_group(programs: Mapping[str, Program]) -> dict[str, GroupPhase]:
    """MT5 group (lower-cased: MT5 group names are case-insensitive) -> the program and phase it holds."""
    result: dict[str, GroupPhase] = {}
    for program in programs.values():
        for index, phase in enumerate(program.phases):
            result.setdefault(phase.group.lower(), GroupPhase(program.id, index, bool(phase.funded)))
    return result


def trader_email(server: str, login: int) -> str:
    """The trader of a simulated account: one per account, unique per run (each gets a sub of its own)."""
    return f"trader.{login}@{server}.example.com"


def register_accounts(
    database_url: str,
    server: str,
    accounts: Iterable[tuple[int, str]],
    programs: Mapping[str, Program],
    start: datetime,
) -> dict[int, int]:
    """Bind each `(login, group)` to a challenge of the group's program, in the group's phase (an account
    in a funded group starts funded); returns login -> challenge id. One transaction; idempotent."""
    groups = phases_by_group(programs)
    challenges: dict[int, int] = {}
    with UnitOfWork(database_url) as uow:
        for login, group in accounts:
            where = groups.get(group.lower())
            if where is None:  # a group no program names: not a challenge account
                continue
            challenges[login] = register_account_challenge(
                uow,
                server,
                login,
                where.program_id,
                where.phase,
                trader_email=trader_email(server, login),
                time=start,
            )
        uow.commit()
    return challenges


def list_news(database_url: str, releases: Iterable[Release], now: datetime) -> int:
    """The simulated market's releases in the news calendar (`--news`); how many were new."""
    wanted = [NewRelease(r.at, r.title, r.currencies) for r in releases]
    with UnitOfWork(database_url) as uow:
        added = NewsStore(uow).add(wanted, "simulator", now)
        uow.commit()
    return sum(1 for _, new in added if new)
