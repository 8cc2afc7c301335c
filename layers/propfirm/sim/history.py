"""Every deal the simulated server made, kept as a trade server keeps its history: the recent hours in
memory, everything older in a database on disk, so that the world's memory stays bounded however long it
runs (100,000 accounts make about 1.8 million deals a simulated day).

- Memory holds each account's deals at or after the horizon (`Account.deals`, in the order they were made)
  and a ticket index over them. `spill(horizon)` moves the deals dated before it to disk; the world calls
  it every simulated hour with a horizon a few hours back (`World.history_keep`), so what the poller,
  the dealer and the truth file read (the last minutes) is always in memory.
- The disk side is SQLite in a private temporary file (deleted when the history is closed or collected):
  a table of deals by ticket, indexed by account and server time and by order. A deal read back is an
  equal `Deal` (every field as written), not the same object.
- Reads merge the two sides: an account's deals in a server-time range (`of`), one deal by ticket, the
  trade deals that filled some orders (`filled_by`), every deal in ticket order (`values`, for checks at
  the end of a run). Server time only grows (the clock never goes back; a DST fall-back repeats an hour,
  which the horizon's hours of slack cover), so the disk side holds only deals dated before the horizon.

Callers hold `world.lock` (the history has no lock of its own, like the rest of the world).
"""

from __future__ import annotations

import heapq
import marshal
import sqlite3
from bisect import bisect_left, bisect_right
from collections.abc import Collection, Iterator
from dataclasses import fields
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from propfirm.sim.accounts import Deal

if TYPE_CHECKING:
    from propfirm.sim.accounts import Account

_FIELDS = tuple(f.name for f in fields(Deal))
_DECIMALS = frozenset(
    ("price", "profit", "storage", "commission", "price_position", "market_bid", "market_ask", "rate_profit")
)
_DECIMAL_AT = tuple(i for i, name in enumerate(_FIELDS) if name in _DECIMALS)
_TIME_AT = _FIELDS.index("time")

_SCHEMA = (
    "CREATE TABLE deals (ticket INTEGER PRIMARY KEY, login INTEGER NOT NULL, time_server INTEGER NOT NULL,"
    ' "order" INTEGER NOT NULL, action INTEGER NOT NULL, fields BLOB NOT NULL)',
    "CREATE INDEX deals_by_login_time ON deals (login, time_server)",
    'CREATE INDEX deals_by_order ON deals ("order")',
)
_NO_LIMIT = 2**62


def _deal_time(deal: Deal) -> int:
    return deal.time_server


def _ticket(deal: Deal) -> int:
    return deal.ticket


def encode(deal: Deal) -> bytes:
    """Every field, Decimals as their exact strings, the UTC instant in ISO 8601, in `marshal`'s format (the
    file lives and dies with this process, so its Python-version-bound format is no concern; orjson would
    be as quick, but each of its results holds a 4 KiB buffer, which a spill of 100,000 deals turns into
    400 MB of resident memory)."""
    values: list[Any] = [getattr(deal, name) for name in _FIELDS]
    for i in _DECIMAL_AT:
        values[i] = str(values[i])
    values[_TIME_AT] = values[_TIME_AT].isoformat()
    return marshal.dumps(tuple(values))


def decode(raw: bytes) -> Deal:
    values = list(marshal.loads(raw))
    for i in _DECIMAL_AT:
        values[i] = Decimal(values[i])
    values[_TIME_AT] = datetime.fromisoformat(values[_TIME_AT])
    return Deal(*values)


