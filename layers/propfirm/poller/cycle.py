"""One poll cycle: read MT5 by group, write Redis in one pipeline, act on breaches, send the changes.

1. MT5: the server's clock, the account states of the watched groups, the positions of the groups whose
   rules need them, and the deals since the cursor (four batch reads, whatever the number of accounts).
2. Change detection picks the accounts to send; their snapshots are encoded.
3. One Redis pipeline: state hash (cycle, cursor, outbox of deal-carrying messages), seen tickets,
   snapshots of the changed accounts, the floors of those accounts (read back), the heartbeat.
4. Fast path: a changed account whose equity breaches its valid floor is killed at once.
5. SQS: the evaluation messages (claim checks, many accounts each) and kill reports, SendMessageBatch.
A cycle that fails after step 3 keeps its messages and sends them first in the next cycle.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from sys import intern

import orjson

from propfirm.live.poller_state import CycleWrite, PollerStateStore
from propfirm.live.records import PositionSummary, encode_snapshot, iso_utc
from propfirm.mt5 import masks
from propfirm.mt5.models import AccountState
from propfirm.mt5.port import Mt5Gateway
from propfirm.poller.changes import ChangeDetector
from propfirm.poller.deals import DealTracker, to_ms
from propfirm.poller.fast_path import KillSwitch, find_breach, kill_report
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
        self.unsent: list[Outgoing] = []  # sent first by the next cycle when a send failed
        self.last_good: bytes | None = None  # heartbeat of the last cycle that completed
        self.groups_known: dict[str, str] = {}  # login -> group, from the last read (commands use it)
        self._positions_by_group: dict[str, bool] = {}

    def _reads_positions(self, group: str) -> bool:
        known = self._positions_by_group.get(group)
        if known is None:
            known = bool(self.plan.position_groups) and masks.matches(group, self.plan.position_groups)
            self._positions_by_group[group] = known
        return known

    def run(self) -> CycleReport:
        server, gateway, plan = self.server, self.gateway, self.plan
        cycle = self.cycle + 1
        report = CycleReport(cycle=cycle)
        now = gateway.server_time().utc
        mono = self.clock()
        states = gateway.account_states(plan.groups)
        positions: dict[int, list[PositionSummary]] = {}
        if plan.position_groups:
            for p in gateway.positions(plan.position_groups):
                positions.setdefault(p.login, []).append(PositionSummary(p.symbol, p.volume, p.side.value))
        since, until = self.tracker.window(now)
        fetched = list(gateway.deals(plan.groups, since, until))
        new_deals = self.tracker.select_new(fetched)
        deals_by_login: dict[int, list[DealRecord]] = {}
        for deal in new_deals:
            deals_by_login.setdefault(deal.login, []).append(DealRecord.from_mt5(deal))

        changed: list[tuple[int, int]] = []  # (login, fingerprint hash)
        to_write: list[tuple[AccountState, tuple[PositionSummary, ...] | None]] = []
        equity: dict[int, Decimal] = {}
        for s in states:
            held = positions.get(s.login)
            summary = (tuple(sorted(held, key=_position_key)) if held else ()) if self._reads_positions(
                s.group) else None
            fingerprint = hash((s.balance, s.equity, s.credit, s.margin, summary))
            if self.detector.is_changed(s.login, fingerprint, mono, s.login in deals_by_login):
                changed.append((s.login, fingerprint))
                to_write.append((s, summary))
                equity[s.login] = s.equity
        self.groups_known = {s.login: intern(s.group) for s in states}
        retry = [s for s in states if s.login in self.kill_switch.retry and s.login not in equity]
        for s in retry:
            equity[s.login] = s.equity

        logins_by_shard: dict[int, list[int]] = {}
        for login in [login for login, _ in changed] + [d for d in deals_by_login if d not in equity]:
            logins_by_shard.setdefault(shard_of(server, login, self.shard_count), []).append(login)
        packed = pack_evaluation_messages(server, cycle, now, logins_by_shard, deals_by_login,
                                          self.max_message_bytes, poller=self.store.name)
        new_tickets = {d.ticket: to_ms(d.time) for d in new_deals}
        cursor = to_ms(until)
        floors = self.store.write_cycle(CycleWrite(
            cycle=cycle,
            cursor_ms=cursor,
            new_tickets=new_tickets,
            outbox=[m.as_json() for m, has_deals in packed if has_deals],
            snapshots=self._snapshots(to_write, cycle, iso_utc(now)),
            floor_logins=list(equity),
            heartbeat=self.last_good,
        ))
        self.tracker.commit(new_tickets, cursor, fetched=len(fetched))
        del fetched
        self.cycle = cycle
        self.unsent.extend(m for m, _ in packed)

        for login, raw in floors.items():
            if raw is None:
                continue
            breach = find_breach(login, equity[login], raw, now)
            if breach is None or self.kill_switch.already_killed(breach):
                continue
            shard = shard_of(server, login, self.shard_count)
            close = self.kill_switch.kill(breach)
            kill = kill_report(server, breach, shard, cycle, now, close)
            report.kills.append(kill)
            self.unsent.append(Outgoing(body=kill.model_dump_json(), group_id=str(shard),
                                        dedup_id=kill_dedup_id(server, login, cycle)))

        report.messages = len(self.unsent)
        report.sqs_requests = self.sender.send(self.unsent)
        self.unsent = []
        self.detector.commit(changed, mono)
        if len(self.detector) > len(states) + 1024:
            self.detector.forget_missing({s.login for s in states})
        report.accounts, report.changed, report.new_deals = len(states), len(changed), len(new_deals)
        wall = datetime.now(UTC)
        self.last_good = orjson.dumps({"time": iso_utc(wall), "epoch": wall.timestamp(), "cycle": cycle,
                                       "accounts": len(states)})
        return report


    def _snapshots(self, changed: list[tuple[AccountState, tuple[PositionSummary, ...] | None]], cycle: int,
                   time_text: str) -> Iterator[tuple[int, bytes]]:
        """Encoded lazily: each snapshot goes into the pipeline and is freed at once (orjson's bytes
        carry a few KiB of slack each, which 100k accounts would multiply)."""
        server = self.server
        for s, summary in changed:
            yield s.login, encode_snapshot(server, s.login, cycle, time_text, s.balance, s.equity, s.credit,
                                           s.margin, summary)


def _position_key(p: PositionSummary) -> tuple[str, str, object]:
    return (p.symbol, p.side, p.volume)
