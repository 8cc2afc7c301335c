"""The MT5 port: everything the rest of the system may ask of an MT5 trade server.

Two adapters implement it: `propfirm.mt5.webapi.WebApiGateway` (the Web API over
HTTPS, any OS) and `propfirm.mt5.manager.ManagerApiGateway` (MetaQuotes' Python
Manager API, Windows). Both speak domain terms only (see `models`): Decimal
money, lots, UTC times, `(server, login)` identity. Every failure raises a
subclass of `propfirm.mt5.errors.Mt5Error`; nothing returns a sentinel.

One gateway is one session with one trade server, used from one thread at a
time (the poller's loop). It connects lazily on the first call, and after a
lost connection it re-authenticates on the next call; reads are retried
within the call (with backoff) when the connection drops, writes are made
safe by reading back (see each method).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Protocol, runtime_checkable

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
    SymbolInfo,
    Tick,
)


@runtime_checkable
class Mt5Gateway(Protocol):
    @property
    def server(self) -> str:
        """The `server` part of every AccountId this gateway returns (settings: MT5_SERVER_NAME)."""
        ...

    # -- session ---------------------------------------------------------------------------
    def connect(self) -> None:
        """Open the session now (otherwise the first call does). Raises AuthFailed, ConnectionLost."""
        ...

    def close(self) -> None:
        """Log out and drop the connection. Idempotent; the gateway may be connected again."""
        ...

    def ping(self) -> None:
        """A health check: one round trip to the server. Raises ConnectionLost/Timeout on failure."""
        ...

    def ping_if_idle(self) -> bool:
        """Keep the session alive: ping when nothing was sent for the keep-alive interval (~20 s).
        Cheap to call every loop iteration; returns True when it pinged."""
        ...

    # -- batch reads (group masks as MT5 takes them: 'challenge\\*', '!demo\\x', ...) ----------
    def account_states(self, groups: Sequence[str]) -> list[AccountState]:
        """The money state of every account in the groups, one entry per login. Accounts without
        trade state since the server started come from their user record (has_trade_state=False)."""
        ...

    def account_state_pages(self, groups: Sequence[str]) -> Iterator[list[AccountState]]:
        """`account_states` page by page as MT5 answers them (a page of logins, or a whole group), read as
        the iterator is consumed: a poll of 100,000 accounts need not hold them all at once."""
        ...

    def account_rows(self, groups: Sequence[str]) -> Iterator[list[AccountRow]]:
        """`account_state_pages` with only what a poll keeps of each state (`models.AccountRow`): the same
        accounts, the same amounts, page by page; an amount that is not finite is refused as there."""
        ...

    def positions(self, groups: Sequence[str]) -> list[Position]:
        """Every open position of the accounts in the groups."""
        ...

    def position_rows(self, groups: Sequence[str]) -> list[PositionRow]:
        """`positions` with only what a poll keeps of each (`models.PositionRow`), refused alike."""
        ...

    def position_rows_of(self, logins: Sequence[int]) -> list[PositionRow]:
        """`position_rows` of these accounts only (the poller reads again the accounts that dealt)."""
        ...

    def deals(self, groups: Sequence[str], since: datetime, until: datetime) -> Iterator[Deal]:
        """Deals of the accounts in the groups with since <= time <= until (UTC, aware), fetched page by
        page as the iterator is consumed. Order: by login page, then as MT5 returns them."""
        ...

    def groups(self) -> list[GroupInfo]:
        """Every group this manager may see."""
        ...

    def server_time(self) -> ServerTime:
        """The server's current time in UTC and its offset from UTC (DST included)."""
        ...

    def account_state(self, login: int) -> AccountState:
        """One account's money state now (the poller's check of an estimate). Raises NotFound."""
        ...

    # -- prices ----------------------------------------------------------------------------
    def account_equity(self, login: int) -> Decimal:
        """The account's equity now, as `account_state` gives it, in as few round trips as the adapter can
        (the tick path's check before a kill needs nothing else). Raises NotFound as `account_state` does."""
        ...

    def symbols(self, names: Sequence[str]) -> list[SymbolInfo]:
        """The specifications of the named symbols (names the server does not have are left out)."""
        ...

    def last_ticks(self, symbols: Sequence[str], since: int = 0) -> tuple[list[Tick], int]:
        """The last quote of each symbol, in one call, and the server's quote version; with `since` (a
        version returned before), only the symbols quoted since then."""
        ...

    def minute_bars(self, symbol: str, since: datetime, until: datetime) -> list[MinuteBar]:
        """The one-minute bars of a symbol's bid whose minute starts in [since, until], oldest first (the
        prices of a blind interval). Raises Unsupported where the adapter has no price history."""
        ...

    # -- writes ----------------------------------------------------------------------------
    def create_account(self, request: NewAccount) -> CreatedAccount:
        """Create an account and fund it with one balance deal. Safe to retry with the same
        `client_ref`: a retry finds the account made earlier (by its comment), sets fresh passwords
        (returned) and funds it only if its funding deal is missing. Raises NoPermission (also for a
        missing group), InvalidRequest, AlreadyExists (a given login taken by someone else)."""
        ...

    def update_account(self, update: AccountUpdate) -> AccountInfo:
        """Move group, change leverage, enable/disable trading (USER_RIGHT_TRADE_DISABLED, read-modify-
        write of the rights). Idempotent. Raises NotFound, NoPermission, InvalidRequest when MT5 left a
        field unchanged, Rejected (e.g. 3010 different currency)."""
        ...

    def disable_trading(self, account: AccountId) -> None:
        """Set the account's USER_RIGHT_TRADE_DISABLED (read-modify-write of its rights) without reading it back:
        the kill switch's first step, a round trip shorter before it closes the positions. Confirm afterwards
        with `update_account(AccountUpdate(account, trading_enabled=False))`, which finds it applied in one
        read (and applies it again if MT5 left it). Idempotent. Raises NotFound, NoPermission."""
        ...

    def close_all_positions(self, account: AccountId) -> list[ClosedPosition]:
        """Close every open position of the account at market. Each close is confirmed by its
        dealer result or by reading the positions back, never blindly re-sent, so a retry cannot
        open a second trade. Returns the closed positions (empty when there were none); raises
        Rejected (with the retcode) if one could not be closed, after trying all of them."""
        ...

    def balance_operation(self, operation: BalanceOperation) -> int:
        """Deposit or withdraw; returns the deal ticket. After a lost connection the gateway looks
        for the deal (same comment and amount) before sending again, so the money moves once."""
        ...
