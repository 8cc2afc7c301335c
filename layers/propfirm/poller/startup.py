"""Start-up checks: every MT5 group the programs name must exist on the server.

Also decides which groups to watch (the masks from the settings, or the programs' groups), which of
them need positions read (a phase with a positions rule: max_lots, max_positions, exposure caps, a
per-trade loss limit, weekend holding, news blackout), and which of those need every position's current
result or value each cycle (a per-trade loss limit, an exposure cap by value).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from propfirm.domain.programs import Phase, Program
from propfirm.mt5 import masks


class MissingGroups(Exception):
    def __init__(self, missing: Sequence[str]) -> None:
        self.missing = list(missing)
        super().__init__(
            "refusing to start: the programs name MT5 groups the server does not have: "
            + ", ".join(repr(g) for g in self.missing)
        )


def missing_groups(needed: Iterable[str], existing: Iterable[str]) -> list[str]:
    have = {name.lower() for name in existing}
    return [group for group in needed if group.lower() not in have]


def needs_positions(programs: Iterable[Program]) -> list[str]:
    """The groups whose phase has a rule that judges open positions."""
    return _groups_where(programs, lambda phase: (
        phase.max_lots is not None or phase.max_positions is not None or bool(phase.exposure_caps)
        or phase.has_trade_loss or not phase.weekend_holding or phase.news_blackout_minutes is not None))


def needs_current_positions(programs: Iterable[Program]) -> list[str]:
    """The groups whose phase judges each position's current result or value (a per-trade loss limit, an
    exposure cap by value): their positions are read whole every cycle, never carried from an earlier read."""
    return _groups_where(programs, lambda phase: (
        phase.has_trade_loss or any(cap.max_value_pct is not None for cap in phase.exposure_caps)))


def _groups_where(programs: Iterable[Program], judges: Callable[[Phase], bool]) -> list[str]:
    """The groups of the phases `judges` picks, each once, in the programs' order."""
    groups: dict[str, None] = {}
    for program in programs:
        for phase in program.phases:
            if judges(phase):
                groups.setdefault(phase.group, None)
    return list(groups)


@dataclass(frozen=True)
class WatchPlan:
    groups: list[str]  # masks for account and deal reads
    position_groups: list[str]  # masks for position reads (empty: none)
    # masks of the position groups read whole every cycle (the others: whole every
    # POLLER_POSITIONS_FULL_SECONDS, and between, the accounts that dealt)
    current_position_groups: list[str] = field(default_factory=list)


def watch_plan(programs: Iterable[Program], configured_masks: str, positions_mode: str) -> WatchPlan:
    programs = list(programs)
    program_groups: list[str] = []
    for program in programs:
        for group in program.groups:
            if group not in program_groups:
                program_groups.append(group)
    groups = masks.split_masks([configured_masks]) if configured_masks.strip() else program_groups
    if positions_mode == "always":
        position_groups = groups
    elif positions_mode == "never":
        position_groups = []
    else:
        position_groups = [g for g in needs_positions(programs) if masks.matches(g, groups)]
    current = [g for g in needs_current_positions(programs)
               if position_groups and masks.matches(g, position_groups)]
    return WatchPlan(groups=groups, position_groups=position_groups, current_position_groups=current)