class DealHistory:
    def __init__(self) -> None:
        self._recent: dict[int, Deal] = {}  # ticket -> deal, the deals in memory
        self._accounts: dict[int, Account] = {}  # login -> account, for the logins with deals in memory
        self._spilled = 0
        self.horizon = -_NO_LIMIT  # server time: deals before it are on disk
        # "" is SQLite's private temporary database: on disk (beyond a small page cache), deleted on close
        self._db = sqlite3.connect("", check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode = OFF")
        self._db.execute("PRAGMA synchronous = OFF")
        for statement in _SCHEMA:
            self._db.execute(statement)

    # -- writes ----------------------------------------------------------------------------------
    def add(self, account: Account, deal: Deal) -> None:
        if account.deals and deal.time_server < account.deals[-1].time_server:
            account.deals_out_of_order = True
        account.deals.append(deal)
        self._recent[deal.ticket] = deal
        self._accounts.setdefault(account.login, account)

    def spill(self, horizon: int) -> int:
        """Move the deals dated before `horizon` (server seconds) to disk; the number moved."""
        if horizon <= self.horizon:
            return 0
        self.horizon = horizon
        moved: list[Deal] = []
        for login, account in list(self._accounts.items()):
            deals = account.deals
            if deals[0].time_server >= horizon and not account.deals_out_of_order:
                continue
            if account.deals_out_of_order:
                old = [d for d in deals if d.time_server < horizon]
                account.deals = [d for d in deals if d.time_server >= horizon]
                account.deals_out_of_order = any(
                    a.time_server > b.time_server for a, b in zip(account.deals, account.deals[1:], strict=False)
                )
            else:
                cut = bisect_left(deals, horizon, key=_deal_time)
                old, account.deals = deals[:cut], deals[cut:]
            moved.extend(old)
            if not account.deals:
                del self._accounts[login]
        if not moved:
            return 0
        self._db.execute("BEGIN")
        self._db.executemany(
            'INSERT INTO deals (ticket, login, time_server, "order", action, fields) VALUES (?, ?, ?, ?, ?, ?)',
            ((d.ticket, d.login, d.time_server, d.order, d.action, encode(d)) for d in moved),  # one at a time
        )
        self._db.execute("COMMIT")
        for deal in moved:
            del self._recent[deal.ticket]
        self._spilled += len(moved)
        return len(moved)

    def drop(self, account: Account) -> None:
        """Forget an account's deals (the account is deleted)."""
        for deal in account.deals:
            self._recent.pop(deal.ticket, None)
        account.deals = []
        self._accounts.pop(account.login, None)
        removed = self._db.execute("DELETE FROM deals WHERE login = ?", (account.login,)).rowcount
        self._spilled -= removed

    def close(self) -> None:
        self._db.close()

    # -- reads -----------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._recent) + self._spilled

    @property
    def in_memory(self) -> int:
        return len(self._recent)

    @property
    def disk_bytes(self) -> int:
        pages = self._db.execute("PRAGMA page_count").fetchone()[0]
        return int(pages) * int(self._db.execute("PRAGMA page_size").fetchone()[0])

    def __contains__(self, ticket: object) -> bool:
        return self.get(ticket) is not None  # type: ignore[arg-type]

    def __getitem__(self, ticket: int) -> Deal:
        deal = self.get(ticket)
        if deal is None:
            raise KeyError(ticket)
        return deal

    def get(self, ticket: int) -> Deal | None:
        deal = self._recent.get(ticket)
        if deal is not None or not self._spilled:
            return deal
        row = self._db.execute("SELECT fields FROM deals WHERE ticket = ?", (ticket,)).fetchone()
        return None if row is None else decode(row[0])

    def of(self, account: Account, from_server: int | None = None, to_server: int | None = None) -> list[Deal]:
        """An account's deals whose server time is within [from, to] (inclusive), in the order they were made."""
        low = -_NO_LIMIT if from_server is None else from_server
        high = _NO_LIMIT if to_server is None else to_server
        older: list[Deal] = []
        if self._spilled and low < self.horizon:
            rows = self._db.execute(
                "SELECT fields FROM deals WHERE login = ? AND time_server BETWEEN ? AND ? ORDER BY ticket",
                (account.login, low, min(high, self.horizon - 1)),
            )
            older = [decode(raw) for (raw,) in rows]
        deals = account.deals
        if account.deals_out_of_order:
            recent = [d for d in deals if low <= d.time_server <= high]
        else:
            recent = deals[bisect_left(deals, low, key=_deal_time) : bisect_right(deals, high, key=_deal_time)]
        return older + recent if older else recent

    def filled_by(self, orders: Collection[int], actions: Collection[int]) -> list[Deal]:
        """The deals of the given actions whose order is one of `orders`, by ticket."""
        wanted = set(orders)
        found = [d for d in self._recent.values() if d.order in wanted and d.action in actions]
        if self._spilled and wanted:
            marks = ",".join("?" * len(wanted))
            rows = self._db.execute(f'SELECT fields FROM deals WHERE "order" IN ({marks})', sorted(wanted))
            found += [d for d in (decode(raw) for (raw,) in rows) if d.action in actions]
        return sorted(found, key=_ticket)

    def values(self) -> Iterator[Deal]:
        """Every deal, by ticket (memory's are in ticket order: a dict keeps insertion order)."""
        recent = list(self._recent.values())
        if not self._spilled:
            return iter(recent)
        rows = self._db.execute("SELECT fields FROM deals ORDER BY ticket")
        return heapq.merge((decode(raw) for (raw,) in rows), recent, key=_ticket)
