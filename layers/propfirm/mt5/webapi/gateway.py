"""`WebApiGateway`: the MT5 port over the Web API (HTTPS, any OS).

Reads go by group in pages of `page_size` (100 by default, the Web API's documented page), never one
call per account: account states by login pages (`/api/user/logins?group=` once per group, then one
`/api/user/account/get_batch?login=<page>` per page), or, with `account_reads="group"`, the whole group
in one `/api/user/account/get_batch?group=` (a thousand requests fewer at 100,000 accounts, each costing
about a millisecond of the client's CPU; the documentation sets no limit on the answer's size, so a firm
turns it on where its server answers it); positions and deals, far fewer, by group with
`offset`/`total` (see `_group_pages`), and with `account_reads="group"` each group's positions in one
request too (half as many positions as accounts at 100,000 accounts: another 500 requests a cycle).
Wildcard masks are expanded against the group list (kept for `group_cache_seconds`) so that each account
state carries its concrete group.

Writes are never repeated blindly (see `close_all_positions`, `balance_operation`, `create_account`):
when the outcome is unknown the gateway reads the server's state back before deciding to send again.

Size: the whole `Mt5Gateway` port over the Web API, one method per operation; the session (`transport`), the
readers (`parsing`, `wire`), the confirmed close (`mt5.closing`) and MT5's constants (`mt5.protocol`) are
modules of their own.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from operator import attrgetter, itemgetter
from typing import Any, TypeVar

from propfirm.mt5 import masks
from propfirm.mt5.closing import CloseAttempt, close_confirmed, close_each
from propfirm.mt5.errors import (
    RET_REQUEST_DONE,
    AlreadyExists,
    ConnectionLost,
    InvalidRequest,
    NotFound,
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
    GroupInfo,
    MinuteBar,
    NewAccount,
    Position,
    PositionRow,
    ServerTime,
    Side,
    SymbolInfo,
    Tick,
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
    ServerClock,
    volume_units,
)
from propfirm.mt5.readback import is_deal_of, require_applied
from propfirm.mt5.webapi import parsing
from propfirm.mt5.webapi.parsing import as_list
from propfirm.mt5.webapi.transport import WebApiTransport
from propfirm.mt5.webapi.wire import (
    WireAccount,
    WireAccountRow,
    WirePosition,
    decode_account_rows,
    decode_accounts,
    decode_positions,
)

log = logging.getLogger(__name__)

_Item = TypeVar("_Item")  # what a page of account states is read into: `AccountState`s or `AccountRow`s

PAGE_SIZE = 100
ACCOUNT_READS = ("pages", "group")


@dataclass(frozen=True, slots=True)
class GatewayOptions:
    page_size: int = PAGE_SIZE
    group_cache_seconds: float = 60.0
    time_cache_seconds: float = 60.0
    close_result_timeout: float = 10.0  # how long to poll a dealer result before reading back
    close_attempts: int = 3
    poll_interval: float = 0.05
    readback_delay: float = 1.0  # after an unknown outcome, let the server finish before reading back
    create_lookup_window: int = 1000  # newest logins of the group searched for a retried create
    server_zone: str | None = None  # IANA zone whose wall clock (+ shift) is the server's clock
    server_zone_shift_minutes: int = 0
    # account states read by the typed reader (propfirm.mt5.webapi.wire), a reply it refuses the general
    # way; off: every reply the general way (a server whose replies it always refuses would be read twice)
    typed_reads: bool = True
    # account states by login pages ("pages") or the whole group in one request, positions too ("group")
    account_reads: str = "pages"


class WebApiGateway:
    """The `Mt5Gateway` port over one Web API session (see `transport` for the connection rules)."""

    def __init__(
        self,
        transport: WebApiTransport,
        server: str = "default",
        options: GatewayOptions | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.transport = transport
        self._server = server
        self.options = options or GatewayOptions()
        if not 1 <= self.options.page_size <= PAGE_SIZE:
            raise ValueError(f"page_size must be 1..{PAGE_SIZE}")
        if self.options.account_reads not in ACCOUNT_READS:
            raise ValueError(f"account_reads must be one of {ACCOUNT_READS}")
        self._sleep = sleep
        self._clock = clock
        self._groups_cache: tuple[float, list[GroupInfo]] | None = None
        self._time_cache: tuple[float, ServerClock] | None = None
        # position ticket -> (request id, session number, position) of closes awaiting their result
        self._pending: dict[int, tuple[int, int, Position]] = {}

    # -- session -----------------------------------------------------------------------------
    @property
    def server(self) -> str:
        return self._server

    def connect(self) -> None:
        self.transport.connect()

    def close(self) -> None:
        self.transport.close()

    def ping(self) -> None:
        self.transport.ping()

    def ping_if_idle(self) -> bool:
        return self.transport.ping_if_idle()

    def __enter__(self) -> WebApiGateway:
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reads -------------------------------------------------------------------------------
    def groups(self) -> list[GroupInfo]:
        records = as_list(self.transport.read("/api/group/get", {"mask": "*"}, partial_ok=True))
        groups = [parsing.group_info(r) for r in records]
        self._groups_cache = (self._clock(), groups)
        return groups

    def server_time(self) -> ServerTime:
        server_clock = self._server_clock()  # the offset is re-read every time_cache_seconds
        now_server = parsing.server_seconds(_field(self.transport.read("/api/time/server"), "Time"))
        utc = server_clock.to_utc(now_server)
        return ServerTime(utc=utc, offset=self._offset_at(server_clock, utc))

    def account_state(self, login: int) -> AccountState:
        records = as_list(self.transport.read("/api/user/account/get_batch", {"login": str(login)}))
        group = self._group_of(login)
        for record in records:
            state = parsing.account_state(record, self._server, group)
            if state.login == login:
                return state
        users = as_list(self.transport.read("/api/user/get_batch", {"login": str(login)}))
        if not users:
            raise NotFound(f"account {login} not found")
        return parsing.account_state_from_user(users[0], self._server)

    def account_equity(self, login: int) -> Decimal:
        """One request where `account_state` makes two: the account's group (its user record) is not read.
        An account MT5 keeps no trade state for comes from its user record, as there."""
        records = as_list(self.transport.read("/api/user/account/get_batch", {"login": str(login)}))
        for record in records:
            state = parsing.account_state(record, self._server, "")
            if state.login == login:
                return state.equity
        return self.account_state(login).equity

    def _group_of(self, login: int) -> str:
        try:
            return str(_field(self.transport.read("/api/user/get", {"login": str(login)}), "Group"))
        except NotFound:
            raise
        except (KeyError, TypeError, ValueError):  # pragma: no cover - a record without its group
            return ""

    def symbols(self, names: Sequence[str]) -> list[SymbolInfo]:
        found = []
        for name in names:
            try:
                record = self.transport.read("/api/symbol/get", {"symbol": name})
            except NotFound:
                continue
            found.append(parsing.symbol_info(record))
        return found

    def minute_bars(self, symbol: str, since: datetime, until: datetime) -> list[MinuteBar]:
        specs = self.symbols([symbol])
        if not specs:
            raise NotFound(f"symbol {symbol!r} not found")
        point = Decimal(1).scaleb(-specs[0].digits)
        clock = self._server_clock()
        params: dict[str, str | int] = {"symbol": symbol, "from": clock.to_server(since),
                                        "to": clock.to_server(until), "data": "dohlcs"}
        rows = as_list(self.transport.read("/api/chart/get", params))
        return [parsing.minute_bar(symbol, row, point, clock) for row in rows]

    def last_ticks(self, symbols: Sequence[str], since: int = 0) -> tuple[list[Tick], int]:
        if not symbols:
            return [], since
        clock = self._server_clock()
        params: dict[str, Any] = {"symbol": ",".join(symbols)}
        if since:
            params["trans_id"] = since
        reply = self.transport.read_reply("/api/tick/last", params)
        ticks = [parsing.tick(record, clock) for record in as_list(reply.get("answer"))]
        version = reply.get("trans_id")
        return ticks, int(version) if version not in (None, "") else since

    def account_states(self, groups: Sequence[str]) -> list[AccountState]:
        return [state for page in self.account_state_pages(groups) for state in page]

    def account_state_pages(self, groups: Sequence[str]) -> Iterator[list[AccountState]]:
        server = self._server
        return self._account_pages(
            groups, decode_accounts,
            lambda records, group: [parsing.account_state_of(record, server, group) if type(record) is WireAccount
                                    else parsing.account_state(record, server, group) for record in records],
            attrgetter("login"), _same_state)

    def account_rows(self, groups: Sequence[str]) -> Iterator[list[AccountRow]]:
        server = self._server
        return self._account_pages(
            groups, decode_account_rows,
            # a page's records are all typed or all dicts: the transport reads a reply one way or the other
            lambda records, group: (parsing.account_rows_of(records, group)
                                    if records and type(records[0]) is WireAccountRow
                                    else [parsing.account_state(record, server, group).row() for record in records]),
            itemgetter(0), AccountState.row)

    def _account_pages(self, groups: Sequence[str], decode: Callable[[bytes], dict[str, Any]],
                       read: Callable[[list[Any], str], list[_Item]], login_of: Callable[[_Item], int],
                       from_state: Callable[[AccountState], _Item]) -> Iterator[list[_Item]]:
        """The account states of the groups a page at a time, each page's records made items by `read` (typed
        records when `decode` took the reply, dicts when the transport fell back to the general reader);
        the accounts MT5 keeps no trade state for come from their user records, through `from_state`.
        `login_of` is a C getter (itemgetter, attrgetter): it runs for every account of every cycle."""
        concrete = self._concrete_groups(groups)
        digits = {g.name.lower(): g.currency_digits for g in (self._groups_cache or (0, []))[1]}
        typed = self.options.typed_reads
        whole = self.options.account_reads == "group"
        for group in concrete:
            logins = self._logins(group)
            asked = [logins] if whole else list(self._pages(logins))
            for page in asked:
                query = {"group": group} if whole else {"login": _join(page)}
                records = as_list(self.transport.read("/api/user/account/get_batch", query,
                                                      decode=decode if typed else None))
                items = read(records, group)
                del records  # the page's wire records, before the next page is read
                if whole:  # an account the answer repeats is read once, as first listed
                    first: dict[int, _Item] = {}
                    for item in items:
                        first.setdefault(login_of(item), item)
                    items, found = list(first.values()), set(first)
                else:
                    found = set(map(login_of, items))
                missing = [login for login in page if login not in found]
                for part in self._pages(missing):  # no trade state since the server started: the user record
                    users = as_list(self.transport.read("/api/user/get_batch", {"login": _join(part)}))
                    items.extend(
                        from_state(parsing.account_state_from_user(u, self._server, digits.get(group.lower(), 2)))
                        for u in users
                    )
                yield items

    def positions(self, groups: Sequence[str]) -> list[Position]:
        clock, server = self._server_clock(), self._server
        return [parsing.position_of(record, server, clock) if type(record) is WirePosition
                else parsing.position(record, server, clock) for record in self._position_records(groups)]

    def position_rows(self, groups: Sequence[str]) -> list[PositionRow]:
        clock = self._server_clock()
        return [self._row_of(record, clock) for record in self._position_records(groups)]

    def position_rows_of(self, logins: Sequence[int]) -> list[PositionRow]:
        clock = self._server_clock()
        decode = decode_positions if self.options.typed_reads else None
        rows: list[PositionRow] = []
        for page in self._pages(sorted(set(logins))):
            records = as_list(self.transport.read("/api/position/get_batch", {"login": _join(page)}, decode=decode))
            rows += [self._row_of(record, clock) for record in records]
        return rows

    def _row_of(self, record: Any, clock: ServerClock) -> PositionRow:
        """A position record as a row: typed (`WirePosition`) by the typed reader, a dict by the general one."""
        if type(record) is WirePosition:
            return parsing.position_row_of(record, clock)
        return parsing.position(record, self._server, clock).row()

    def _position_records(self, groups: Sequence[str]) -> Iterator[Any]:
        """The position records of the groups: typed (`WirePosition`) where the typed reader took the reply,
        dicts where the transport read it the general way."""
        decode = decode_positions if self.options.typed_reads else None
        whole = self.options.account_reads == "group"
        for group in self._concrete_groups(groups):
            yield from (self._whole_group("/api/position/get_batch", group, "Position", decode) if whole
                        else self._group_pages("/api/position/get_batch", group, {}, "Position", decode))

    def _whole_group(self, path: str, group: str, key: str,
                     decode: Callable[[bytes], dict[str, Any]] | None = None) -> list[Any]:
        """The records of one group in one request, without `offset`/`total` (`account_reads="group"`: the
        documentation sets no page size for get_batch by group); a ticket the answer repeats is read once."""
        return _unseen(as_list(self.transport.read(path, {"group": group}, decode=decode)), set(), key)

    def deals(self, groups: Sequence[str], since: datetime, until: datetime) -> Iterator[Deal]:
        if since.tzinfo is None or until.tzinfo is None:
            raise InvalidRequest("deals(): since and until must be timezone-aware")
        clock = self._server_clock()
        window = {"from": clock.to_server(since), "to": clock.to_server(until)}
        concrete = self._concrete_groups(groups)

        def generate() -> Iterator[Deal]:
            for group in concrete:
                for record in self._group_pages("/api/deal/get_batch", group, window, "Deal"):
                    deal = parsing.deal(record, self._server, clock)
                    if since <= deal.time <= until:
                        yield deal

        return generate()

    def _group_pages(self, path: str, group: str, params: dict[str, int], key: str,
                     decode: Callable[[bytes], dict[str, Any]] | None = None) -> Iterator[Any]:
        """The records of one group, `page_size` at a time (`offset`/`total`).

        Positions and deals are few next to accounts, so they are read by group rather than by
        login page. A server that ignores `offset`/`total` on get_batch (the docs do not promise
        them there) answers everything at once: a page longer than asked, or one repeating the
        last, ends the reading; tickets seen are never yielded twice. `decode`: the typed reader of
        these records (`propfirm.mt5.webapi.wire`), whose records hold the ticket as an attribute.
        """
        size = self.options.page_size
        seen: set[Any] = set()
        offset = 0
        while True:
            page = as_list(self.transport.read(path, {"group": group, **params, "offset": offset, "total": size},
                                               decode=decode))
            fresh = _unseen(page, seen, key)
            yield from fresh
            if len(page) != size or not fresh:
                return
            offset += size

    # -- writes ------------------------------------------------------------------------------
    def update_account(self, update: AccountUpdate) -> AccountInfo:
        login = self._own(update.account)
        current = parsing.account_info(self._user(login), self._server)
        if not self._write_update(login, current, update):
            return current
        return require_applied(update, parsing.account_info(self._user(login), self._server), login)

    def disable_trading(self, account: AccountId) -> None:
        login = self._own(account)
        current = parsing.account_info(self._user(login), self._server)
        self._write_update(login, current, AccountUpdate(account=account, trading_enabled=False))

    def _write_update(self, login: int, current: AccountInfo, update: AccountUpdate) -> bool:
        """Write what `update` changes in `current` (False: nothing to change, nothing sent)."""
        body: dict[str, Any] = {"Login": str(login)}
        params: dict[str, str | int] = {"login": login}
        if update.group is not None and update.group != current.group:
            body["Group"] = params["group"] = update.group
        if update.leverage is not None and update.leverage != current.leverage:
            body["Leverage"] = params["leverage"] = str(update.leverage)
        if update.trading_enabled is not None:
            rights = (
                current.rights & ~USER_RIGHT_TRADE_DISABLED
                if update.trading_enabled
                else current.rights | USER_RIGHT_TRADE_DISABLED
            )
            if rights != current.rights:
                body["Rights"] = params["rights"] = str(rights)
        if len(body) == 1:
            return False
        try:
            self.transport.write("/api/user/update", params, body)
        except ConnectionLost:
            self._sleep(self.options.readback_delay)
            # A read-modify-write of absolute values: repeating it is harmless.
            self.transport.write("/api/user/update", params, body)
        return True

    def balance_operation(self, operation: BalanceOperation) -> int:
        login = self._own(operation.account)
        _check_comment(operation.comment)
        if operation.amount == 0 or abs(operation.amount) > MAX_BALANCE_OPERATION:
            raise InvalidRequest(f"balance amount must be non-zero and at most 1e9, got {operation.amount}")
        params: dict[str, str | int] = {
            "login": login,
            "type": int(operation.kind),
            "balance": format(operation.amount, "f"),
            "comment": operation.comment,
            "check_margin": 1 if operation.check_margin else 0,
        }
        for attempt in (1, 2):
            try:
                answer = self.transport.write("/api/trade/balance", params)
                return parsing.integer(_field(answer, "Ticket"), "Ticket")
            except ConnectionLost:
                self._sleep(self.options.readback_delay)
                found = self._find_balance_deal(login, operation)
                if found is not None:
                    return found
                if attempt == 2:
                    raise
                log.warning(
                    "balance operation for %s: outcome unknown and no deal found; sending again", login
                )
        raise AssertionError("unreachable")

    def create_account(self, request: NewAccount) -> CreatedAccount:
        _check_comment(request.client_ref)
        if request.initial_balance < 0:
            raise InvalidRequest("initial_balance must not be negative")
        main = request.password_main or generate_password()
        investor = request.password_investor or generate_password()
        existing = self._find_created(request)
        if existing is None:
            body = self._new_user_body(request, main, investor)
            try:
                record = self.transport.write("/api/user/add", None, body)
                login = parsing.integer(_field(record, "Login"), "Login")
            except ConnectionLost:
                self._sleep(self.options.readback_delay)
                existing = self._find_created(request)
                if existing is None:
                    record = self.transport.write("/api/user/add", None, body)
                    login = parsing.integer(_field(record, "Login"), "Login")
        if existing is not None:
            login = existing
            # The earlier attempt's passwords are unknown unless the caller chose them: set fresh ones.
            for kind, given, password in (
                ("main", request.password_main, main),
                ("investor", request.password_investor, investor),
            ):
                if given is None:
                    self.transport.write(
                        "/api/user/change_password", {"login": login, "type": kind}, {"password": password}
                    )
        account = AccountId(self._server, login)
        funding = None
        if request.initial_balance > 0:
            funding = (
                self._find_balance_deal(
                    login, BalanceOperation(account, request.initial_balance, request.balance_comment)
                )
                if existing is not None
                else None
            )
            if funding is None:
                funding = self.balance_operation(
                    BalanceOperation(
                        account, request.initial_balance, request.balance_comment, check_margin=False
                    )
                )
        return CreatedAccount(
            server=self._server,
            login=login,
            group=request.group,
            password_main=main,
            password_investor=investor,
            funding_deal=funding,
            existed=existing is not None,
        )

    def close_all_positions(self, account: AccountId) -> list[ClosedPosition]:
        login = self._own(account)
        positions = self._positions_of(login)
        closed = self._settled_pending(login, {p.ticket for p in positions})
        return close_each(positions, self._close_position, login, closed)

    # -- closing, confirmed --------------------------------------------------------------------
    def _close_position(self, position: Position) -> ClosedPosition:
        """Close one position; each attempt is confirmed (result or read-back) before another is sent
        (`closing.close_confirmed`).

        A request still queued on this session when the result wait ends is not sent again: the call
        raises Timeout and the next call polls that same request. After a lost connection (whose result
        subscription died with it) only a read-back showing the position still open allows a new one.
        """
        o = self.options
        return close_confirmed(position, o.close_attempts, self._close_attempt, self._read_back_after,
                               o.close_result_timeout)

    def _close_attempt(self, current: Position) -> CloseAttempt:
        try:
            request_id = self._pending_close(current.ticket)
            if request_id is None:
                request_id = self._send_close(current)
                self._pending[current.ticket] = (request_id, self.transport.session_number, current)
            retcode, result = self._await_result(request_id)
        except (ConnectionLost, NotFound):
            self._pending.pop(current.ticket, None)
            return CloseAttempt(None, lost=True)
        if retcode is None:
            return CloseAttempt(None)  # still queued on this session: kept, the next call polls it
        self._pending.pop(current.ticket, None)
        closed = None
        if retcode == RET_REQUEST_DONE:
            closed = ClosedPosition(
                current.ticket,
                current.symbol,
                current.volume,
                _opt_int(result.get("DealID") or result.get("ResultDeal")),
                _opt_dec(result.get("Price") or result.get("ResultPrice")),
                "result",
            )
        return CloseAttempt(retcode, closed=closed)

    def _read_back_after(self, current: Position, lost: bool) -> Position | None:
        if lost:  # give the server a moment to finish what the lost connection may have sent
            self._sleep(self.options.readback_delay)
        return self._read_back(current)

    def _settled_pending(self, login: int, open_tickets: set[int]) -> list[ClosedPosition]:
        """Positions an earlier call's queued close has closed meanwhile (they are gone now)."""
        settled = []
        for ticket, (_, _, position) in list(self._pending.items()):
            if position.login == login and ticket not in open_tickets:
                del self._pending[ticket]
                settled.append(
                    ClosedPosition(ticket, position.symbol, position.volume, None, None, "readback")
                )
        return settled

    def _pending_close(self, ticket: int) -> int | None:
        """The id of a close request for this position still awaiting its result on this session."""
        pending = self._pending.get(ticket)
        if pending is None:
            return None
        if pending[1] != self.transport.session_number:
            del self._pending[ticket]  # its subscription died with the old session
            return None
        return pending[0]

    def _send_close(self, position: Position) -> int:
        volume, volume_ext = volume_units(position.volume)
        body = {
            "Action": str(TA_DEALER_POS_EXECUTE),
            "SourceLogin": str(self.transport.login),
            "Login": str(position.login),
            "Symbol": position.symbol,
            "Type": "1" if position.side is Side.BUY else "0",
            "Volume": str(volume),
            "VolumeExt": str(volume_ext),
            "Position": str(position.ticket),
            "PriceOrder": format(position.price_current, "f"),
            "TypeFill": str(ORDER_FILL_FOK),
            "Digits": str(position.digits),
        }
        answer = self.transport.write("/api/dealer/send_request", None, body)
        return parsing.integer(_field(answer, "ID"), "ID")

    def _await_result(self, request_id: int) -> tuple[int | None, dict[str, Any]]:
        """Poll the result on the same connection; (None, {}) when nothing final came in time."""
        deadline = self._clock() + self.options.close_result_timeout
        while True:
            answer = self.transport.read("/api/dealer/get_request_result", {"id": request_id})
            for event in _events_for(answer, request_id):
                result = event.get("result") or {}
                answer_part = event.get("answer") or {}
                code = result.get("Retcode", answer_part.get("ResultRetcode"))
                if code is None:
                    continue
                code_int = parsing.integer(str(code).split(" ")[0], "Retcode")
                if code_int not in IN_PROGRESS_CODES:
                    return code_int, {**answer_part, **result}
            if self._clock() >= deadline:
                return None, {}
            self._sleep(self.options.poll_interval)

    def _read_back(self, position: Position) -> Position | None:
        for current in self._positions_of(position.login):
            if current.ticket == position.ticket:
                return current
        return None

    def _positions_of(self, login: int) -> list[Position]:
        clock = self._server_clock()
        records = as_list(self.transport.read("/api/position/get_batch", {"login": str(login)}))
        return [parsing.position(r, self._server, clock) for r in records]

    # -- create, retry-safe --------------------------------------------------------------------
    def _find_created(self, request: NewAccount) -> int | None:
        """The login an earlier attempt with this client_ref created, if any."""
        if request.login is not None:
            try:
                user = self._user(request.login)
            except NotFound:
                return None
            if str(user.get("Comment", "")) == request.client_ref:
                return request.login
            raise AlreadyExists(f"login {request.login} exists and belongs to someone else", 3004)
        try:
            logins = sorted(self._logins(request.group), reverse=True)[: self.options.create_lookup_window]
        except NotFound:
            return None
        for page in self._pages(logins):
            for candidate in as_list(self.transport.read("/api/user/get_batch", {"login": _join(page)})):
                if str(candidate.get("Comment", "")) == request.client_ref:
                    return parsing.integer(candidate.get("Login"), "Login")
        return None

    def _new_user_body(self, request: NewAccount, main: str, investor: str) -> dict[str, Any]:
        rights = DEFAULT_USER_RIGHTS | (0 if request.trading_enabled else USER_RIGHT_TRADE_DISABLED)
        body: dict[str, Any] = {
            "Group": request.group,
            "Leverage": str(request.leverage),
            "FirstName": request.first_name,
            "LastName": request.last_name,
            "Name": f"{request.first_name} {request.last_name}".strip(),
            "Email": request.email,
            "Comment": request.client_ref,
            "Rights": str(rights),
            "PassMain": main,
            "PassInvestor": investor,
        }
        if request.login is not None:
            body["Login"] = str(request.login)
        return body

    def _find_balance_deal(self, login: int, operation: BalanceOperation) -> int | None:
        """A balance deal of this login with the operation's comment, amount and kind (read-back)."""
        clock = self._server_clock()
        upper = parsing.server_seconds(_field(self.transport.read("/api/time/server"), "Time")) + 86_400
        records = as_list(
            self.transport.read("/api/deal/get_batch", {"login": str(login), "from": 0, "to": upper})
        )
        for record in records:
            deal = parsing.deal(record, self._server, clock)
            if is_deal_of(deal, operation):
                return deal.ticket
        return None

    # -- helpers -------------------------------------------------------------------------------
    def _own(self, account: AccountId) -> int:
        if account.server != self._server:
            raise InvalidRequest(f"account {account} is not on server {self._server!r}")
        return account.login

    def _user(self, login: int) -> dict[str, Any]:
        answer = self.transport.read("/api/user/get", {"login": login})
        if not answer:
            raise NotFound(f"account {login} not found", 13)
        return answer

    def _logins(self, group: str) -> list[int]:
        try:
            answer = self.transport.read("/api/user/logins", {"group": group})
        except NotFound:  # some servers say 13 for a group without accounts
            return []
        answer = answer or []
        if all([type(v) is str or type(v) is int for v in answer]):  # the usual answer: what `integer` does
            with contextlib.suppress(ValueError):  # at a third of its cost (every group, every cycle)
                return [int(v) for v in answer]
        return [parsing.integer(v, "login") for v in answer]  # each odd value refused by name

    def _concrete_groups(self, groups: Sequence[str]) -> list[str]:
        patterns = masks.split_masks(groups)
        if all(masks.is_concrete(p) for p in patterns):
            return list(dict.fromkeys(patterns))
        cached = self._groups_cache
        if cached is None or self._clock() - cached[0] > self.options.group_cache_seconds:
            self.groups()
            cached = self._groups_cache
        assert cached is not None
        return masks.select([g.name for g in cached[1]], patterns)

    def _pages(self, logins: Sequence[int]) -> Iterator[list[int]]:
        size = self.options.page_size
        for start in range(0, len(logins), size):
            yield list(logins[start : start + size])

    def _refresh_time(self) -> ServerClock:
        record = self.transport.read("/api/time/get")
        server_clock = ServerClock(
            parsing.server_offset(record),
            self.options.server_zone,
            timedelta(minutes=self.options.server_zone_shift_minutes),
        )
        self._time_cache = (self._clock(), server_clock)
        return server_clock

    def _server_clock(self) -> ServerClock:
        cached = self._time_cache
        if cached is None or self._clock() - cached[0] > self.options.time_cache_seconds:
            return self._refresh_time()
        return cached[1]

    @staticmethod
    def _offset_at(server_clock: ServerClock, utc: datetime) -> timedelta:
        wall = server_clock.to_server(utc)
        return timedelta(seconds=wall) - (utc - datetime(1970, 1, 1, tzinfo=UTC))


