"""Builders for rule tests: a program from a few phase fields, and an account driven event by event
through the engine's public API (`start`, `evaluate`, `equity_floor`)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from propfirm.domain.engine import NewsCalendar, equity_floor, evaluate, start
from propfirm.domain.events import BalanceOperation, Deal, Position, Snapshot, Start
from propfirm.domain.programs import Program, parse_program


def T(text: str) -> datetime:
    """'2026-03-02 10:00' (UTC) or any ISO 8601 time with offset."""
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def D(text: str) -> Decimal:
    return Decimal(text)


def make_program(
    *,
    size: str = "100000",
    zone: str = "UTC",
    reset: str = "00:00",
    trading_day: str = "opened",
    phases: list[dict] | None = None,
    funded: dict | None = None,
    **phase1: object,
) -> Program:
    """A program whose first phase has `phase1`'s fields (plus any further `phases`), then a funded stage."""
    first = {"name": "phase1", "group": "challenge\\phase1", **phase1}
    all_phases = [first, *(phases or [])]
    if funded is not False:
        all_phases.append({"name": "funded", "group": "funded\\standard", "funded": True, **(funded or {})})
    return parse_program(
        {
            "id": "test-program",
            "currency": "USD",
            "account_size": size,
            "day_reset": {"time": reset, "zone": zone},
            "trading_day": trading_day,
            "phases": all_phases,
        }
    )


class Account:
    """One challenge driven through `evaluate`; every call returns the decisions as tuples."""

    def __init__(
        self,
        program: Program,
        at: str = "2026-03-02 08:00",
        login: int = 5001,
        news: NewsCalendar | None = None,
    ) -> None:
        self.program = program
        self.login = login
        self.news = news
        self.state = start(program, Start(T(at), login, program.id))
        self.decisions: list[tuple] = []
        self._deal = 0

    def _apply(self, event) -> list[tuple]:
        outcome = evaluate(self.program, self.state, event, self.news)
        self.state = outcome.state
        got = [(x.decision, x.reason, x.equity, x.limit) for x in outcome.decisions]
        self.decisions.extend(got)
        return got

    def snap(
        self, at: str, balance: str, equity: str | None = None, positions: list | None = None
    ) -> list[tuple]:
        listed = None
        if positions is not None:
            listed = tuple(Position("EURUSD", D(v), "buy") for v in positions)
        return self._apply(Snapshot(T(at), self.login, D(balance), D(equity or balance), listed))

    def deal(
        self, at: str, entry: str, position: int, volume: str = "1.00", profit: str = "0",
        value: str | None = None, commission: str = "0",
    ) -> list[tuple]:
        self._deal += 1
        return self._apply(
            Deal(T(at), self.login, self._deal, entry, "EURUSD", D(volume), D(profit), position, D(commission),
                 value=None if value is None else D(value))
        )

    def trade(self, at_open: str, at_close: str, position: int, profit: str = "0") -> None:
        self.deal(at_open, "in", position)
        self.deal(at_close, "out", position, profit=profit)

    def op(self, at: str, amount: str, comment: str = "") -> list[tuple]:
        return self._apply(BalanceOperation(T(at), self.login, D(amount), comment))

    @property
    def floor(self):
        return equity_floor(self.program, self.state)

    @property
    def phase(self) -> str:
        return self.program.phases[self.state.phase_index].name


def failed(reason: str, equity: str, limit: str | None) -> tuple:
    return ("failed", reason, D(equity), None if limit is None else D(limit))


def restricted(reason: str, equity: str, limit: str | None) -> tuple:
    return ("restricted", reason, D(equity), None if limit is None else D(limit))


def passed(equity: str, limit: str, decision: str = "phase_passed") -> tuple:
    return (decision, "profit_target", D(equity), D(limit))
