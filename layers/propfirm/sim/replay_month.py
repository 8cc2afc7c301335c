"""A deterministic month of trading for many accounts, as replay event lines (seeded).

Every account polls once a cycle (all snapshots of a cycle share its instant, as the poller's do),
trades with a seeded random walk, and some accounts follow a script whose decisions can be worked
out by hand:
- "blow_daily": flat balance 100,000 on a 5% / balance-basis program; at a chosen cycle equity drops
  to 94,900 -> `failed daily_loss` at that snapshot, limit 95,000;
- "pass": closes +2,750 once a day (one trading day each), flat otherwise -> on its 4th trading day
  the balance is 111,000 >= 110,000 with 4 days -> `phase_passed` at that day's post-close snapshot.
The benchmark uses the same generator with larger sizes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

MONTH_START = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # a Monday; the month crosses the EU DST change


@dataclass
class Script:
    kind: str
    login: int
    expected: list[tuple] = field(default_factory=list)  # (time, decision, phase, reason, equity, limit)


@dataclass
class Month:
    lines: list[str]
    scripts: dict[int, Script]
    programs: dict[int, str]  # login -> program id


def _iso(t: datetime) -> str:
    return t.isoformat()


def generate(
    accounts: int = 300,
    days: int = 30,
    cycle_minutes: int = 60,
    seed: int = 7,
    programs: tuple[str, ...] = ("two-step-100k", "one-step-100k", "three-step-100k", "instant-funding-100k"),
    scripted: bool = True,
    positions_every: int = 1,
    volatility: int = 15000,
) -> Month:
    """`volatility`: the largest move of a position's floating profit in one cycle, in cents."""
    rng = random.Random(seed)
    lines: list[str] = []
    scripts: dict[int, Script] = {}
    program_of: dict[int, str] = {}
    logins = [100_000 + i for i in range(accounts)]
    t0 = MONTH_START
    for i, login in enumerate(logins):
        program_of[login] = programs[i % len(programs)]
        lines.append(
            f'{{"type":"start","time":"{_iso(t0)}","login":{login},"program":"{program_of[login]}"}}'
        )

    # scripts: every 25th account blows the daily limit, every 25th+1 passes (both on two-step-100k)
    cycles_per_day = 24 * 60 // cycle_minutes
    total_cycles = days * cycles_per_day
    blow_at: dict[int, int] = {}
    passing: set[int] = set()
    if scripted:
        for i, login in enumerate(logins):
            if i % 25 == 0:
                program_of[login] = "two-step-100k"
                blow_at[login] = rng.randrange(cycles_per_day, total_cycles - 1)
                scripts[login] = Script("blow_daily", login)
            elif i % 25 == 1:
                program_of[login] = "two-step-100k"
                passing.add(login)
                scripts[login] = Script("pass", login)
        # rewrite the start lines with the scripted programs
        for i, login in enumerate(logins):
            lines[i] = (
                f'{{"type":"start","time":"{_iso(t0)}","login":{login},"program":"{program_of[login]}"}}'
            )

    balance = {login: Decimal("100000.00") for login in logins}
    floating = {login: Decimal(0) for login in logins}
    open_pos: dict[int, int | None] = {login: None for login in logins}
    ticket = 1
    position_id = 1_000_000
    pass_days: dict[int, int] = {login: 0 for login in passing}
    done: set[int] = set()  # scripted accounts whose decision has been made
    cent = Decimal("0.01")
    for cycle in range(1, total_cycles + 1):
        t = t0 + timedelta(minutes=cycle_minutes * cycle)
        t_deal = _iso(t - timedelta(seconds=2))
        t_snap = _iso(t)
        deal_lines: list[str] = []
        snap_lines: list[str] = []
        hour_of_day = cycle % cycles_per_day
        for login in logins:
            if login in done:
                continue
            if login in blow_at:
                equity = balance[login]
                if cycle == blow_at[login]:
                    equity = Decimal("94900.00")
                    scripts[login].expected.append(
                        (t, "failed", "phase1", "daily_loss", equity, Decimal("95000"))
                    )
                    done.add(login)
                snap_lines.append(
                    f'{{"type":"snapshot","time":"{t_snap}","login":{login},'
                    f'"balance":"{balance[login]}","equity":"{equity}","positions":[]}}'
                )
                continue
            if login in passing:
                if hour_of_day == 10 and pass_days[login] < 4:
                    position_id += 1
                    deal_lines.append(_deal(t_deal, login, ticket, "in", position_id, "0.00"))
                    deal_lines.append(_deal(t_deal, login, ticket + 1, "out", position_id, "2750.00"))
                    ticket += 2
                    balance[login] += Decimal("2750.00")
                    pass_days[login] += 1
                    if pass_days[login] == 4:
                        scripts[login].expected.append(
                            (t, "phase_passed", "phase1", "profit_target", balance[login], Decimal("110000"))
                        )
                        done.add(login)
                snap_lines.append(
                    f'{{"type":"snapshot","time":"{t_snap}","login":{login},'
                    f'"balance":"{balance[login]}","equity":"{balance[login]}","positions":[]}}'
                )
                continue
            # random trader: open, drift, close
            pos = open_pos[login]
            if pos is None:
                if rng.random() < 0.3:
                    position_id += 1
                    open_pos[login] = position_id
                    deal_lines.append(_deal(t_deal, login, ticket, "in", position_id, "0.00"))
                    ticket += 1
            else:
                floating[login] += Decimal(rng.randint(-volatility, volatility)) * cent
                if rng.random() < 0.25:
                    profit = floating[login]
                    deal_lines.append(_deal(t_deal, login, ticket, "out", pos, str(profit)))
                    ticket += 1
                    balance[login] += profit
                    floating[login] = Decimal(0)
                    open_pos[login] = None
            equity = balance[login] + floating[login]
            if positions_every and cycle % positions_every == 0:
                listed = (
                    '[{"symbol":"EURUSD","volume":"1.00","type":"buy"}]'
                    if open_pos[login] is not None
                    else "[]"
                )
                snap_lines.append(
                    f'{{"type":"snapshot","time":"{t_snap}","login":{login},'
                    f'"balance":"{balance[login]}","equity":"{equity}","positions":{listed}}}'
                )
            else:
                snap_lines.append(
                    f'{{"type":"snapshot","time":"{t_snap}","login":{login},'
                    f'"balance":"{balance[login]}","equity":"{equity}"}}'
                )
        lines.extend(deal_lines)
        lines.extend(snap_lines)
    return Month(lines, scripts, program_of)


def _deal(time: str, login: int, ticket: int, entry: str, position: int, profit: str) -> str:
    return (
        f'{{"type":"deal","time":"{time}","login":{login},"deal":{ticket},"entry":"{entry}",'
        f'"symbol":"EURUSD","volume":"1.00","profit":"{profit}","commission":"0.00","swap":"0.00",'
        f'"position":{position}}}'
    )