def _events_for(answer: Any, request_id: int) -> list[dict[str, Any]]:
    events: Any
    if isinstance(answer, dict):
        events = answer.get(str(request_id), answer.get(request_id, []))
    elif isinstance(answer, list):
        events = answer
    else:
        events = []
    if isinstance(events, dict):
        events = [events]
    return [e for e in events if isinstance(e, dict)]


def _field(answer: Any, name: str) -> Any:
    if isinstance(answer, dict) and name in answer:
        return answer[name]
    raise parsing.ParseError(f"answer without {name}: {answer!r:.200}")


def _same_state(state: AccountState) -> AccountState:
    return state


def _join(logins: Sequence[int]) -> str:
    return ",".join(str(login) for login in logins)


def _check_comment(comment: str) -> None:
    if not comment or len(comment) > MAX_COMMENT:
        raise InvalidRequest(f"comment must be 1..{MAX_COMMENT} characters: {comment!r}")


def _opt_int(value: Any) -> int | None:
    try:
        return parsing.integer(value, "id") if value not in (None, "", "0", 0) else None
    except parsing.ParseError:
        return None


def _opt_dec(value: Any) -> Decimal | None:
    try:
        return parsing.dec(value, "price") if value not in (None, "") else None
    except parsing.ParseError:
        return None


def _unseen(records: list[Any], seen: set[Any], key: str) -> list[Any]:
    """The records whose ticket (`key`: "Position", "Deal") is not in `seen`, each once; adds theirs to it."""
    attribute = key.lower()
    fresh = []
    for record in records:
        ticket = _ticket(record, key, attribute)
        if ticket not in seen:
            seen.add(ticket)
            fresh.append(record)
    return fresh


def _ticket(record: Any, key: str, attribute: str) -> Any:
    """A record's ticket: a dict's `key`, or a typed record's `attribute`."""
    return record.get(key) if type(record) is dict else getattr(record, attribute, None)
