"""The in-memory trade server: groups, accounts, positions, deals, market and clock.

Everything the Web API serves and the tests touch goes through `World`, under one
re-entrant lock (`world.lock`), so a test thread may call it while the server
thread serves. Typical use in a test:

    world = World(seed=1, clock=SimClock(speed=0))
    world.create_group("challenge\\phase1")
    login = world.create_account("challenge\\phase1", balance="100000")
    ticket = world.open_position(login, "EURUSD", "buy", "1.00")
    world.set_price("EURUSD", "1.09500")
    world.account(login).equity          # balance + credit + floating
    world.close_position(login, ticket)   # an OUT deal with the realised profit
    world.clock.advance(timedelta(days=1))  # crosses the rollover: swaps charged at once

Time-driven work (swaps and the previous-day snapshots at each server
midnight) is caught up by `settle()`: at once when the clock is advanced
explicitly, and lazily (every public method calls it) as a running clock passes.

Size: one lock guards every table of the trade server; the tables' own logic is in `accounts`, `market`,
`history`, `bars` and `sessions`, and what stays here are the operations that must hold the lock across
several of them.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from propfirm.domain.abuse.news import Release
from propfirm.mt5.auth import password_hash
from propfirm.mt5.protocol import USER_RIGHT_TRADE_DISABLED
from propfirm.sim import accounts as acc
from propfirm.sim import sessions
from propfirm.sim.accounts import Account, AccountState, Deal, Group, Position, TradeError
from propfirm.sim.bars import BarHistory
from propfirm.sim.clock import ServerZone, SimClock
from propfirm.sim.history import DealHistory
from propfirm.sim.market import LOT, Market, SymbolSpec

if TYPE_CHECKING:
    from propfirm.sim.traders import Trader

FIRST_LOGIN = 100_000
FIRST_DEAL = 1_000_001
FIRST_ORDER = 5_000_001
# deals younger than this stay in memory, older ones go to disk (checked every simulated hour): what the
# poller, the dealer and the end-of-day reads ask for is minutes or a day old, and a day of 100,000
# accounts' deals would hold some 1.7 GB
HISTORY_KEEP = timedelta(hours=3)
SPILL_EVERY = timedelta(hours=1)


@dataclass(frozen=True)
class AccountView:
    """A read-only snapshot of one account for tests and the traders."""

    login: int
    group: str
    leverage: int
    rights: int
    balance: Decimal
    credit: Decimal
    profit: Decimal
    storage: Decimal
    floating: Decimal
    equity: Decimal
    margin: Decimal
    margin_free: Decimal
    positions: tuple[int, ...]


def _valuation(spec: SymbolSpec) -> tuple[object, ...]:
    """What values a position in a symbol: a configuration write may not change it under open ones."""
    return (spec.digits, spec.contract_size, spec.base_currency, spec.profit_currency, spec.fx)


def to_decimal(value: Decimal | str | int | float, what: str = "amount") -> Decimal:
    try:
        result = value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        raise TradeError(3, f"{what} is not a number: {value!r}") from None
    if not result.is_finite():
        raise TradeError(3, f"{what} is not a finite number: {value!r}")
    return result


def lots_to_volume(lots: Decimal | str | int | float) -> int:
    volume = to_decimal(lots, "volume") * LOT
    if volume != volume.to_integral_value() or volume <= 0:
        raise TradeError(10014, f"invalid volume {lots!r} lots")
    return int(volume)


def side_to_action(side: str | int) -> int:
    if side in (0, "0", "buy", "BUY", "Buy"):
        return 0
    if side in (1, "1", "sell", "SELL", "Sell"):
        return 1
    raise TradeError(10013, f"side must be buy or sell, not {side!r}")


ZERO = Decimal(0)
DAILY_SUMS = (
    "DailyProfit", "DailyBalance", "DailyCredit", "DailyCharge", "DailyCorrection", "DailyBonus", "DailyStorage",
    "DailyCommInstant",
)
DAILY_BY_ACTION = {
    acc.DEAL_BALANCE: "DailyBalance",
    acc.DEAL_CREDIT: "DailyCredit",
    acc.DEAL_CHARGE: "DailyCharge",
    acc.DEAL_CORRECTION: "DailyCorrection",
    acc.DEAL_BONUS: "DailyBonus",
}


class World:
    def __init__(
        self,
        seed: int = 1,
        clock: SimClock | None = None,
        zone: ServerZone | None = None,
        market: Market | None = None,
        trade_sessions: bool = False,
    ) -> None:
        self.seed = seed
        # trades only within each symbol's sessions (propfirm.sim.sessions); off: the market never closes
        self.trade_sessions = trade_sessions
        self.lock = threading.RLock()
        self.clock = clock if clock is not None else SimClock()
        self.zone = zone if zone is not None else ServerZone()
        self.market = market if market is not None else Market(seed)
        self.groups: dict[str, Group] = {}  # key: name lower-cased (MT5 group names are case-insensitive)
        self.accounts: dict[int, Account] = {}
        self._by_group: dict[str, dict[int, Account]] = {}
        self._with_positions: set[int] = set()
        self.positions: dict[int, Position] = {}
        self.deals = DealHistory()  # recent deals in memory, older ones on disk
        self.history_keep = HISTORY_KEEP
        self._next_login = FIRST_LOGIN
        self._next_deal = FIRST_DEAL
        self._next_order = FIRST_ORDER
        self._next_rollover = self._rollover_after(self.clock.now())
        self._next_spill = self.clock.now() + SPILL_EVERY
        self.clock.on_advance(self.settle)
        self.rollovers = 0
        self.traders: dict[int, Trader] = {}  # login -> scripted trader (propfirm.sim.traders)
        self.news: list[Release] = []  # the news calendar scripted straddlers read (propfirm.sim.news)
        self.stop_out = True  # step() closes positions of accounts at the stop-out level
        # told of every deal and price step, under the lock (propfirm.sim.truth: the run's ground truth)
        self.observer: Any = None
        start_msc = self.zone.to_server_msc(self.clock.now())
        self.quote_times: dict[str, int] = dict.fromkeys(self.market.specs, start_msc)  # last quote, msc
        self.bars = BarHistory()  # one-minute bars of the bid (`/api/chart/get`)
        self._record_quotes(self.market.specs, start_msc)

    # ---- time --------------------------------------------------------------------------------
    def now(self) -> datetime:
        return self.clock.now()

    def server_time(self, moment: datetime | None = None) -> int:
        return self.zone.to_server(moment or self.clock.now())

    def _rollover_after(self, moment: datetime) -> datetime:
        """The next server midnight strictly after `moment`, as a UTC instant."""
        wall = self.zone.wall(moment)
        midnight = datetime(wall.year, wall.month, wall.day) + timedelta(days=1)
        return self.zone.from_server(int((midnight - datetime(1970, 1, 1)).total_seconds()))

    def settle(self) -> None:
        """Catch up the rollovers the clock has passed since the last call."""
        with self.lock:
            now = self.clock.now()
            while self._next_rollover <= now:
                self._rollover(self._next_rollover)
                self._next_rollover = self._rollover_after(self._next_rollover)
            if self._next_spill <= now:
                self.deals.spill(self.zone.to_server(now - self.history_keep))
                self._next_spill = now + SPILL_EVERY

    def _rollover(self, instant: datetime) -> None:
        ended_day = (self.zone.wall(instant) - timedelta(days=1)).date()
        weekday = ended_day.weekday()  # Monday 0
        if weekday < 5:  # swaps for nights after Monday..Friday; Wednesday's counts three
            nights = 3 if weekday == 2 else 1
            for login in sorted(self._with_positions):
                account = self.accounts[login]
                group = self.groups[account.group.lower()]
                for position in account.positions.values():
                    position.storage += acc.swap_for(self.market, position, group, nights)
                    position.time_update = instant
                    position.time_update_server_msc = self.zone.to_server_msc(instant)
        new_month = self.zone.wall(instant).day == 1
        for account in self.accounts.values():
            if account.positions:
                state = self._state(account)
                equity = state.equity
            else:
                state = None
                equity = account.balance + account.credit
            if account.daily is None:
                account.daily = deque(maxlen=acc.DAILY_KEEP)
            account.daily.append(self._daily_report(account, instant, state))
            account.balance_prev_day = account.balance
            account.equity_prev_day = equity
            if new_month:
                account.balance_prev_month = account.balance
                account.equity_prev_month = equity
        self.rollovers += 1

    def _daily_report(self, account: Account, instant: datetime, state: Any) -> acc.DailyReport:
        """The day that ends at `instant`: the account as it stands, its open positions priced."""
        previous = account.daily[-1].time if account.daily else account.registration
        positions: tuple[tuple[Position, Decimal, Decimal], ...] = ()
        if account.positions:
            group = self.groups[account.group.lower()]
            held = []
            for p in account.positions.values():
                price = acc.close_price(self.market, p)
                profit = acc.profit_at(self.market, p, price, group.currency, group.money_quantum)
                held.append((dataclasses.replace(p), price, profit))
            positions = tuple(held)
        zero = ZERO
        return acc.DailyReport(
            time=instant,
            previous=previous,
            group=account.group,
            balance=account.balance,
            credit=account.credit,
            profit=state.profit if state is not None else zero,
            storage=state.storage if state is not None else zero,
            margin=state.margin if state is not None else zero,
            balance_prev_day=account.balance_prev_day,
            equity_prev_day=account.equity_prev_day,
            balance_prev_month=account.balance_prev_month,
            equity_prev_month=account.equity_prev_month,
            positions=positions,
        )

    def daily_movements(self, account: Account, report: acc.DailyReport) -> dict[str, Decimal]:
        """The report's day's deals summed by kind (DailyProfit, DailyBalance, ...), from the deals kept."""
        sums = dict.fromkeys(DAILY_SUMS, ZERO)
        lo, hi = self.zone.to_server(report.previous), self.zone.to_server(report.time) - 1
        for deal in self.deals_of(account, lo, hi):
            if deal.action in (acc.DEAL_BUY, acc.DEAL_SELL):
                sums["DailyProfit"] += deal.profit
                sums["DailyStorage"] += deal.storage
                sums["DailyCommInstant"] += deal.commission
            elif (name := DAILY_BY_ACTION.get(deal.action)) is not None:
                sums[name] += deal.profit
        return sums

    # ---- groups ------------------------------------------------------------------------------
    def create_group(
        self,
        name: str,
        currency: str = "USD",
        leverage: int = 100,
        commission_per_lot: Decimal | str = "3.50",
        currency_digits: int = 2,
        **settings: Any,
    ) -> Group:
        """Create (or return the existing) group; names are case-insensitive like MT5's. `settings`: the rest of
        `Group`'s fields (`margin_mode=MARGIN_NETTING` for a netting group, ...)."""
        if not name or len(name) > 64:
            raise ValueError(f"invalid group name {name!r}")
        with self.lock:
            existing = self.groups.get(name.lower())
            if existing is not None:
                return existing
            group = Group(
                name=name,
                currency=currency.upper(),
                currency_digits=currency_digits,
                leverage=int(leverage),
                commission_per_lot=to_decimal(commission_per_lot),
                **settings,
            )
            self.groups[name.lower()] = group
            self._by_group[name.lower()] = {}
            return group

    def group(self, name: str) -> Group:
        try:
            return self.groups[name.lower()]
        except KeyError:
            raise TradeError(13, f"group {name!r} not found") from None

    def update_group(self, name: str, **settings: Any) -> Group:
        """Change a group's settings (`Group`'s fields). Its currency and margin mode stay while it holds
        accounts (their balances and positions were booked under them): TradeError 3."""
        with self.lock:
            group = self.group(name)
            held = bool(self._by_group[group.name.lower()])
            for fixed in ("currency", "currency_digits", "margin_mode"):
                if held and fixed in settings and settings[fixed] != getattr(group, fixed):
                    raise TradeError(3, f"group {group.name!r} holds accounts: its {fixed} cannot change")
            for key, value in settings.items():
                if not hasattr(group, key) or key == "name":
                    raise TradeError(3, f"unknown group setting {key!r}")
                setattr(group, key, value)
            return group

    def delete_group(self, name: str) -> None:
        """Delete an empty group; TradeError 13 if there is none, 3 while it holds accounts."""
        with self.lock:
            group = self.group(name)
            if self._by_group[group.name.lower()]:
                raise TradeError(3, f"group {group.name!r} holds accounts")
            del self.groups[group.name.lower()]
            del self._by_group[group.name.lower()]

    def accounts_in_groups(self, group_names: Iterable[str]) -> Iterator[Account]:
        """Accounts of the named groups, group by group, each in creation order (no full scan)."""
        for name in group_names:
            yield from self._by_group.get(name.lower(), {}).values()

    # ---- accounts ----------------------------------------------------------------------------
    def _allocate_login(self) -> int:
        while self._next_login in self.accounts:
            self._next_login += 1
        login = self._next_login
        self._next_login += 1
        return login

    def create_account(
        self,
        group: str,
        balance: Decimal | str | int = 0,
        leverage: int | None = None,
        login: int | None = None,
        rights: int = acc.DEFAULT_RIGHTS,
        password: str | None = None,
        investor_password: str | None = None,
        first_name: str = "",
        last_name: str = "",
        name: str = "",
        email: str = "",
        comment: str = "",
        credit: Decimal | str | int = 0,
        extra: dict[str, str] | None = None,
    ) -> int:
        """Create an account; a positive `balance` arrives as a balance deal, as on a real server.

        Raises TradeError 8 for a group that does not exist, 3004 for a login that does.
        """
        with self.lock:
            self.settle()
            key = group.lower()
            if key not in self.groups:
                raise TradeError(8, f"group {group!r} does not exist")
            the_group = self.groups[key]
            if login:
                if login in self.accounts:
                    raise TradeError(3004, f"login {login} already exists")
            else:
                login = self._allocate_login()
            lev = int(leverage) if leverage else the_group.leverage
            if not 1 <= lev <= 10_000:
                raise TradeError(3, f"invalid leverage {leverage!r}")
            now = self.clock.now()
            account = Account(
                login=int(login),
                group=the_group.name,
                leverage=lev,
                registration=now,
                rights=int(rights),
                first_name=first_name,
                last_name=last_name,
                name=name or " ".join(p for p in (first_name, last_name) if p),
                email=email,
                comment=comment,
                last_pass_change=now,
                extra=dict(extra or {}),
            )
            if password:
                account.password_hash = password_hash(password)
            if investor_password:
                account.investor_hash = password_hash(investor_password)
            self.accounts[account.login] = account
            self._by_group[key][account.login] = account
            amount = to_decimal(balance)
            if amount:
                self.balance(account.login, amount, acc.DEAL_BALANCE, "initial deposit", check_margin=False)
            if to_decimal(credit):
                self.balance(account.login, to_decimal(credit), acc.DEAL_CREDIT, "credit", check_margin=False)
            account.balance_prev_day = account.balance_prev_month = account.balance
            account.equity_prev_day = account.equity_prev_month = account.balance + account.credit
            return account.login

    def get_account(self, login: int) -> Account:
        """The live record (hold `world.lock` while you use it)."""
        try:
            return self.accounts[int(login)]
        except (KeyError, ValueError, TypeError):
            raise TradeError(13, f"account {login!r} not found") from None

    def delete_account(self, login: int) -> None:
        """Delete an account with its deals; TradeError 3008 while it has open positions."""
        with self.lock:
            account = self.get_account(login)
            if account.positions:
                raise TradeError(3008, f"account {login} has open positions")
            del self.accounts[account.login]
            del self._by_group[account.group.lower()][account.login]
            self.traders.pop(account.login, None)
            self.deals.drop(account)

    def move_account(self, login: int, group: str) -> None:
        with self.lock:
            account = self.get_account(login)
            key = group.lower()
            if key not in self.groups:
                raise TradeError(8, f"group {group!r} does not exist")
            old = self.groups[account.group.lower()]
            new = self.groups[key]
            if old.currency != new.currency:
                raise TradeError(3010, f"group {group!r} has another deposit currency")
            del self._by_group[account.group.lower()][account.login]
            account.group = new.name
            self._by_group[key][account.login] = account

    def set_rights(self, login: int, rights: int) -> None:
        with self.lock:
            self.get_account(login).rights = int(rights)

    def disable_trading(self, login: int, disabled: bool = True) -> None:
        with self.lock:
            account = self.get_account(login)
            if disabled:
                account.rights |= USER_RIGHT_TRADE_DISABLED
            else:
                account.rights &= ~USER_RIGHT_TRADE_DISABLED

    def _state(self, account: Account) -> AccountState:
        return acc.account_state(account, self.groups[account.group.lower()], self.market)

    def state(self, login: int) -> AccountState:
        with self.lock:
            self.settle()
            return self._state(self.get_account(login))

    def account(self, login: int) -> AccountView:
        with self.lock:
            self.settle()
            account = self.get_account(login)
            state = self._state(account)
            return AccountView(
                login=account.login,
                group=account.group,
                leverage=account.leverage,
                rights=account.rights,
                balance=state.balance,
                credit=state.credit,
                profit=state.profit,
                storage=state.storage,
                floating=state.floating,
                equity=state.equity,
                margin=state.margin,
                margin_free=state.margin_free,
                positions=tuple(account.positions),
            )

    # ---- market ------------------------------------------------------------------------------
    def set_price(self, symbol: str, bid: Decimal | str | float) -> None:
        with self.lock:
            self.market.set_price(symbol, bid)
            self.quote_times[symbol] = self.zone.to_server_msc(self.clock.now())
            self._record_quotes((symbol,), self.quote_times[symbol])

    def _record_quotes(self, symbols: Iterable[str], server_msc: int) -> None:
        for symbol in symbols:
            self.bars.record(symbol, server_msc, self.market.bid(symbol))

    def configure_symbol(self, spec: SymbolSpec, source: str | None = None) -> None:
        """Add a symbol quoted from `source`, or change one's configuration. A symbol with open positions
        keeps what values them (digits, contract size, currencies, calculation mode): TradeError 3."""
        with self.lock:
            current = self.market.specs.get(spec.name)
            if current is not None and self._holds(spec.name) and _valuation(current) != _valuation(spec):
                raise TradeError(3, f"{spec.name} has open positions: its digits, contract size, currencies "
                                 "and calculation mode stay")
            try:
                self.market.configure(spec, source)
            except KeyError as exc:
                raise TradeError(3, str(exc.args[0])) from None
            self.quote_times[spec.name] = self.zone.to_server_msc(self.clock.now())
            self._record_quotes((spec.name,), self.quote_times[spec.name])

    def delete_symbol(self, symbol: str) -> None:
        """Delete a symbol added by a configuration write: TradeError 13 for none, 3 for one of the market's
        own (only those are sources of others) or one with open positions."""
        with self.lock:
            if symbol not in self.market.specs:
                raise TradeError(13, f"symbol {symbol!r} not found")
            if self._holds(symbol):
                raise TradeError(3, f"{symbol} has open positions")
            try:
                self.market.remove(symbol)
            except KeyError as exc:
                raise TradeError(3, str(exc.args[0])) from None
            self.quote_times.pop(symbol, None)
            self.bars.forget(symbol)

    def _holds(self, symbol: str) -> bool:
        return any(p.symbol == symbol for p in self.positions.values())

    def step(self, ticks: int = 1) -> None:
        """Advance the market `ticks` ticks (the clock is separate), then apply stop-outs."""
        with self.lock:
            self.settle()
            stamp = self.zone.to_server_msc(self.clock.now())
            for _ in range(ticks):
                self.market.step()
                self._record_quotes(self.market.specs, stamp)  # every tick in the minute's bar
            if ticks:
                self.quote_times = dict.fromkeys(self.market.specs, stamp)
                if self.observer is not None:
                    self.observer.stepped()
        if self.stop_out:
            self.check_stop_outs()

    def check_stop_outs(self) -> list[int]:
        """Close positions, biggest loser first, of accounts whose margin level is at or below the
        group's stop-out level (reason 5, SO), as a trade server does; returns the accounts hit."""
        hit: list[int] = []
        with self.lock:
            logins = sorted(self._with_positions)
        for start in range(0, len(logins), 2000):  # in chunks, so the API keeps answering
            with self.lock:
                self._stop_out_chunk(logins[start : start + 2000], hit)
        return hit

    def _stop_out_chunk(self, logins: list[int], hit: list[int]) -> None:
        for login in logins:
            account = self.accounts.get(login)
            if account is None or not account.positions:
                continue
            group = self.groups[account.group.lower()]
            state = self._state(account)
            while account.positions and state.margin and state.margin_level <= group.margin_stop_out:
                closable = [p for p in account.positions.values() if self.market_open(p.symbol)]
                if not closable:  # no price to close at: the next tick after a market opens
                    break
                worst = min(closable, key=lambda p: self._position_profit(p, group))
                self.close_position(login, worst.ticket, comment="so", reason=acc.REASON_SO)
                state = self._state(account)
                if login not in hit:
                    hit.append(login)

    def _position_profit(self, position: Position, group: Group) -> Decimal:
        price = acc.close_price(self.market, position)
        return acc.profit_at(self.market, position, price, group.currency, group.money_quantum)

    # ---- trading -----------------------------------------------------------------------------
    def _new_deal(self, account: Account, **fields: Any) -> Deal:
        now = self.clock.now()
        msc = self.zone.to_server_msc(now)
        deal = Deal(
            ticket=self._next_deal,
            login=account.login,
            time=now,
            time_server=msc // 1000,
            time_server_msc=msc,
            **fields,
        )
        self._next_deal += 1
        self.deals.add(account, deal)
        account.balance += deal.balance_effect
        return deal

    def _trade_deal(
        self,
        account: Account,
        group: Group,
        symbol: str,
        action: int,
        entry: int,
        volume: int,
        fill: Decimal,
        *,
        position_id: int,
        order: int,
        comment: str,
        reason: int,
        price_position: Decimal,
        dealer: int,
        profit: Decimal = ZERO,
        storage: Decimal = ZERO,
        volume_closed: int = 0,
    ) -> Deal:
        """A buy or sell deal at `fill`, with the group's commission and the market as it stands."""
        return self._new_deal(
            account,
            action=action,
            entry=entry,
            symbol=symbol,
            volume=volume,
            price=fill,
            profit=profit,
            storage=storage,
            commission=acc.commission_for(group, volume),
            position_id=position_id,
            order=order,
            comment=comment[:31],
            reason=reason,
            price_position=price_position,
            volume_closed=volume_closed,
            market_bid=self.market.bid(symbol),
            market_ask=self.market.ask(symbol),
            rate_profit=self.market.rate(self.market.spec(symbol).profit_currency, group.currency),
            dealer=dealer,
        )

    def _check_margin(self, account: Account, group: Group, symbol: str, volume: int) -> None:
        """TradeError 10019 unless the free margin covers `volume` more of `symbol`."""
        needed = acc.margin_of(self.market, symbol, volume, account.leverage, group.currency)
        if self._state(account).margin_free - needed < 0:
            raise TradeError(10019, f"not enough money to open {volume / LOT} lots {symbol}")

    def _after_trade(self, account: Account, position: Position, deal: Deal) -> None:
        """The position touched by `deal`: updated, forgotten once flat; then the observer hears of the deal."""
        position.time_update = deal.time
        position.time_update_server_msc = deal.time_server_msc
        if position.volume == 0:
            del account.positions[position.ticket]
            del self.positions[position.ticket]
            if not account.positions:
                self._with_positions.discard(account.login)
        self._tell(deal)

    def market_open(self, symbol: str) -> bool:
        """Whether `symbol` may be traded now (always, unless trading sessions are switched on)."""
        return not self.trade_sessions or sessions.is_open(
            sessions.schedule_of(symbol), self.zone.wall(self.clock.now())
        )

    def _check_open(self, symbol: str) -> None:
        if not self.market_open(symbol):
            raise TradeError(10018, f"market closed for {symbol}")

    def _check_price(
        self, symbol: str, price: Decimal | str | float | None, market_price: Decimal
    ) -> Decimal:
        if price is None:
            return market_price
        value = to_decimal(price, "price")
        if value == 0:
            return market_price
        if value < 0 or abs(value - market_price) > market_price / 10:
            raise TradeError(10015, f"price {value} is too far from the market {market_price} for {symbol}")
        return value.quantize(self.market.spec(symbol).point)

    def open_position(
        self,
        login: int,
        symbol: str,
        side: str | int,
        volume_lots: Decimal | str | float,
        price: Decimal | str | float | None = None,
        comment: str = "",
        reason: int = acc.REASON_DEALER,
        check_margin: bool = True,
        dealer: int = 0,
    ) -> int:
        """Open a position at the market (ask for a buy, bid for a sell); returns its ticket. On a netting
        account that holds a position in the symbol, the deal adds to, reduces, closes or reverses that one
        (`_net`) and its ticket is returned.

        TradeError 10017 if the account's trading is disabled, 10019 without the free margin,
        10014 for a bad volume, 10013 for an unknown symbol or side.
        """
        with self.lock:
            self.settle()
            account = self.get_account(login)
            if symbol not in self.market.specs:
                raise TradeError(10013, f"unknown symbol {symbol!r}")
            action = side_to_action(side)
            volume = lots_to_volume(volume_lots)
            if account.trade_disabled:
                raise TradeError(10017, f"trading is disabled for account {login}")
            self._check_open(symbol)
            group = self.groups[account.group.lower()]
            held = self._netted(account, symbol) if group.netting else None
            if held is None and group.limit_positions and len(account.positions) >= group.limit_positions:
                raise TradeError(10040, "the group's limit of open positions is reached")
            market_price = self.market.ask(symbol) if action == 0 else self.market.bid(symbol)
            fill = self._check_price(symbol, price, market_price)
            if held is not None:
                return self._net(account, group, held, action, volume, fill, comment, reason, check_margin, dealer)
            if check_margin:
                self._check_margin(account, group, symbol, volume)
            ticket = self._next_order
            self._next_order += 1
            now = self.clock.now()
            msc = self.zone.to_server_msc(now)
            position = Position(
                ticket=ticket,
                login=account.login,
                symbol=symbol,
                action=action,
                volume=volume,
                price_open=fill,
                time_create=now,
                time_update=now,
                time_create_server_msc=msc,
                time_update_server_msc=msc,
                reason=reason,
                comment=comment[:31],
                dealer=dealer,
            )
            account.positions[ticket] = position
            self.positions[ticket] = position
            self._with_positions.add(account.login)
            opened = self._trade_deal(
                account, group, symbol, action, acc.ENTRY_IN, volume, fill, position_id=ticket, order=ticket,
                comment=comment, reason=reason, price_position=fill, dealer=dealer,
            )
            self._tell(opened)
            return ticket

    @staticmethod
    def _netted(account: Account, symbol: str) -> Position | None:
        """A netting account's one position in `symbol`, if it holds one."""
        return next((p for p in account.positions.values() if p.symbol == symbol), None)

    def _net(
        self,
        account: Account,
        group: Group,
        position: Position,
        action: int,
        volume: int,
        fill: Decimal,
        comment: str,
        reason: int,
        check_margin: bool,
        dealer: int,
    ) -> int:
        """A deal on a netting account that holds a position in its symbol: the same side adds to it (IN, the
        open price becomes the volume-weighted average), the other side reduces or closes it (OUT, the profit
        of the volume closed) or reverses it (INOUT: the position's volume closed with its profit, the rest
        opened the other way at the fill). The position keeps its ticket throughout: MT5 keeps the position's
        identifier and gives a reversed position the reversing order's ticket, the simulator has one number
        for both. Returns the position's ticket."""
        symbol = position.symbol
        added = volume if action == position.action else max(0, volume - position.volume)
        if check_margin and added:
            self._check_margin(account, group, symbol, added)
        order = self._next_order
        self._next_order += 1
        profit = storage = ZERO
        if action == position.action:
            entry = acc.ENTRY_IN
            total = position.volume + volume
            average = (position.price_open * position.volume + fill * volume) / total
            position.price_open = average.quantize(self.market.spec(symbol).point.scaleb(-5))
            position.volume = total
        else:
            closed = min(volume, position.volume)
            share = Decimal(closed) / position.volume
            profit = acc.money(
                acc.profit_at(self.market, position, fill, group.currency, group.money_quantum) * share,
                group.money_quantum,
            )
            storage = acc.money(position.storage * share, group.money_quantum)
            entry = acc.ENTRY_OUT if volume <= position.volume else acc.ENTRY_INOUT
        deal = self._trade_deal(
            account, group, symbol, action, entry, volume, fill, position_id=position.ticket, order=order,
            comment=comment, reason=reason, price_position=position.price_open, dealer=dealer, profit=profit,
            storage=storage, volume_closed=0 if entry == acc.ENTRY_IN else min(volume, position.volume),
        )
        if entry == acc.ENTRY_OUT:
            position.volume -= volume
            position.storage -= storage
        elif entry == acc.ENTRY_INOUT:
            position.action, position.volume = action, volume - position.volume
            position.price_open, position.storage = fill, ZERO
        self._after_trade(account, position, deal)
        return position.ticket

    def close_position(
        self,
        login: int,
        ticket: int,
        volume_lots: Decimal | str | float | None = None,
        price: Decimal | str | float | None = None,
        comment: str = "",
        reason: int = acc.REASON_DEALER,
        dealer: int = 0,
    ) -> int:
        """Close a position (all of it, or `volume_lots` of it); returns the OUT deal's ticket.

        Works on trade-disabled accounts too (a dealer close). TradeError 10036 if the
        position is not open, 10038 if the volume exceeds it.
        """
        with self.lock:
            self.settle()
            account = self.get_account(login)
            position = account.positions.get(int(ticket))
            if position is None:
                raise TradeError(10036, f"position {ticket} of account {login} is not open")
            volume = position.volume if volume_lots is None else lots_to_volume(volume_lots)
            if volume > position.volume:
                raise TradeError(10038, f"close volume {volume / LOT} exceeds the position's {position.lots}")
            self._check_open(position.symbol)
            group = self.groups[account.group.lower()]
            fill = self._check_price(position.symbol, price, acc.close_price(self.market, position))
            share = Decimal(volume) / position.volume
            profit = acc.profit_at(self.market, position, fill, group.currency, group.money_quantum)
            profit = acc.money(profit * share, group.money_quantum)
            storage = acc.money(position.storage * share, group.money_quantum)
            order = self._next_order
            self._next_order += 1
            deal = self._trade_deal(
                account, group, position.symbol, 1 - position.action, acc.ENTRY_OUT, volume, fill,
                position_id=position.ticket, order=order, comment=comment, reason=reason,
                price_position=position.price_open, dealer=dealer, profit=profit, storage=storage,
                volume_closed=volume,
            )
            position.volume -= volume
            position.storage -= storage
            self._after_trade(account, position, deal)
            return deal.ticket

    def close_all(self, login: int) -> list[int]:
        with self.lock:
            account = self.get_account(login)
            return [self.close_position(login, ticket) for ticket in sorted(account.positions)]

    def balance(
        self,
        login: int,
        amount: Decimal | str | int,
        action: int = acc.DEAL_BALANCE,
        comment: str = "",
        check_margin: bool = True,
    ) -> int:
        """A balance operation (2 balance, 3 credit, 4 charge, 5 correction, 6 bonus, …) as a deal.

        TradeError 3 for a zero amount, a bad type or a comment over 31 characters; 4005 above
        1e9; 10019 for a withdrawal beyond the balance, the credit or (check_margin) the free margin.
        """
        with self.lock:
            self.settle()
            account = self.get_account(login)
            value = to_decimal(amount)
            if action not in acc.BALANCE_ACTIONS:
                raise TradeError(3, f"invalid balance operation type {action}")
            if len(comment) > 31:
                raise TradeError(3, "the comment is longer than 31 characters")
            if value == 0:
                raise TradeError(3, "the amount must not be zero")
            if abs(value) > acc.MAX_BALANCE_OPERATION:
                raise TradeError(4005, "a balance operation may not exceed 1,000,000,000")
            group = self.groups[account.group.lower()]
            value = acc.money(value, group.money_quantum)
            credit = action in acc.CREDIT_ACTIONS
            if value < 0:
                if credit and -value > account.credit:
                    raise TradeError(10019, "the withdrawal exceeds the credit")
                if not credit and -value > account.balance:
                    raise TradeError(10019, "the withdrawal exceeds the balance")
                if check_margin and action != acc.DEAL_CORRECTION and account.positions:
                    if -value > self._state(account).margin_free:
                        raise TradeError(10019, "the withdrawal exceeds the free margin")
            if credit:
                deal = self._new_deal(account, action=action, entry=acc.ENTRY_IN, comment=comment)
                account.credit += value
                deal.profit = value
            else:
                deal = self._new_deal(
                    account, action=action, entry=acc.ENTRY_IN, profit=value, comment=comment
                )
            self._tell(deal)
            return deal.ticket

    def _tell(self, deal: Deal) -> None:
        """The observer sees a deal once the account's state is the one after it."""
        if self.observer is not None:
            self.observer.dealt(deal)

    # ---- queries -----------------------------------------------------------------------------
    def deals_of(
        self, account: Account, from_server: int | None = None, to_server: int | None = None
    ) -> list[Deal]:
        """An account's deals whose server time is within [from, to] (inclusive), in the order made."""
        with self.lock:
            return self.deals.of(account, from_server, to_server)

    # ---- scripted traders and population -----------------------------------------------------
    def populate(
        self, count: int, groups: list[tuple[str, Decimal]], profiles: list[str] | None = None
    ) -> list[int]:
        """Create `count` accounts spread round-robin over `groups` ((name, starting balance) pairs),
        each with a scripted trader (deterministic per seed)."""
        from propfirm.sim.traders import assign_traders

        if not groups:
            raise ValueError("populate needs at least one group")
        with self.lock:
            logins = []
            for index in range(count):
                name, balance = groups[index % len(groups)]
                logins.append(
                    self.create_account(name, balance=balance, first_name="Trader", last_name=str(index + 1))
                )
            assign_traders(self, logins, profiles)
            return logins

    def run_traders(self) -> int:
        """One round of every scripted trader; returns the number of trades they made."""
        from propfirm.sim.traders import run_round

        self.settle()
        return run_round(self)
