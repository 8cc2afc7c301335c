"""The fast path: the poller's one comparison, and the kill switch it pulls.

Equity at or below (`breach_at: touch`) or below (`below`) the account's floor, while the floor is still
valid, disables trading and closes every position at once; a kill report then tells the evaluator,
which records the breach. An expired, missing or unreadable floor never kills. An account already killed
for a floor of the same state version is not killed again (its equity stays under the floor after the
close); a kill that failed is retried on the next cycle.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from propfirm.live.floors import ReadFloor
from propfirm.live.records import FloorRecord
from propfirm.mt5.errors import ConnectionLost, Mt5Error
from propfirm.mt5.models import AccountId, AccountUpdate
from propfirm.mt5.port import Mt5Gateway
from propfirm.poller.observability import logger
from propfirm.queues.messages import ClosedPositionInfo, CloseResult, FloorInfo, KillReport


@dataclass(frozen=True, slots=True)
class Breach:
    login: int
    equity: Decimal
    floor: FloorRecord


def find_breach(login: int, equity: Decimal, raw_floor: bytes | None, now: datetime) -> Breach | None:
    return breach_of(login, equity, None if raw_floor is None else ReadFloor.decode(raw_floor), now)


def breach_of(login: int, equity: Decimal, read: ReadFloor | None, now: datetime) -> Breach | None:
    """`find_breach` with the floor decoded already (`propfirm.live.floors.FloorMemo`)."""
    if read is None:
        return None
    if read.error is not None:
        logger.warning("unreadable floor ignored", login=login, error=read.error)
        return None
    floor = read.active(now)
    if floor is None or not floor.is_breached_by(equity):
        return None
    return Breach(login, equity, floor)


class KillSwitch:
    def __init__(self, gateway: Mt5Gateway, server: str) -> None:
        self.gateway = gateway
        self.server = server
        self._killed: dict[int, int] = {}  # login -> floor version acted on
        self._acting: set[int] = set()  # logins a switch sharing this memory is killing now
        self.retry: set[int] = set()  # logins whose kill failed: their floor is read again next cycle
        # guards the memory shared by the switches (the cycle's, the tick path's and its kill sessions'):
        # an account is killed by one of them at a time, different accounts at once (a crash through many
        # floors is not closed one account after another)
        self.lock = threading.Lock()

    def over(self, gateway: Mt5Gateway) -> KillSwitch:
        """A switch acting through another MT5 session (the tick path's thread, a kill session) that shares
        this one's memory of kills: an account killed by either is not killed again by the other."""
        twin = KillSwitch(gateway, self.server)
        twin._killed, twin._acting, twin.retry, twin.lock = self._killed, self._acting, self.retry, self.lock
        return twin

    def already_killed(self, breach: Breach) -> bool:
        return self.killed_for(breach.login, breach.floor)

    def killed_for(self, login: int, floor: FloorRecord) -> bool:
        """This account was killed (by any switch sharing this memory) for this floor: its breach was seen."""
        return self._killed.get(login) == floor.version

    def kill_once(self, breach: Breach) -> CloseResult | None:
        """`kill`, unless this breach's account was killed for this floor already, or is being killed now,
        by any switch sharing this memory; None then."""
        login = breach.login
        with self.lock:
            if self.already_killed(breach) or login in self._acting:
                return None
            self._acting.add(login)
        try:
            return self.kill(breach)
        finally:
            with self.lock:
                self._acting.discard(login)

    def kill(self, breach: Breach) -> CloseResult:
        """Disable trading, close every position, then confirm trading is disabled (read back after the closes:
        the positions are not kept waiting a round trip for it); ConnectionLost propagates (nothing is
        known)."""
        account = AccountId(self.server, breach.login)
        errors: list[str] = []
        disabled = False
        closed: list[ClosedPositionInfo] = []
        try:
            self.gateway.disable_trading(account)
            disabled = True
        except ConnectionLost:
            self._failed(breach)
            raise
        except Mt5Error as exc:
            errors.append(f"disable trading: {exc}")
        try:
            for position in self.gateway.close_all_positions(account):
                closed.append(ClosedPositionInfo(ticket=position.ticket, symbol=position.symbol,
                                                 volume=position.volume, deal=position.deal,
                                                 price=position.price))
        except ConnectionLost:
            self._failed(breach)
            raise
        except Mt5Error as exc:
            errors.append(f"close positions: {exc}")
        if disabled:
            try:  # one read when MT5 took the rights; written again (and read back) when it left them
                self.gateway.update_account(AccountUpdate(account=account, trading_enabled=False))
            except ConnectionLost:
                self._failed(breach)
                raise
            except Mt5Error as exc:
                disabled = False
                errors.append(f"disable trading: {exc}")
        if errors:
            self._failed(breach)
            logger.error("kill switch incomplete", login=breach.login, errors=errors)
        else:
            with self.lock:
                self.retry.discard(breach.login)
                self._killed[breach.login] = breach.floor.version
        return CloseResult(trading_disabled=disabled, closed=closed, error="; ".join(errors) or None)

    def _failed(self, breach: Breach) -> None:
        with self.lock:
            self.retry.add(breach.login)


def kill_report(server: str, breach: Breach, shard: int, cycle: int, now: datetime,
                close: CloseResult) -> KillReport:
    floor = breach.floor
    return KillReport(
        server=server,
        login=breach.login,
        shard=shard,
        cycle=cycle,
        time=now,
        equity=breach.equity,
        floor=FloorInfo(level=floor.level, expires_at=floor.expires_at, reason=floor.reason,
                        breach_at=floor.breach_at, action=floor.action, version=floor.version),
        reason=floor.reason,
        close=close,
    )
