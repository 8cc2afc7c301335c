"""One poll cycle: read MT5 by group, write Redis in one pipeline, act on breaches, send the changes.

1. MT5: the server's clock, the account states of the watched groups, the deals since the cursor, and the
   open positions of the groups whose rules need them (batch reads, whatever the number of accounts).
   Positions change only with deals (and a swap at the day's rollover), so every position is read at
   least every `POLLER_POSITIONS_FULL_SECONDS`, and between those full reads only the positions of the
   accounts with a deal in the cycle's window, plus every cycle those of the groups that judge a
   position's current result or value (a per-trade loss limit, an exposure cap by value); the others
   are carried from their last read, each with the time of its price. The positions are read after the
   deals, so a deal the window missed is in the next one, and its account read again then.
2. Change detection picks the accounts to send; their snapshots are encoded.
3. One Redis pipeline: state hash (cycle, cursor, outbox of deal-carrying messages), seen tickets,
   snapshots of the changed accounts, the floors of those accounts (read back), the heartbeat.
4. Fast path: a changed account whose equity breaches its valid floor is killed at once.
5. SQS: the evaluation messages (claim checks, many accounts each) and kill reports, SendMessageBatch.
6. The tick path (`propfirm.poller.prices`, when on) takes the accounts with open positions and their
   floors, to value them at each tick poll until the next cycle.
A cycle that fails after step 3 keeps its messages and sends them first in the next cycle.

A snapshot is stamped with the server's time at the cycle's start, and the engine takes a deal dated after
its last snapshot as not yet in that snapshot's balance. A deal made while the account states were being
read breaks that: the balance may hold it, and the deal is dated after the stamp. So the deals are read up
to the server's time after the state reads, and an account with a deal dated after the cycle's start gets
no snapshot this cycle, only its deals (the engine adds them to the last snapshot's balance, exactly); its
next cycle's snapshot holds them. At most one cycle in a row: an account dealing in every read still gets
its snapshot every other cycle (then with deals dated after it, and the evaluator tells from the balance which
of them the read holds: `propfirm.evaluation.placement`). The fast path judges it on this cycle's read as any other.

While the deal window lags the reads (a backlog after an outage, caught up a window per cycle), no snapshot is
sent at all: a balance read then holds deals the window has not reached, dated before the stamp or after it,
and the engine could tell neither. The deals go alone (the engine adds them to the last snapshot's balance,
exactly, closing each day on all of them), the fast path judges every read against the floors, and the
snapshots resume with the first cycle whose window reaches the reads.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from sys import intern

import orjson

from propfirm.live.floors import FloorMemo, ReadFloor
from propfirm.live.poller_state import CycleWrite, PollerStateStore
from propfirm.live.records import iso_utc
from propfirm.mt5 import masks
from propfirm.mt5.models import AccountRow, PositionRow
from propfirm.mt5.port import Mt5Gateway
from propfirm.poller.changes import ChangeDetector, fingerprint_hash
from propfirm.poller.deals import DealTracker, to_ms
from propfirm.poller.fast_path import KillSwitch, breach_of, kill_report
from propfirm.poller.held import HeldPosition
from propfirm.poller.prices import Holding, PriceWatch
from propfirm.poller.snapshots import SnapshotEncoder
from propfirm.poller.startup import WatchPlan
from propfirm.queues.messages import DealRecord, KillReport
from propfirm.queues.packing import pack_evaluation_messages
from propfirm.queues.sharding import shard_of
from propfirm.queues.sqs import Outgoing, SqsSender


@dataclass
class CycleReport:
    cycle: int
    accounts: int = 0
    changed: int = 0
    new_deals: int = 0
    messages: int = 0
    sqs_requests: int = 0
    kills: list[KillReport] = field(default_factory=list)
    positions_whole: bool = False  # every position read (else: carried, and the accounts that dealt read again)
    positions_read_again: int = 0  # accounts whose positions were read again for their deals


# what a cycle keeps of each account's state (login, group, balance, equity, credit, margin): read page by
# page straight into these (`Mt5Gateway.account_rows`), a tenth of the objects of whole AccountStates
_Polled = AccountRow


@dataclass
class _Read:
    now: datetime  # the MT5 server's clock (UTC) at the cycle's start
    mono: float
    polled: list[_Polled]  # released once the changes are known (the largest thing a cycle holds)
    positions: dict[int, list[PositionRow]]  # the open positions by login, as read (`refreshed`: carried)
    until: datetime  # the deal window's end: the cursor after this cycle
    fetched: int  # deals the window returned (adapts the next window)
    new_tickets: dict[int, int]  # ticket -> deal time (ms) of the deals not handed on before
    deals_by_login: dict[int, list[DealRecord]]
    late: set[int] = field(default_factory=set)  # logins with a deal dated after `now` (made during the read)
    catching_up: bool = False  # the deal window ends before the reads did: a backlog, no snapshot is whole
    reads_end: datetime | None = None  # the server's clock after the state and position reads
    # None: every position was read this cycle; else the logins whose positions were (absent from it: carried
    # from `positions`, but for the groups read whole every cycle, whose accounts it does not list are flat)
    refreshed: dict[int, list[PositionRow]] | None = None
    read_again: int = 0  # accounts whose positions were read for their deals


# what a snapshot needs of an account: login, balance, equity, credit, margin, positions (None: not read)
_SnapshotFields = tuple[int, Decimal, Decimal, Decimal, Decimal, list[PositionRow] | None]


@dataclass
class _Changes:
    accounts: int = 0
    sent: list[tuple[int, int]] = field(default_factory=list)  # (login, fingerprint hash)
    to_write: list[_SnapshotFields] = field(default_factory=list)
    equity: dict[int, Decimal] = field(default_factory=dict)  # accounts whose floor is read
    holdings: list[Holding] = field(default_factory=list)  # accounts with open positions (the tick path)
    held_back: set[int] = field(default_factory=set)  # a deal made during the read: no snapshot this cycle


def kill_dedup_id(server: str, login: int, cycle: int) -> str:
    return f"{server}:kill:{login}:{cycle}"


class PollCycle:
    def __init__(
        self,
        *,
        gateway: Mt5Gateway,
        store: PollerStateStore,
        sender: SqsSender,
        plan: WatchPlan,
        shard_count: int,
        detector: ChangeDetector,
        tracker: DealTracker,
        kill_switch: KillSwitch,
        last_cycle: int,
        max_message_bytes: int = 60_000,
        clock: Callable[[], float] = time.monotonic,
        prices: PriceWatch | None = None,
        currency_of: Callable[[str], str] | None = None,
        durable: deque[Outgoing] | None = None,
        positions_full_seconds: float = 0.0,
    ) -> None:
        self.gateway = gateway
        self.store = store
        self.sender = sender
        self.server = gateway.server
        self.plan = plan
        self.shard_count = shard_count
        self.detector = detector
        self.tracker = tracker
        self.kill_switch = kill_switch
        self.cycle = last_cycle
        self.max_message_bytes = max_message_bytes
        self.clock = clock
        self.prices = prices
        self.currency_of = currency_of or (lambda group: "USD")
        self.last_drift: Decimal | None = None
        # messages of a failed send, sent first by the next cycle; True: it carries deals (so it stays in
        # the outbox until it went out)
        self.unsent: list[tuple[Outgoing, bool]] = []
        self.last_good: bytes | None = None  # heartbeat of the last cycle that completed
        self.groups_known: dict[int, str] = {}  # login -> group, from the last read (commands use it)
        self._positions_by_group: dict[str, bool] = {}
        self._current_by_group: dict[str, bool] = {}
        # every position is read again at least this often (0: every cycle); between, see `_read_positions`
        self.positions_full_seconds = positions_full_seconds
        self._positions: dict[int, list[PositionRow]] = {}  # the open positions the last cycle held, by login
        # the tick path's positions of each account the last cycle handed over, and the rows they were made of:
        # the same rows (carried, not read again) keep the same positions
        self._held: dict[int, tuple[list[PositionRow], tuple[HeldPosition, ...]]] = {}
        self._positions_read_at: float | None = None  # when every position was last read (None: read them now)
        self._held_back: set[int] = set()  # the accounts whose snapshot the last cycle held back
        self.floor_memo = FloorMemo()  # the floors read back, decoded once for the fast path and the tick path
        # messages other threads hand over (a blind interval's review): into the next cycle's outbox, kept
        # there until sent, as the deal-carrying ones (deque: append and popleft are safe across threads)
        self.durable: deque[Outgoing] = deque() if durable is None else durable

    def _reads_positions(self, group: str) -> bool:
        known = self._positions_by_group.get(group)
        if known is None:
            known = bool(self.plan.position_groups) and masks.matches(group, self.plan.position_groups)
            self._positions_by_group[group] = known
        return known

    def _reads_current(self, group: str) -> bool:
        known = self._current_by_group.get(group)
        if known is None:
            masks_ = self.plan.current_position_groups
            known = bool(masks_) and masks.matches(group, masks_)
            self._current_by_group[group] = known
        return known

    def run(self) -> CycleReport:
        cycle = self.cycle + 1
        started = self.clock()
        full_at = self._positions_read_at
        self._positions_read_at = None  # a cycle that fails reads every position in the next one
        read = self._read(full_at)
        changes = self._detect(read)
        floors = self.floor_memo.read(self._write(cycle, read, changes))
        self.cycle = cycle
        report = CycleReport(cycle=cycle, accounts=changes.accounts, changed=len(changes.sent),
                             new_deals=len(read.new_tickets),
                             positions_whole=read.refreshed is None and bool(self.plan.position_groups),
                             positions_read_again=read.read_again)
        report.kills = self._fast_path(cycle, read.now, changes.equity, floors)
        if self.prices is not None:
            self.last_drift = self.prices.after_cycle(cycle, read.now, changes.holdings, floors,
                                                      reads_end=read.reads_end)
        report.messages = len(self.unsent)
        report.sqs_requests = self.sender.send([m for m, _ in self.unsent])
        self.unsent = []
        self.detector.commit(changes.sent, read.mono)
        if len(self.detector) > changes.accounts + 1024:
            self.detector.forget_missing(self.groups_known.keys())  # every login this cycle polled
        self._positions_read_at = read.mono if read.refreshed is None else full_at
        wall = datetime.now(UTC)
        self.last_good = orjson.dumps({"time": iso_utc(wall), "epoch": wall.timestamp(), "cycle": cycle,
                                       "accounts": changes.accounts,
                                       "duration_seconds": round(self.clock() - started, 3)})
        return report

    def _read(self, positions_read_at: float | None) -> _Read:
        """The batch reads of MT5. `positions_read_at`: when every position was last read (None: not since
        the start or a failed cycle)."""
        gateway, plan = self.gateway, self.plan
        now = gateway.server_time().utc
        mono = self.clock()
        polled: list[_Polled] = []
        for page in gateway.account_rows(plan.groups):
            polled += page
        # up to the server's time after the state reads: a deal made while they ran is seen now
        reads_end = max(now, gateway.server_time().utc)
        since, until = self.tracker.window(reads_end)
        new_tickets: dict[int, int] = {}
        deals_by_login: dict[int, list[DealRecord]] = {}
        late: set[int] = set()
        # page by page as MT5 answers; only the message form of each new deal is kept
        for deal in self.tracker.select_new(gateway.deals(plan.groups, since, until)):
            new_tickets[deal.ticket] = to_ms(deal.time)
            deals_by_login.setdefault(deal.login, []).append(DealRecord.from_mt5(deal))
            if deal.time > now:
                late.add(deal.login)
        catching_up = not self.tracker.reaches(until, reads_end)
        positions, refreshed, read_again = self._positions, None, 0
        if plan.position_groups:
            full = (positions_read_at is None or catching_up
                    or mono - positions_read_at >= self.positions_full_seconds)
            if full:
                positions = _by_login(gateway.position_rows(plan.position_groups))
            else:
                dealt = ({login: group for login, group, *_ in polled if login in deals_by_login}
                         if deals_by_login else {})
                refreshed, read_again = self._read_positions(dealt)
            reads_end = max(reads_end, gateway.server_time().utc)  # a read holds the account as of its span
        return _Read(now, mono, polled, positions, until, self.tracker.fetched, new_tickets, deals_by_login, late,
                     catching_up=catching_up, reads_end=reads_end, refreshed=refreshed, read_again=read_again)

    def _read_positions(self, dealt_in: dict[int, str]) -> tuple[dict[int, list[PositionRow]], int]:
        """Between full reads: the positions of the groups read whole every cycle, and of the accounts with a
        deal in this window (`dealt_in`: login -> group; an account absent from the answer is flat); and how
        many accounts were read for their deals."""
        refreshed: dict[int, list[PositionRow]] = {}
        if self.plan.current_position_groups:
            refreshed = _by_login(self.gateway.position_rows(self.plan.current_position_groups))
        dealt = [login for login, group in dealt_in.items()
                 if self._reads_positions(group) and not self._reads_current(group)]
        if dealt:
            read = _by_login(self.gateway.position_rows_of(dealt))
            for login in dealt:
                refreshed[login] = read.get(login, [])
        return refreshed, len(dealt)

    def _detect(self, read: _Read) -> _Changes:
        """The accounts to send, and the equity of those whose floor must be read. The loop runs for every
        account every cycle (100,000): what it reads is bound to locals first."""
        changes = _Changes(accounts=len(read.polled))
        reads_positions = self._positions_by_group
        positions, refreshed = read.positions, read.refreshed
        carried: dict[int, list[PositionRow]] = {}  # what this cycle holds: the next one carries it
        last_held, handed = self._held, {}
        currencies: dict[str, str] = {}
        sent, to_write, floor_read, holdings = changes.sent, changes.to_write, changes.equity, changes.holdings
        catching_up, late, dealt = read.catching_up, read.late, read.deals_by_login
        held_back_last = self._held_back  # the last cycle's (this cycle's go into changes.held_back)
        is_changed, retry, mono = self.detector.is_changed, self.kill_switch.retry, read.mono
        hands_over = self.prices is not None
        for login, group, balance, equity, credit, margin in read.polled:
            reads = reads_positions.get(group)
            if reads is None:
                reads = self._reads_positions(group)
            if refreshed is None:
                held = positions.get(login)
            else:
                held = refreshed.get(login)
                if held is None and not self._reads_current(group):
                    held = positions.get(login)
            if held:
                carried[login] = held
            fingerprint = fingerprint_hash(balance, equity, credit, margin, _held_key(held) if reads else None)
            if catching_up:
                floor_read[login] = equity  # only the fast path judges the read: no snapshot is sent
            elif login in late and login not in held_back_last:
                changes.held_back.add(login)  # its deals go alone; the next cycle's snapshot holds them
                floor_read[login] = equity  # the fast path judges this read all the same
            elif is_changed(login, fingerprint, mono, login in dealt):
                sent.append((login, fingerprint))
                to_write.append((login, balance, equity, credit, margin, (held or []) if reads else None))
                floor_read[login] = equity
            elif login in retry:
                floor_read[login] = equity  # a kill that failed: read its floor again
            if held and hands_over:
                last = last_held.get(login)
                kept = last[1] if last is not None and last[0] is held else _held_positions(held)
                handed[login] = (held, kept)
                currency = currencies.get(group)
                if currency is None:
                    currency = currencies[group] = self.currency_of(group)
                holdings.append(Holding(login, balance + credit, equity, currency, kept))
                if login not in floor_read:
                    floor_read[login] = equity  # its floor is read back for the tick path too
        self.groups_known = {polled[0]: intern(polled[1]) for polled in read.polled}
        self._held_back = changes.held_back
        self._positions, self._held = carried, handed
        read.polled = []
        return changes

    def _write(self, cycle: int, read: _Read, changes: _Changes) -> dict[int, bytes | None]:
        """Pack the messages, then the one Redis pipeline; returns the floors read back."""
        server = self.server
        logins_by_shard: dict[int, list[int]] = {}
        sent = {login for login, _ in changes.sent}
        deal_only = [login for login in read.deals_by_login if login not in sent]
        for login in [login for login, _ in changes.sent] + deal_only:
            logins_by_shard.setdefault(shard_of(server, login, self.shard_count), []).append(login)
        packed = pack_evaluation_messages(server, cycle, read.now, logins_by_shard, read.deals_by_login,
                                          self.max_message_bytes, poller=self.store.name, deals_until=read.until)
        handed: list[Outgoing] = []
        while self.durable:
            handed.append(self.durable.popleft())
        packed += [(m, True) for m in handed]
        new_tickets = read.new_tickets
        cursor = to_ms(read.until)
        try:
            floors = self.store.write_cycle(CycleWrite(
                cycle=cycle,
                cursor_ms=cursor,
                new_tickets=new_tickets,
                outbox=[m.as_json() for m, has_deals in [*self.unsent, *packed] if has_deals],
                snapshots=self._snapshots(changes.to_write, cycle, iso_utc(read.now)),
                floor_logins=list(changes.equity),
                heartbeat=self.last_good,
            ))
        except BaseException:
            self.durable.extendleft(reversed(handed))  # not in any outbox yet: the next cycle takes them
            raise
        self.tracker.commit(new_tickets, cursor, fetched=read.fetched)
        self.unsent.extend(packed)
        return floors

    def _fast_path(self, cycle: int, now: datetime, equity: dict[int, Decimal],
                   floors: dict[int, ReadFloor | None]) -> list[KillReport]:
        """Kill every account whose equity breaches its valid floor; queue the kill reports."""
        kills: list[KillReport] = []
        for login, read in floors.items():
            if read is None:
                continue
            breach = breach_of(login, equity[login], read, now)
            if breach is None:
                continue
            result = self.kill_switch.kill_once(breach)
            if result is None:  # killed for this floor already (here or on the tick path)
                continue
            shard = shard_of(self.server, login, self.shard_count)
            kill = kill_report(self.server, breach, shard, cycle, now, result)
            kills.append(kill)
            self.unsent.append((Outgoing(body=kill.model_dump_json(), group_id=str(shard),
                                         dedup_id=kill_dedup_id(self.server, login, cycle)), False))
        return kills

    def _snapshots(self, changed: list[_SnapshotFields], cycle: int, time_text: str
                   ) -> Iterator[tuple[int, bytes]]:
        """Encoded lazily: each snapshot goes into the pipeline and is freed at once."""
        encode = SnapshotEncoder(self.server, cycle, time_text).encode
        for login, balance, equity, credit, margin, held in changed:
            yield login, encode(login, balance, equity, credit, margin, held)


def _by_login(rows: list[PositionRow]) -> dict[int, list[PositionRow]]:
    positions: dict[int, list[PositionRow]] = {}
    for row in rows:
        positions.setdefault(row[0], []).append(row)
    return positions


def _held_positions(held: list[PositionRow]) -> tuple[HeldPosition, ...]:
    # a row: (login, symbol, lots, side, ticket, open price, price, its time, profit, swap, value)
    return tuple([HeldPosition(row[1], row[3] == "buy", row[2], row[5], row[9], row[4]) for row in held])


def _held_key(held: list[PositionRow] | None) -> tuple[tuple[str, Decimal, str], ...]:
    """What the fingerprint sees of an account's positions: each one's symbol, lots and side (a price moving
    shows in the equity), in a fixed order; tuples, hashed and sorted in C."""
    if not held:
        return ()
    if len(held) == 1:
        row = held[0]
        return ((row[1], row[2], row[3]),)
    return tuple(sorted([(row[1], row[2], row[3]) for row in held]))
