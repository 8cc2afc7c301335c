"""`ManagerApiGateway`: the MT5 port over MetaQuotes' Python Manager API (`MT5Manager`, Windows only).

The package ships `win_amd64` wheels only, so it is imported lazily, on
`connect()`, and a host without it gets `NotInstalled` with the way out
(MT5_API=webapi). Method names and call shapes follow the wheel's type stub
(`MT5Manager/_core.pyi`); the ones used here are listed in `CALLS` and checked
by the tests against that stub.

How it reads: the API pumps users, positions and groups into a local cache
(`PUMP_MODE_USERS | ORDERS | POSITIONS | GROUPS | TIME`), so account states and
positions come from `UserAccountGetByGroup` / `PositionGetByGroup` without a
server round trip each poll (MetaQuotes' own advice: prefer the pumped `*Get`
calls; `*Request` calls too often can trip the anti-flood control). Deals are
not pumped: `DealRequestByGroup(mask, from, to)` goes to the server. Writes go
to the server and are confirmed the same way as over the Web API (dealer
results through a sink, read-back when unknown).

Errors: the API returns False/None and `MT5Manager.LastError()` gives
`(internal, retcode, text)`; the retcode is mapped with `from_retcode`. The API
keeps its connection alive and reconnects by itself, so `ping_if_idle` has
nothing to do; reads that fail with a network code are retried with backoff.
Numbers arrive as C doubles: money is rounded to the currency's digits and
prices to the symbol's digits when turned into Decimal.

Size: the whole `Mt5Gateway` port over the Manager API, one method per operation, with the pump's cache and
the dealer's result sinks they share; the confirmed close (`mt5.closing`) and MT5's constants (`mt5.protocol`)
are shared with the Web API adapter.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import ModuleType
from typing import TYPE_CHECKING, Any

from propfirm.mt5 import masks
from propfirm.mt5.backoff import Backoff
from propfirm.mt5.closing import CloseAttempt, close_confirmed, close_each
from propfirm.mt5.errors import (
    RET_ERR_NOTFOUND,
    RET_REQUEST_DONE,
    AlreadyExists,
    ConnectionLost,
    InvalidRequest,
    Mt5Error,
    NotFound,
    NotInstalled,
    TooFrequent,
    Unsupported,
    from_retcode,
)
from propfirm.mt5.models import (
    AccountId,
    AccountInfo,
    AccountRow,
    AccountState,
    AccountUpdate,
    BalanceOperation,
    ClosedPosition,
    CreatedAccount,
    Deal,
    DealAction,
    DealEntry,
    GroupInfo,
    MinuteBar,
    NewAccount,
    Position,
    PositionRow,
    ServerTime,
    Side,
    SymbolInfo,
    Tick,
    traded_value,
)
from propfirm.mt5.passwords import generate_password
from propfirm.mt5.protocol import (
    DEFAULT_USER_RIGHTS,
    IN_PROGRESS_CODES,
    MAX_BALANCE_OPERATION,
    MAX_COMMENT,
    ORDER_FILL_FOK,
    TA_DEALER_POS_EXECUTE,
    USER_RIGHT_TRADE_DISABLED,
    VOLUME_EXT_UNIT,
    VOLUME_UNIT,
    ServerClock,
    volume_units,
)
from propfirm.mt5.readback import is_deal_of, require_applied

if TYPE_CHECKING:
    from propfirm.mt5.settings import Mt5Settings

log = logging.getLogger(__name__)

# Documented constants (reference §2.2, §1.7, §1.8); plain ints work where the API takes its IntFlags.
PUMP_MODE_USERS = 0x1
PUMP_MODE_ORDERS = 0x8
PUMP_MODE_POSITIONS = 0x80
PUMP_MODE_GROUPS = 0x100
PUMP_MODE_TIME = 0x1000
DEFAULT_PUMP_MODE = (
    PUMP_MODE_USERS | PUMP_MODE_ORDERS | PUMP_MODE_POSITIONS | PUMP_MODE_GROUPS | PUMP_MODE_TIME
)
USER_PASS_MAIN = 0
USER_PASS_INVESTOR = 1
_NETWORK_CODES = frozenset({7, 9, 10, 11, 15})

# The MT5Manager calls this adapter makes, with the parameter names of the wheel's stub (_core.pyi).
CALLS: dict[str, tuple[str, ...]] = {
    "Connect": ("server", "login", "password", "pump_mode", "timeout"),
    "Disconnect": (),
    "TimeServerRequest": (),
    "TimeGet": (),
    "GroupRequestArray": ("mask",),
    "UserAccountGetByGroup": ("group",),
    "UserGetByGroup": ("group",),
    "UserRequest": ("login",),
    "UserAccountRequest": ("login",),
    "UserAdd": ("user", "master", "investor"),
    "UserUpdate": ("user",),
    "UserPasswordChange": ("type", "login", "password"),
    "PositionGetByGroup": ("group",),
    "PositionRequestByLogins": ("login_list",),
    "DealRequestByGroup": ("group", "from_date", "to_date"),
    "DealRequestByLogins": ("login_list", "from_date", "to_date"),
    "DealerBalance": ("login", "value", "type", "comment"),
    "DealerSend": ("request", "sink"),
}
MODULE_FUNCTIONS = ("LastError",)
RECORD_CLASSES = ("MTUser", "MTRequest")  # constructed by the adapter as Class(manager)


def _load_module() -> ModuleType:
    try:
        return importlib.import_module("MT5Manager")
    except ImportError as exc:
        raise NotInstalled(
            "the MT5Manager package is not installed: MetaQuotes publishes it for Windows only "
            "(pip install MT5Manager on a win_amd64 host). On other hosts use the Web API (MT5_API=webapi). "
            f"({exc})"
        ) from None


# the upper bound of a read of every deal of a login: a fixed instant, never the machine's clock (a simulated
# server may run at any date)
_NO_DEAL_AFTER = datetime(2100, 1, 1, tzinfo=UTC)


class _DealerSink:
    """Receives dealer results on the API's thread; the gateway waits on it."""

    def __init__(self) -> None:
        self._done = threading.Event()
        self.result: Any = None

    def OnDealerResult(self, result: Any) -> None:  # noqa: N802 - the API's callback name
        code = int(getattr(result, "Retcode", 0))
        if code not in IN_PROGRESS_CODES:
            self.result = result
            self._done.set()

    def OnDealerAnswer(self, request: Any) -> None:  # noqa: N802
        code = int(getattr(request, "ResultRetcode", 0))
        if code not in IN_PROGRESS_CODES and self.result is None:
            self.result = request
            self._done.set()

    def wait(self, seconds: float) -> Any:
        return self.result if self._done.wait(seconds) else None


