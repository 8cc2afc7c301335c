"""What handling one queue message did (the handler turns it into metrics and log lines)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class EvaluationReport:
    accounts: int = 0
    judged: int = 0
    decisions: int = 0
    transitions: int = 0
    routine_saves: int = 0
    skipped: int = 0
    conflicts: int = 0
    commands_sent: int = 0
    events_sent: int = 0
    notes: list[str] = field(default_factory=list)
