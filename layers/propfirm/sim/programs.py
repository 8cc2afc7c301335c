"""The MT5 groups the simulator creates, taken from the program files.

Each program's phases name their MT5 group (`phases[].group`); the simulator
creates those groups with the program's currency and leverage, and gives the
accounts it creates there the program's account size. Programs are read (and
validated) by `propfirm.domain.programs`; the example programs are the default.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from propfirm.domain.programs import EXAMPLE_PROGRAMS_DIR, load_programs


@dataclass(frozen=True)
class GroupSpec:
    name: str
    currency: str
    leverage: int
    account_size: Decimal


def program_groups(path: str | Path | None = None) -> list[GroupSpec]:
    """One GroupSpec per distinct group (case-insensitive) of the programs at `path`, in order.

    `path` is a program file or a folder of them; the default is the shipped examples.
    Raises `propfirm.domain.programs.ProgramError` (a ValueError) for a bad file.
    """
    programs = load_programs(Path(path) if path else EXAMPLE_PROGRAMS_DIR)
    seen: dict[str, GroupSpec] = {}
    for program in programs.values():
        for group in program.groups:
            if group.lower() not in seen:
                seen[group.lower()] = GroupSpec(
                    group, program.currency, program.leverage or 100, program.account_size
                )
    return list(seen.values())