class ManagerApiGateway:
    """The `Mt5Gateway` port over one Manager API connection."""

    def __init__(
        self,
        address: str,
        login: int,
        password: str,
        *,
        server: str = "default",
        module: ModuleType | Any | None = None,
        data_dir: str | None = None,
        pump_mode: int = DEFAULT_PUMP_MODE,
        connect_timeout_ms: int = 30_000,
        max_attempts: int = 4,
        close_result_timeout: float = 10.0,
        close_attempts: int = 3,
        backoff: Backoff | None = None,
        server_zone: str | None = None,
        server_zone_shift_minutes: int = 0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.address = address
        self.login = int(login)
        self._password = password
        self._server = server
        self._module = module  # injected in tests; otherwise MT5Manager, imported on connect()
        self._data_dir = data_dir
        self.pump_mode = pump_mode
        self.connect_timeout_ms = connect_timeout_ms
        self.max_attempts = max(1, max_attempts)
        self.close_result_timeout = close_result_timeout
        self.close_attempts = close_attempts
        self._backoff = backoff or Backoff()
        self._zone = server_zone
        self._zone_shift = timedelta(minutes=server_zone_shift_minutes)
        self._sleep = sleep
        self._api: Any = None
        self._lock = threading.RLock()
        # position ticket -> (sink, position) of a close still awaiting its result
        self._pending: dict[int, tuple[_DealerSink, Position]] = {}

    @classmethod
    def from_settings(cls, settings: Mt5Settings) -> ManagerApiGateway:
        return cls(
            settings.url,
            settings.manager_login,
            settings.password(),
            server=settings.server_name,
            data_dir=str(settings.manager_data_dir) if settings.manager_data_dir else None,
            connect_timeout_ms=int(settings.connect_timeout_seconds * 1000),
            max_attempts=settings.max_attempts,
            server_zone=settings.server_zone,
            server_zone_shift_minutes=settings.server_zone_shift_minutes,
        )

    # -- session -------------------------------------------------------------------------------
    @property
    def server(self) -> str:
        return self._server

    def connect(self) -> None:
        with self._lock:
            if self._api is not None:
                return
            module = self._module = self._module or _load_module()
            api = module.ManagerAPI(self._data_dir) if self._data_dir else module.ManagerAPI()
            if not api.Connect(
                self.address, self.login, self._password, self.pump_mode, self.connect_timeout_ms
            ):
                raise self._last_error("Connect")
            self._api = api

    def close(self) -> None:
        with self._lock:
            if self._api is not None:
                try:
                    self._api.Disconnect()
                finally:
                    self._api = None
                    self._pending.clear()

    def ping(self) -> None:
        self._read("TimeServerRequest")

    def ping_if_idle(self) -> bool:
        return False  # the Manager API keeps its connection alive by itself

    def __enter__(self) -> ManagerApiGateway:
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reads -------------------------------------------------------------------------------
    def groups(self) -> list[GroupInfo]:
        return [self._group_info(g) for g in self._read("GroupRequestArray", "*", empty_ok=True)]

    def server_time(self) -> ServerTime:
        clock = self._clock()
        now = self._read("TimeServerRequest")
        seconds = int(now.replace(tzinfo=UTC).timestamp()) if isinstance(now, datetime) else int(now)
        utc = clock.to_utc(seconds)
        offset = timedelta(seconds=clock.to_server(utc)) - (utc - datetime(1970, 1, 1, tzinfo=UTC))
        return ServerTime(utc=utc, offset=offset)

    def account_states(self, groups: Sequence[str]) -> list[AccountState]:
        return [state for page in self.account_state_pages(groups) for state in page]

    def account_state_pages(self, groups: Sequence[str]) -> Iterator[list[AccountState]]:
        for group in self._concrete_groups(groups):  # a group a page: the Manager API reads a group at once
            states: list[AccountState] = []
            found: set[int] = set()
            digits = 2
            for account in self._read("UserAccountGetByGroup", group, empty_ok=True):
                digits = int(account.CurrencyDigits)
                state = self._account_state(account, group, digits)
                found.add(state.login)
                states.append(state)
            # accounts without trade state since the server started: from the user record
            for user in self._read("UserGetByGroup", group, empty_ok=True):
                if int(user.Login) not in found:
                    states.append(self._state_from_user(user, digits))
            yield states

    def account_rows(self, groups: Sequence[str]) -> Iterator[list[AccountRow]]:
        for page in self.account_state_pages(groups):  # the Manager API's objects are read whole anyway
            yield [state.row() for state in page]

    def position_rows(self, groups: Sequence[str]) -> list[PositionRow]:
        return [position.row() for position in self.positions(groups)]

    def position_rows_of(self, logins: Sequence[int]) -> list[PositionRow]:
        if not logins:
            return []
        clock = self._clock()
        return [self._position(p, clock).row()
                for p in self._read("PositionRequestByLogins", sorted(set(logins)), empty_ok=True)]

    def account_state(self, login: int) -> AccountState:
        user = self._user(login)
        account = self._read("UserAccountRequest", login, empty_ok=True)
        digits = int(getattr(account, "CurrencyDigits", 2)) if account else 2
        if not account:  # no trade state since the server started: from the user record
            return self._state_from_user(user, digits)
        return self._account_state(account, str(user.Group), digits)

    def account_equity(self, login: int) -> Decimal:
        return self.account_state(login).equity  # one session's calls in process: nothing to save

    def symbols(self, names: Sequence[str]) -> list[SymbolInfo]:
        raise Unsupported("the Manager API adapter does not read symbols yet (the Web API adapter does)")

    def last_ticks(self, symbols: Sequence[str], since: int = 0) -> tuple[list[Tick], int]:
        raise Unsupported("the Manager API adapter does not read ticks yet (the Web API adapter does)")

    def minute_bars(self, symbol: str, since: datetime, until: datetime) -> list[MinuteBar]:
        raise Unsupported("the Manager API adapter does not read price history yet (the Web API adapter does)")

    def positions(self, groups: Sequence[str]) -> list[Position]:
        clock = self._clock()
        result: list[Position] = []
        for group in self._concrete_groups(groups):
            result.extend(
                self._position(p, clock) for p in self._read("PositionGetByGroup", group, empty_ok=True)
            )
        return result

    def deals(self, groups: Sequence[str], since: datetime, until: datetime) -> Iterator[Deal]:
        if since.tzinfo is None or until.tzinfo is None:
            raise InvalidRequest("deals(): since and until must be timezone-aware")
        clock = self._clock()
        concrete = self._concrete_groups(groups)
        lo, hi = clock.to_server(since), clock.to_server(until)

        def generate() -> Iterator[Deal]:
            for group in concrete:
                for record in self._read("DealRequestByGroup", group, lo, hi, empty_ok=True):
                    deal = self._deal(record, clock)
                    if since <= deal.time <= until:
                        yield deal

        return generate()

    # -- writes ------------------------------------------------------------------------------
    def update_account(self, update: AccountUpdate) -> AccountInfo:
        login = self._own(update.account)
        user = self._user(login)
        if not self._apply(user, update):
            return self._info(user)  # nothing to change: the record just read is the answer
        return require_applied(update, self._info(self._user(login)), login)

    def disable_trading(self, account: AccountId) -> None:
        login = self._own(account)
        self._apply(self._user(login), AccountUpdate(account=account, trading_enabled=False))

    def _apply(self, user: Any, update: AccountUpdate) -> bool:
        """`update` written onto the user record read just before (UserUpdate); False when it changes
        nothing there (nothing sent)."""
        changed = False
        if update.group is not None and update.group != str(user.Group):
            user.Group, changed = update.group, True
        if update.leverage is not None and update.leverage != int(user.Leverage):
            user.Leverage, changed = update.leverage, True
        if update.trading_enabled is not None:
            rights = int(user.Rights)
            wanted = (
                rights & ~USER_RIGHT_TRADE_DISABLED
                if update.trading_enabled
                else rights | USER_RIGHT_TRADE_DISABLED
            )
            if wanted != rights:
                user.Rights, changed = wanted, True
        if changed:
            self._write("UserUpdate", user)
        return changed

    def balance_operation(self, operation: BalanceOperation) -> int:
        login = self._own(operation.account)
        if not operation.comment or len(operation.comment) > MAX_COMMENT:
            raise InvalidRequest(f"comment must be 1..{MAX_COMMENT} characters: {operation.comment!r}")
        if operation.amount == 0 or abs(operation.amount) > MAX_BALANCE_OPERATION:
            raise InvalidRequest(f"balance amount must be non-zero and at most 1e9, got {operation.amount}")
        self._user(login)  # NotFound before money moves
        try:
            deal = self._write(
                "DealerBalance", login, float(operation.amount), int(operation.kind), operation.comment
            )
        except ConnectionLost:
            found = self._find_balance_deal(login, operation)
            if found is None:
                raise
            return found
        return int(deal)

    def create_account(self, request: NewAccount) -> CreatedAccount:
        if not request.client_ref or len(request.client_ref) > MAX_COMMENT:
            raise InvalidRequest(f"client_ref must be 1..{MAX_COMMENT} characters")
        if request.initial_balance < 0:
            raise InvalidRequest("initial_balance must not be negative")
        main = request.password_main or generate_password()
        investor = request.password_investor or generate_password()
        login = self._find_created(request)
        existed = login is not None
        if login is None:
            user = self._module_class("MTUser")
            user.Login = request.login or 0
            user.Group = request.group
            user.Leverage = request.leverage
            user.FirstName = request.first_name
            user.LastName = request.last_name
            user.Name = f"{request.first_name} {request.last_name}".strip()
            user.EMail = request.email
            user.Comment = request.client_ref
            user.Rights = DEFAULT_USER_RIGHTS | (0 if request.trading_enabled else USER_RIGHT_TRADE_DISABLED)
            try:
                self._write("UserAdd", user, main, investor)
            except ConnectionLost:
                login = self._find_created(request)
                if login is None:
                    raise
                existed = True
            else:
                login = int(user.Login)  # UserAdd writes the allocated login back into the record
        else:
            for kind, given, password in (
                (USER_PASS_MAIN, request.password_main, main),
                (USER_PASS_INVESTOR, request.password_investor, investor),
            ):
                if given is None:
                    self._write("UserPasswordChange", kind, login, password)
        account = AccountId(self._server, login)
        funding = None
        if request.initial_balance > 0:
            operation = BalanceOperation(
                account, request.initial_balance, request.balance_comment, check_margin=False
            )
            funding = self._find_balance_deal(login, operation) if existed else None
            if funding is None:
                funding = self.balance_operation(operation)
        return CreatedAccount(
            server=self._server,
            login=login,
            group=request.group,
            password_main=main,
            password_investor=investor,
            funding_deal=funding,
            existed=existed,
        )

    def close_all_positions(self, account: AccountId) -> list[ClosedPosition]:
        login = self._own(account)
        positions = self._positions_of(login)
        open_tickets = {p.ticket for p in positions}
        closed: list[ClosedPosition] = []
        for ticket, (sink, position) in list(self._pending.items()):
            if position.login == login and ticket not in open_tickets:  # an earlier call's close went through
                del self._pending[ticket]
                closed.append(
                    self._closed(position, sink.result)
                    if sink.result is not None
                    else ClosedPosition(ticket, position.symbol, position.volume, None, None, "readback")
                )
        return close_each(positions, self._close_position, login, closed)

    # -- closing -----------------------------------------------------------------------------
    def _close_position(self, position: Position) -> ClosedPosition:
        """Close one position, each attempt confirmed (`closing.close_confirmed`): a close still queued when
        the wait ends is waited for again by the next call, never sent twice."""
        return close_confirmed(position, self.close_attempts, self._close_attempt, self._read_back,
                               self.close_result_timeout)

    def _close_attempt(self, current: Position) -> CloseAttempt:
        pending = self._pending.get(current.ticket)
        sink = pending[0] if pending else None
        lost = False
        if sink is None:
            sink = _DealerSink()
            try:
                self._write("DealerSend", self._close_request(current), sink)
                self._pending[current.ticket] = (sink, current)
            except ConnectionLost:
                lost = True
        result = None if lost else sink.wait(self.close_result_timeout)
        if result is None and not lost:
            return CloseAttempt(None)  # still queued: kept, the next call waits for it again
        self._pending.pop(current.ticket, None)
        retcode = None if result is None else int(getattr(result, "Retcode", getattr(result, "ResultRetcode", 0)))
        closed = self._closed(current, result) if retcode == RET_REQUEST_DONE else None
        return CloseAttempt(retcode, lost=lost, closed=closed)

    def _read_back(self, current: Position, lost: bool) -> Position | None:
        return next((p for p in self._positions_of(current.login) if p.ticket == current.ticket), None)

    @staticmethod
    def _closed(position: Position, result: Any) -> ClosedPosition:
        deal = getattr(result, "DealID", getattr(result, "ResultDeal", 0))
        price = getattr(result, "Price", getattr(result, "ResultPrice", None))
        return ClosedPosition(
            position.ticket,
            position.symbol,
            position.volume,
            int(deal) or None,
            _money(price, position.digits) if price else None,
            "result",
        )

    def _close_request(self, position: Position) -> Any:
        volume, volume_ext = volume_units(position.volume)
        request = self._module_class("MTRequest")
        request.Action = TA_DEALER_POS_EXECUTE
        request.SourceLogin = self.login
        request.Login = position.login
        request.Symbol = position.symbol
        request.Type = 1 if position.side is Side.BUY else 0
        request.Volume = volume
        request.VolumeExt = volume_ext
        request.Position = position.ticket
        request.PriceOrder = float(position.price_current)
        request.TypeFill = ORDER_FILL_FOK
        request.Digits = position.digits
        return request

    def _positions_of(self, login: int) -> list[Position]:
        clock = self._clock()
        return [
            self._position(p, clock) for p in self._read("PositionRequestByLogins", [login], empty_ok=True)
        ]

    # -- retried create / balance read-back ----------------------------------------------------
    def _find_created(self, request: NewAccount) -> int | None:
        if request.login is not None:
            try:
                user = self._user(request.login)
            except NotFound:
                return None
            if str(user.Comment) == request.client_ref:
                return request.login
            raise AlreadyExists(f"login {request.login} exists and belongs to someone else", 3004)
        try:
            users = self._read("UserGetByGroup", request.group, empty_ok=True)
        except NotFound:
            return None
        return next((int(u.Login) for u in users if str(u.Comment) == request.client_ref), None)

    def _find_balance_deal(self, login: int, operation: BalanceOperation) -> int | None:
        clock = self._clock()
        upper = clock.to_server(_NO_DEAL_AFTER)
        for record in self._read("DealRequestByLogins", [login], 0, upper, empty_ok=True):
            deal = self._deal(record, clock)
            if is_deal_of(deal, operation):
                return deal.ticket
        return None

    # -- calls ---------------------------------------------------------------------------------
    def _api_or_connect(self) -> Any:
        if self._api is None:
            self.connect()
        return self._api

    def _read(self, method: str, *args: Any, empty_ok: bool = False) -> Any:
        """A read, retried with backoff when the network failed (the API reconnects by itself)."""
        with self._lock:
            attempt = 0
            while True:
                attempt += 1
                try:
                    api = self._api_or_connect()
                except (ConnectionLost, TooFrequent):
                    if attempt >= self.max_attempts:
                        raise
                    self._sleep(self._backoff.next_delay())
                    continue
                value = getattr(api, method)(*args)
                if value is not False and value is not None:
                    self._backoff.reset()
                    return value
                error = self._last_error(method)
                if empty_ok and error.retcode in (RET_ERR_NOTFOUND, 1):
                    return []
                if not isinstance(error, ConnectionLost | TooFrequent) or attempt >= self.max_attempts:
                    raise error
                self._sleep(self._backoff.next_delay())

    def _write(self, method: str, *args: Any) -> Any:
        """A write, never repeated here; a network failure is ConnectionLost (outcome unknown)."""
        with self._lock:
            value = getattr(self._api_or_connect(), method)(*args)
            if value is False or value is None:
                raise self._last_error(method)
            return value

    def _last_error(self, method: str) -> Mt5Error:
        assert self._module is not None
        _internal, code, text = self._module.LastError()
        code = int(code)
        if code in _NETWORK_CODES:
            return ConnectionLost(f"{method}: {text}", code)
        return from_retcode(code, f"{method}: {text}")

    def _module_class(self, name: str) -> Any:
        api = self._api_or_connect()
        return getattr(self._module, name)(api)

    def _user(self, login: int) -> Any:
        try:
            return self._read("UserRequest", login)
        except NotFound:
            raise NotFound(f"account {login} not found", RET_ERR_NOTFOUND) from None

    def _own(self, account: AccountId) -> int:
        if account.server != self._server:
            raise InvalidRequest(f"account {account} is not on server {self._server!r}")
        return account.login

    def _concrete_groups(self, groups: Sequence[str]) -> list[str]:
        patterns = masks.split_masks(groups)
        if all(masks.is_concrete(p) for p in patterns):
            return list(dict.fromkeys(patterns))
        return masks.select([g.name for g in self.groups()], patterns)

    def _clock(self) -> ServerClock:
        config = self._read("TimeGet")
        minutes = int(config.TimeZone) + (60 if int(config.Daylight) and int(config.DaylightState) else 0)
        return ServerClock(timedelta(minutes=minutes), self._zone, self._zone_shift)

    # -- records -> models ---------------------------------------------------------------------
    def _account_state(self, a: Any, group: str, digits: int) -> AccountState:
        profit, storage = _money(a.Profit, digits), _money(a.Storage, digits)
        return AccountState(
            server=self._server,
            login=int(a.Login),
            group=group,
            currency_digits=int(a.CurrencyDigits),
            balance=_money(a.Balance, digits),
            credit=_money(a.Credit, digits),
            equity=_money(a.Equity, digits),
            margin=_money(a.Margin, digits),
            margin_free=_money(a.MarginFree, digits),
            margin_level=_money(a.MarginLevel, 2),
            floating=_money(a.Floating, digits),
            profit=profit,
            storage=storage,
            leverage=int(a.MarginLeverage),
        )

    def _state_from_user(self, u: Any, digits: int) -> AccountState:
        balance, credit = _money(u.Balance, digits), _money(u.Credit, digits)
        zero = Decimal(0)
        return AccountState(
            server=self._server,
            login=int(u.Login),
            group=str(u.Group),
            currency_digits=digits,
            balance=balance,
            credit=credit,
            equity=balance + credit,
            margin=zero,
            margin_free=balance + credit,
            margin_level=zero,
            floating=zero,
            profit=zero,
            storage=zero,
            leverage=int(u.Leverage),
            has_trade_state=False,
        )

    def _position(self, p: Any, clock: ServerClock) -> Position:
        digits, money_digits = int(p.Digits), int(p.DigitsCurrency)
        volume, current = _lots(p.VolumeExt, p.Volume), _money(p.PriceCurrent, digits)
        return Position(
            server=self._server,
            login=int(p.Login),
            ticket=int(p.Position),
            symbol=str(p.Symbol),
            side=Side.BUY if int(p.Action) == 0 else Side.SELL,
            volume=volume,
            price_open=_money(p.PriceOpen, digits),
            price_current=current,
            profit=_money(p.Profit, money_digits),
            storage=_money(p.Storage, money_digits),
            time_create=_time(clock, p.TimeCreateMsc, p.TimeCreate),
            time_update=_time(clock, p.TimeUpdateMsc, p.TimeUpdate),
            digits=digits,
            price_sl=_money(p.PriceSL, digits),
            price_tp=_money(p.PriceTP, digits),
            comment=str(p.Comment),
            value=traded_value(volume, Decimal(str(p.ContractSize)), current, Decimal(str(p.RateProfit)), money_digits),
        )

    def _deal(self, d: Any, clock: ServerClock) -> Deal:
        digits, money_digits = int(d.Digits), int(d.DigitsCurrency)
        volume, price = _lots(d.VolumeExt, d.Volume), _money(d.Price, digits)
        return Deal(
            server=self._server,
            login=int(d.Login),
            ticket=int(d.Deal),
            time=_time(clock, d.TimeMsc, d.Time),
            action=DealAction(int(d.Action)),
            entry=DealEntry(int(d.Entry)),
            symbol=str(d.Symbol),
            volume=volume,
            price=price,
            profit=_money(d.Profit, money_digits),
            commission=_money(d.Commission, money_digits),
            storage=_money(d.Storage, money_digits),
            position_id=int(d.PositionID),
            comment=str(d.Comment),
            order=int(d.Order),
            value=traded_value(volume, Decimal(str(d.ContractSize)), price, Decimal(str(d.RateProfit)), money_digits),
        )

    def _info(self, u: Any) -> AccountInfo:
        rights = int(u.Rights)
        return AccountInfo(
            server=self._server,
            login=int(u.Login),
            group=str(u.Group),
            leverage=int(u.Leverage),
            rights=rights,
            trading_enabled=not rights & USER_RIGHT_TRADE_DISABLED,
            email=str(u.EMail),
            comment=str(u.Comment),
        )

    @staticmethod
    def _group_info(g: Any) -> GroupInfo:
        return GroupInfo(
            name=str(g.Group),
            currency=str(g.Currency),
            currency_digits=int(g.CurrencyDigits),
            margin_mode=int(g.MarginMode),
            reports_mode=int(g.ReportsMode),
            margin_call=_money(g.MarginCall, 2),
            margin_stop_out=_money(g.MarginStopOut, 2),
        )


def _money(value: Any, digits: int) -> Decimal:
    """A C double from the API as the Decimal it stands for, at `digits` decimals."""
    return Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-digits))


def _lots(volume_ext: Any, volume: Any) -> Decimal:
    if volume_ext:
        return Decimal(int(volume_ext)) / VOLUME_EXT_UNIT
    return Decimal(int(volume)) / VOLUME_UNIT


def _time(clock: ServerClock, msc: Any, seconds: Any) -> datetime:
    if msc:
        return clock.to_utc_msc(int(msc))
    return clock.to_utc(int(seconds))
