"""The ground truth of a simulated run (▶ `propfirm sim --truth FILE`, `propfirm dev --truth FILE`): every
account's events in the replay format of `propfirm replay`, written as the simulated market runs, with
the server-side precision the poller never has.

- a `start` for each account that begins its program's first phase at the run's start (accounts placed in
  a later phase, or funded, at the start get none), with its scripted trader's `profile`;
- every deal (`deal`) and balance operation (`balance`) at its time, and a `snapshot` right after it;
- a `snapshot` at each price step where the account's equity reaches a new high for the server day, or a
  new low since its last written high, and at the first price step of every hour of server time.

Equity moves only with prices, deals, balance operations and swaps, so with these lines the first instant
at which any floor is crossed is exact: replaying the file through the rule engine finds every true
breach (`propfirm.local.detection`). One JSON object a line, times ISO 8601 in UTC with their offset, in
time order per account; money and volumes as strings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import orjson

from propfirm.sim import accounts as acc
from propfirm.sim.market import LOT

if TYPE_CHECKING:
    from propfirm.sim.world import World

_ENTRIES = {0: "in", 1: "out", 2: "inout", 3: "out_by"}


def _iso(moment: datetime) -> str:
    return moment.isoformat()


@dataclass
class _Mark:
    """An account's equity extremes as written: the day's high, the low since that high."""

    day: date
    high: Decimal
    low: Decimal


class TruthWriter:
    """Attached to a `World` (`world.observer`): called under the world's lock after every deal and every
    price step. `starts`: login -> program id of the accounts that begin a first phase now."""

    def __init__(self, world: World, path: str | Path, server: str, starts: dict[int, str]) -> None:
        self.world = world
        self.server = server
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._out: IO[bytes] = self.path.open("wb")
        self._marks: dict[int, _Mark] = {}
        self._hour: tuple[date, int] | None = None
        self.lines = 0
        now = world.now()
        for login, program in sorted(starts.items()):
            start = {"type": "start", "time": _iso(now), "login": login, "program": program, "server": server}
            trader = world.traders.get(login)
            if trader is not None:  # the scripted trader's profile (an account created by hand has none)
                start["profile"] = trader.profile
            self._write(start)
        for login in sorted(world.accounts):
            self._snapshot(login, now)  # where every account stands at the start
        self._hour = self._hour_of(now)

    # -- the world's hooks ---------------------------------------------------------------------------
    def dealt(self, deal: acc.Deal) -> None:
        if deal.action in acc.CREDIT_ACTIONS:
            pass  # credit is not balance: the snapshot below shows its effect on equity
        elif deal.action in acc.BALANCE_ACTIONS:
            self._write({"type": "balance", "time": _iso(deal.time), "login": deal.login, "server": self.server,
                         "amount": str(deal.profit), "comment": deal.comment})
        else:
            group = self.world.groups[self.world.accounts[deal.login].group.lower()]
            self._write({
                "type": "deal", "time": _iso(deal.time), "login": deal.login, "server": self.server,
                "deal": deal.ticket, "entry": _ENTRIES.get(deal.entry, "in"), "symbol": deal.symbol,
                "volume": str(Decimal(deal.volume) / LOT), "profit": str(deal.profit),
                "commission": str(deal.commission), "swap": str(deal.storage), "position": deal.position_id,
                "value": str(acc.traded_value(self.world.market, deal, group.money_quantum)),
            })
        self._snapshot(deal.login, deal.time)

    def stepped(self) -> None:
        now = self.world.now()
        hour = self._hour_of(now)
        if hour != self._hour:  # the first price step of a server hour: everyone
            self._hour = hour
            for login in sorted(self.world.accounts):
                self._snapshot(login, now)
            return
        for login in sorted(self.world._with_positions):  # only open positions move equity with prices
            account = self.world.accounts[login]
            equity = self._equity(account)
            mark = self._marks.get(login)
            day = self.world.zone.wall(now).date()
            if mark is None or mark.day != day or equity > mark.high or equity < mark.low:
                self._snapshot(login, now, account, equity)

    def close(self) -> None:
        if not self._out.closed:
            self._out.flush()
            self._out.close()

    # -- lines ---------------------------------------------------------------------------------------
    def _hour_of(self, moment: datetime) -> tuple[date, int]:
        wall = self.world.zone.wall(moment)
        return wall.date(), wall.hour

    def _equity(self, account: acc.Account) -> Decimal:
        return acc.account_state(account, self.world.groups[account.group.lower()], self.world.market).equity

    def _snapshot(self, login: int, moment: datetime, account: Any = None, equity: Decimal | None = None) -> None:
        account = account or self.world.accounts.get(login)
        if account is None:
            return
        equity = self._equity(account) if equity is None else equity
        day = self.world.zone.wall(moment).date()
        mark = self._marks.get(login)
        if mark is None or mark.day != day or equity > mark.high:
            self._marks[login] = _Mark(day, equity, equity)  # a new high: the low starts again from it
        elif equity < mark.low:
            mark.low = equity
        positions = []
        if account.positions:
            group = self.world.groups[account.group.lower()]
            market, currency, quantum = self.world.market, group.currency, group.money_quantum
            positions = [
                {"symbol": p.symbol, "volume": str(Decimal(p.volume) / LOT), "type": "buy" if p.action == 0 else "sell",
                 "value": str(acc.held_value(market, p, currency, quantum))}
                for p in sorted(account.positions.values(), key=lambda p: p.ticket)
            ]
        self._write({"type": "snapshot", "time": _iso(moment), "login": login, "server": self.server,
                     "balance": str(account.balance), "equity": str(equity), "positions": positions})

    def _write(self, line: dict[str, Any]) -> None:
        self._out.write(orjson.dumps(line) + b"\n")
        self.lines += 1


def first_phase_starts(world: World, programs: dict[str, Any]) -> dict[int, str]:
    """login -> program id for every account of the world in a program's first-phase group (not a funded
    one: an account funded at the start has no evaluation to replay)."""
    first = {p.phases[0].group.lower(): p.id for p in programs.values() if not p.phases[0].funded}
    return {login: first[a.group.lower()] for login, a in world.accounts.items() if a.group.lower() in first}
