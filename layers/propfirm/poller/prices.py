"""The tick path: between two full reads, every open position is valued at the last quotes, so a dip
through a floor is seen within one tick interval instead of one cycle.

- Each cycle hands over what it read (`after_cycle`): per account with open positions, its balance +
  credit, deposit currency, positions (symbol, side, lots, open price, swap) and floor (the one read back
  this cycle, decoded once for the fast path and here, else the last one). The accounts holding each symbol are indexed.
- `poll()` asks MT5 for the last ticks of every held symbol (and of the symbols converting their profit
  currencies) in one call, incrementally (the server's quote version). A tick not newer than the last one
  accepted for its symbol, or older than `max_age` on the server's clock, is refused: stale data never
  decides. For each symbol that moved, the books it may put at their floor are estimated as MT5 computes
  equity: balance + credit + Σ (swap + (close price − open price) × direction × contract size × lots × the
  profit currency's rate), a buy closed at the bid, a sell at the ask. A book linear in one price is
  screened by its trigger price (`propfirm.poller.triggers`: a bisection per quote); the others are valued
  at every quote of their symbols; a book without a floor is never valued between reads.
- An estimate never kills: one at or below the account's valid floor triggers an immediate read of that
  account (`account_equity`), and the kill switch acts on what MT5 reports, as the cycle's fast path does.
  When one quote takes several accounts to their floors (a crash), they are read and killed at once over
  the watch's kill sessions (extra MT5 sessions, one request in flight on each), not one after another.
- It runs on a thread and MT5 session of its own when the poller is given a second gateway (the
  deployment's case: a long full read never delays a tick poll), else between cycles on the cycle's.
  `poll` takes the watch's lock, and `after_cycle` for its MT5 calls and the swap only: the new books are
  built off it, so a cycle's hand-over never holds a tick poll up; kills share the cycle's memory and lock.
- At each full read the model is checked: the estimate at the read's prices against MT5's equity; the
  largest difference (`drift`) is a metric and an alarm.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from queue import SimpleQueue
from typing import NamedTuple

from propfirm.live.floors import ReadFloor
from propfirm.live.records import FloorRecord
from propfirm.mt5.errors import NotFound
from propfirm.mt5.models import SymbolInfo, Tick
from propfirm.mt5.port import Mt5Gateway
from propfirm.poller.fast_path import KillSwitch, find_breach, kill_report
from propfirm.poller.held import HeldPosition
from propfirm.poller.observability import logger
from propfirm.poller.triggers import Trigger, TriggerIndex, trigger_of
from propfirm.queues.messages import KillReport
from propfirm.queues.sharding import shard_of
from propfirm.queues.sqs import Outgoing, SqsSender

ONE = Decimal(1)
ZERO = Decimal(0)


@dataclass(slots=True)
class Book:
    """One account as the last full read left it."""

    login: int
    base: Decimal  # balance + credit
    currency: str  # the deposit currency (its group's)
    positions: tuple[HeldPosition, ...]
    floor_raw: bytes | None
    floor: FloorRecord | None = None  # floor_raw decoded once (None: none, or unreadable)
    estimate: Decimal | None = None


@dataclass
class TickReport:
    ticks: int = 0  # accepted
    refused: int = 0  # stale: not newer than the last accepted, or too old
    estimated: int = 0  # accounts judged again: valued, or screened by their trigger price
    checked: int = 0  # estimates at a floor, read from MT5
    kills: list[KillReport] = field(default_factory=list)


class Holding(NamedTuple):
    """What a cycle read of one account with open positions (see `PriceWatch.after_cycle`); a named tuple,
    built for every such account every cycle (half of them at 100,000 accounts)."""

    login: int
    base: Decimal
    equity: Decimal
    currency: str
    positions: tuple[HeldPosition, ...]


class PriceWatch:
    def __init__(
        self,
        *,
        gateway: Mt5Gateway,
        kill_switch: KillSwitch,
        sender: SqsSender,
        shard_count: int,
        max_tick_age: timedelta,
        clock: Callable[[], float] = time.monotonic,
        kill_sessions: Sequence[tuple[Mt5Gateway, KillSwitch]] = (),
    ) -> None:
        self.gateway = gateway
        self.server = gateway.server
        # more MT5 sessions, each with a switch sharing the kill switch's memory: the kills of one quote at once
        self.kill_sessions = list(kill_sessions)
        self._kill_pool: ThreadPoolExecutor | None = None
        self.kill_switch = kill_switch
        self.sender = sender
        self.shard_count = shard_count
        self.max_tick_age = max_tick_age
        self.clock = clock
        self.books: dict[int, Book] = {}
        # the books of the read before the last, and when each read was (server UTC): a blind interval
        # closed by the last read is checked from the one before it (propfirm.poller.gap_review)
        self.previous_books: dict[int, Book] = {}
        self.previous_read: tuple[datetime, datetime] | None = None  # (stamp, reads' end)
        # the books a moved quote could not value (a rate not quoted yet), since the last hand-over and over
        # the hand-over before it: those were not watched between the reads (propfirm.live.blind)
        self.unvalued: set[int] = set()
        self.previous_unvalued: set[int] = set()
        self.last_read: tuple[datetime, datetime] | None = None
        # symbol -> logins valued with its quote (held or a rate) at each move: the books with a floor and
        # no trigger price; those with one are screened by it (propfirm.poller.triggers)
        self.dependents: dict[str, set[int]] = {}
        self.triggers = TriggerIndex({})
        self.specs: dict[str, SymbolInfo | None] = {}  # None: the server has no such symbol
        # (profit currency, deposit currency) -> the symbol converting one to the other (None: none has)
        self._converters: dict[tuple[str, str], str | None] = {}
        self.quotes: dict[str, Tick] = {}  # the last accepted tick per symbol
        self.version = 0  # the server's quote version (trans_id)
        self.cycle = 0
        self._server_now: tuple[datetime, float] | None = None  # (server UTC, monotonic) at the last read
        self._watched: list[str] = []  # symbols asked for each poll
        self.last_drift: Decimal | None = None
        self.after_read = TickReport()  # what valuing the books at the read's quotes found (its kills)
        self.lock = threading.Lock()

    # -- the cycle's hand-over ------------------------------------------------------------------------
    def after_cycle(
        self, cycle: int, now: datetime, holdings: Iterable[Holding], floors: dict[int, ReadFloor | None],
        reads_end: datetime | None = None,
    ) -> Decimal | None:
        """Replace the books with the cycle's read (stamped `now`, its reads done by `reads_end` on the
        server's clock); returns the largest |estimate − MT5's equity| of the accounts whose positions could
        all be valued (None: none could).

        The new books, trigger prices and index are built off the lock (pure CPU: about a second at 100,000
        accounts, half of them holding positions), so the tick polls go on against the last read's books
        meanwhile; the lock is held only for what shares the watch's MT5 session (specifications, converters,
        the quotes) and for the swap."""
        holdings = list(holdings)
        pairs = {(p.symbol, h.currency) for h in holdings for p in h.positions}
        with self.lock:  # the MT5 session is the tick thread's too
            self.load_specs({symbol for symbol, _ in pairs})
            for symbol, currency in pairs:
                spec = self.specs.get(symbol)
                if spec is not None:
                    self.converter(spec.currency_profit, currency)
            last_books = self.books
        staged = self._stage(holdings, floors, last_books)
        with self.lock:
            self.cycle = cycle
            self._server_now = (now, self.clock())
            books, self.dependents, self.triggers, self._watched = staged
            # every watched quote as of this read (one call): the books are valued from here on
            seeded = TickReport()
            moved: set[str] = set()
            if self._watched:
                ticks, self.version = self.gateway.last_ticks(self._watched, 0)
                moved = self._accept(ticks, now, seeded)
            self.previous_books, self.previous_read = self.books, self.last_read
            self.previous_unvalued, self.unvalued = self.unvalued, set()
            self.books, self.last_read = books, (now, reads_end or now)
            # a quote newer than the read may already be through a floor: judged now, not at the next change
            self.after_read = self._revalue(moved, now, seeded)
        # the model against MT5's own figures (a metric: the quotes may move on meanwhile, as between reads)
        drift: Decimal | None = None
        for h in holdings:
            estimate = self._estimate(books[h.login])
            if estimate is not None:
                gap = abs(estimate - h.equity)
                drift = gap if drift is None or gap > drift else drift
        self.last_drift = drift
        return drift

    def _stage(
        self, holdings: list[Holding], floors: dict[int, ReadFloor | None], last_books: dict[int, Book]
    ) -> tuple[dict[int, Book], dict[str, set[int]], TriggerIndex, list[str]]:
        """The read's books, the index of the books valued at each quote, the trigger prices and the symbols
        to ask for: pure, every specification and converter already known (`after_cycle` loads them)."""
        books: dict[int, Book] = {}
        dependents: dict[str, set[int]] = {}
        triggers: dict[int, Trigger] = {}
        quoted: set[str] = set()  # every symbol valuing a book: all are quoted, and checked at each read
        valuing: dict[tuple[str, str], frozenset[str]] = {}
        specs, last_triggers = self.specs, self.triggers.by_login
        for h in holdings:
            previous = last_books.get(h.login)
            if h.login in floors:  # read back this cycle (decoded once: the cycle's FloorMemo)
                read = floors[h.login]
                raw, floor = (None, None) if read is None else (read.raw, read.floor)
            else:  # the floor the last read left
                raw, floor = (previous.floor_raw, previous.floor) if previous is not None else (None, None)
            # prices move every read, but what a book holds seldom does: the same balance, positions and
            # floor keep the last read's book and trigger price (most books, every cycle)
            same = (previous is not None and previous.floor_raw == raw and previous.base == h.base
                    and previous.positions == h.positions and previous.currency == h.currency)
            book = previous if same and previous is not None else Book(h.login, h.base, h.currency, h.positions,
                                                                        raw, floor=floor)
            books[h.login] = book
            symbols = self._symbols_valuing(h, valuing)
            quoted |= symbols
            if book.floor is None:  # a book without a floor is never judged between reads
                continue
            trigger = (last_triggers.get(h.login) if same
                       else trigger_of(h.base, h.currency, h.positions, book.floor.level, specs.get))
            if trigger is not None:
                triggers[h.login] = trigger
                continue
            for symbol in symbols:
                dependents.setdefault(symbol, set()).add(h.login)
        watched = sorted(s for s in quoted if specs.get(s) is not None)
        return books, dependents, self.triggers.updated(triggers), watched

    def _symbols_valuing(self, h: Holding, known: dict[tuple[str, str], frozenset[str]]) -> frozenset[str]:
        """The symbols whose quotes value `h`: those it holds, and those converting their profit. `known`:
        the answers for (symbol, deposit currency) so far this read (most books hold one position in one of
        a few symbols, so most are a lookup)."""
        if len(h.positions) == 1:
            return self._valuing(h.positions[0].symbol, h.currency, known)
        symbols: frozenset[str] = frozenset()
        for p in h.positions:
            symbols |= self._valuing(p.symbol, h.currency, known)
        return symbols

    def _valuing(self, symbol: str, currency: str, known: dict[tuple[str, str], frozenset[str]]) -> frozenset[str]:
        answer = known.get((symbol, currency))
        if answer is None:
            spec = self.specs.get(symbol)
            converter = None if spec is None else self.converter(spec.currency_profit, currency)
            answer = known[(symbol, currency)] = frozenset((symbol,) if converter is None else (symbol, converter))
        return answer

    def converter(self, source: str, target: str) -> str | None:
        """The symbol whose quote converts `source` to `target` (SOURCETARGET, else TARGETSOURCE), asked of
        MT5 once per pair; None for the same currency or when the server has neither."""
        if source == target:
            return None
        key = (source, target)
        if key not in self._converters:
            candidates = [source + target, target + source]
            self.load_specs(candidates)
            self._converters[key] = next((c for c in candidates if self.specs.get(c) is not None), None)
        return self._converters[key]

    def load_specs(self, names: Iterable[str]) -> None:
        missing = sorted(n for n in names if n not in self.specs)
        if not missing:
            return
        found = {s.name: s for s in self.gateway.symbols(missing)}
        for name in missing:
            self.specs[name] = found.get(name)

    # -- one tick poll ------------------------------------------------------------------------------------
    def server_now(self) -> datetime | None:
        if self._server_now is None:
            return None
        at, mono = self._server_now
        return at + timedelta(seconds=self.clock() - mono)

    def poll(self) -> TickReport:
        with self.lock:
            return self._poll()

    def _poll(self) -> TickReport:
        report = TickReport()
        now = self.server_now()
        if now is None or not self._watched:
            return report
        ticks, self.version = self.gateway.last_ticks(self._watched, self.version)
        moved = self._accept(ticks, now, report)
        # the server's clock as its newest quote shows it, when that is later than the extrapolation (a
        # simulated server's clock may run faster than the wall's): the instant a kill reports
        newest = max((self.quotes[symbol].time for symbol in moved), default=now)
        return self._revalue(moved, newest if newest > now else now, report)

    def _revalue(self, moved: set[str], now: datetime, report: TickReport) -> TickReport:
        """Value again the accounts the moved quotes touch; an estimate at a floor is checked on MT5."""
        if not moved:
            return report
        valued: set[int] = set()  # the books without a trigger that these quotes value
        reached: list[int] = []  # the books whose trigger these quotes reach
        for symbol in moved:
            valued.update(self.dependents.get(symbol, ()))
            quote = self.quotes[symbol]
            reached.extend(self.triggers.reached(symbol, quote.bid, quote.ask))
            report.estimated += self.triggers.count(symbol)
        report.estimated += len(valued)
        due: list[Book] = []
        for login in valued.union(reached):
            book = self.books.get(login)
            if book is None:  # gone from MT5 since the read
                continue
            estimate = self._estimate(book)
            book.estimate = estimate
            if estimate is None:  # a price or rate not quoted yet: not judged at this move
                self.unvalued.add(login)
                continue
            floor = self._valid_floor(book, now)
            if floor is not None and estimate <= floor.level:
                due.append(book)
        report.checked += len(due)
        report.kills.extend(self._check_all(due, now))
        return report

    def _check_all(self, due: list[Book], now: datetime) -> list[KillReport]:
        """`_check` each book, at once over the kill sessions when there are several: each check holds one
        session (this watch's own among them) for its read and its kill. Every check runs to its end; the
        first error is raised after them (its kill reports are sent already)."""
        if len(due) <= 1 or not self.kill_sessions:
            return [kill for book in due if (kill := self._check(book, now)) is not None]
        if self._kill_pool is None:
            self._kill_pool = ThreadPoolExecutor(max_workers=len(self.kill_sessions) + 1,
                                                 thread_name_prefix="tick-kill")
        sessions: SimpleQueue[tuple[Mt5Gateway, KillSwitch]] = SimpleQueue()
        for session in [(self.gateway, self.kill_switch), *self.kill_sessions]:
            sessions.put(session)

        def check(book: Book) -> KillReport | None:
            gateway, switch = sessions.get()
            try:
                return self._check(book, now, gateway, switch)
            finally:
                sessions.put((gateway, switch))

        futures = [self._kill_pool.submit(check, book) for book in due]
        kills: list[KillReport] = []
        error: BaseException | None = None
        for future in futures:
            try:
                kill = future.result()
            except Exception as exc:  # noqa: BLE001 - the other checks still run to their end
                error = error or exc
                continue
            if kill is not None:
                kills.append(kill)
        if error is not None:
            raise error
        return kills

    def close(self) -> None:
        if self._kill_pool is not None:
            self._kill_pool.shutdown(wait=True)
            self._kill_pool = None

    def _accept(self, ticks: list[Tick], now: datetime, report: TickReport) -> set[str]:
        """Keep the fresh ticks (newer than the last accepted for their symbol, and not older than the
        bound on the server's clock); the symbols that moved."""
        moved: set[str] = set()
        oldest = now - self.max_tick_age
        for tick in ticks:
            last = self.quotes.get(tick.symbol)
            if (last is not None and tick.time <= last.time) or tick.time < oldest:
                report.refused += 1
                continue
            self.quotes[tick.symbol] = tick
            moved.add(tick.symbol)
            report.ticks += 1
        return moved

    def _valid_floor(self, book: Book, now: datetime) -> FloorRecord | None:
        floor = book.floor
        return floor if floor is not None and floor.is_valid_at(now) else None

    def _check(self, book: Book, now: datetime, gateway: Mt5Gateway | None = None,
               switch: KillSwitch | None = None) -> KillReport | None:
        """The estimate reached the floor: read the account and act on MT5's figures (through `gateway` and
        `switch`, a kill session, when given)."""
        gateway, switch = gateway or self.gateway, switch or self.kill_switch
        try:
            equity = gateway.account_equity(book.login)
        except NotFound:
            self.books.pop(book.login, None)
            return None
        breach = find_breach(book.login, equity, book.floor_raw, now)
        if breach is None:
            logger.info("estimate at the floor, MT5's equity above it", login=book.login,
                        estimate=str(book.estimate), equity=str(equity))
            return None
        result = switch.kill_once(breach)
        if result is None:  # killed for this floor already (here or by the cycle)
            return None
        shard = shard_of(self.server, book.login, self.shard_count)
        kill = kill_report(self.server, breach, shard, self.cycle, now, result)
        self.sender.send([Outgoing(body=kill.model_dump_json(), group_id=str(shard),
                                   dedup_id=f"{self.server}:kill:{book.login}:{self.cycle}:tick")])
        logger.warning("breach seen on the tick path: kill switch pulled", login=book.login,
                       equity=str(equity), estimate=str(book.estimate), floor=str(breach.floor.level))
        return kill

    # -- valuation ---------------------------------------------------------------------------------------
    def watched_through(self, books: dict[int, Book], until: datetime) -> set[int]:
        """The accounts of `books` (those before the last hand-over, `previous_books`) that the tick polls
        judged at every move of their prices until `until`: a floor valid that long, every symbol's
        specification and conversion known, and never a moved quote they could not be valued at (a rate not
        yet quoted). Under the lock."""
        return {login for login, book in books.items()
                if book.floor is not None and book.floor.is_valid_at(until) and login not in self.previous_unvalued
                and all(self._can_value(p.symbol, book.currency) for p in book.positions)}

    def _can_value(self, symbol: str, currency: str) -> bool:
        spec = self.specs.get(symbol)
        return spec is not None and (spec.currency_profit == currency
                                     or self.converter(spec.currency_profit, currency) is not None)

    def _estimate(self, book: Book) -> Decimal | None:
        """balance + credit + Σ (swap + profit at the last quotes); None when a price or rate is unknown."""
        total = book.base
        for p in book.positions:
            spec = self.specs.get(p.symbol)
            quote = self.quotes.get(p.symbol)
            if spec is None or quote is None:
                return None
            rate = self._rate(spec.currency_profit, book.currency)
            if rate is None:
                return None
            close = quote.bid if p.buy else quote.ask
            move = close - p.price_open if p.buy else p.price_open - close
            total += p.swap + move * spec.contract_size * p.volume * rate
        return total

    def _rate(self, source: str, target: str) -> Decimal | None:
        """One unit of `source` in `target`: the converter's bid, or one over its ask when it is quoted the
        other way round; None while it has no quote."""
        if source == target:
            return ONE
        symbol = self.converter(source, target)
        quote = None if symbol is None else self.quotes.get(symbol)
        if quote is None:
            return None
        if symbol == source + target:
            return quote.bid
        return ONE / quote.ask if quote.ask else None

