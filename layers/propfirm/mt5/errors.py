"""Typed failures of an MT5 gateway.

A gateway never returns sentinel values: every failure is one of these.
MT5 return codes (reference §1.5) are parsed by number and mapped by
`from_retcode`; the original code and text stay on the exception.
"""

from __future__ import annotations

# Return codes used by name in the gateways.
RET_OK = 0
RET_OK_NONE = 1
RET_ERROR = 2
RET_ERR_PARAMS = 3
RET_ERR_DATA = 4
RET_ERR_NETWORK = 7
RET_ERR_PERMISSIONS = 8
RET_ERR_TIMEOUT = 9
RET_ERR_CONNECTION = 10
RET_ERR_NOSERVICE = 11
RET_ERR_FREQUENT = 12
RET_ERR_NOTFOUND = 13
RET_ERR_PARTIAL = 14
RET_ERR_SHUTDOWN = 15
RET_ERR_DUPLICATE = 17
RET_USR_LOGIN_EXIST = 3004
RET_USR_INVALID_PASSWORD = 3006
RET_USR_HAS_TRADES = 3008
RET_REQUEST_REJECT = 10006
RET_REQUEST_DONE = 10009
RET_REQUEST_DONE_PARTIAL = 10010
RET_REQUEST_INVALID = 10013
RET_REQUEST_NO_MONEY = 10019
RET_REQUEST_TOO_MANY = 10024
RET_REQUEST_POSITION_CLOSED = 10036

SUCCESS_CODES = frozenset({RET_OK, RET_OK_NONE, RET_REQUEST_DONE, RET_REQUEST_DONE_PARTIAL})

_INVALID = frozenset(
    {RET_ERR_PARAMS, RET_ERR_DATA, RET_USR_INVALID_PASSWORD, 10013, 10014, 10015, 10016, 10030, 10038, 12002}
)
_CONNECTION = frozenset(
    {RET_ERR_NETWORK, RET_ERR_TIMEOUT, RET_ERR_CONNECTION, RET_ERR_NOSERVICE, RET_ERR_SHUTDOWN}
)
_FREQUENT = frozenset({RET_ERR_FREQUENT, RET_REQUEST_TOO_MANY, 1018})


class Mt5Error(Exception):
    """Base of every gateway failure; `retcode` is MT5's return code when there is one."""

    def __init__(self, message: str, retcode: int | None = None) -> None:
        super().__init__(message)
        self.retcode = retcode
        self.message = message

    def __str__(self) -> str:
        return self.message if self.retcode is None else f"{self.message} (retcode {self.retcode})"


class NotFound(Mt5Error):
    """The account, position, deal or group does not exist (or not on this server)."""


class NoPermission(Mt5Error):
    """The manager lacks a right, or the target group is not in its list (MT5 says 8 for a missing
    group too), or the server answered HTTP 403 to an authenticated session on that endpoint."""


class InvalidRequest(Mt5Error):
    """The request itself is wrong (parameters, password rules, volume, price…); retrying won't help."""


class AlreadyExists(Mt5Error):
    """The login (or record) exists already."""


class Rejected(Mt5Error):
    """MT5 refused the operation (trade rejected, no money, market closed, account has trades…)."""


class TooFrequent(Mt5Error):
    """The server throttled us (12, 10024, busy): back off before retrying."""


class AuthFailed(Mt5Error):
    """The handshake failed: wrong login/password, the server's answer did not prove the password,
    or the account may not use the Web API. Not retried automatically (anti-flood blocks)."""


class ConnectionLost(Mt5Error):
    """The connection (and with it the MT5 session) is gone; the gateway reconnects on the next call.
    An operation interrupted by it may or may not have been carried out."""


class Timeout(ConnectionLost):
    """A call took longer than its timeout; the connection is dropped because its state is unknown."""


class ServerError(ConnectionLost):
    """The server failed to answer properly (HTTP 5xx, a malformed body). Reads are retried; the
    outcome of a write is unknown, exactly as after a lost connection."""


class ProtocolError(Mt5Error):
    """The server's reply does not have the documented shape (a missing field, a bad number)."""


class Unsupported(Mt5Error):
    """The adapter does not offer this call (the caller goes without it)."""


class NotInstalled(Mt5Error):
    """An optional dependency (the Windows-only MT5Manager package) is not importable here."""


def from_retcode(code: int, text: str = "") -> Mt5Error:
    """The typed error for an MT5 return code (never called with a success code)."""
    message = text or f"MT5 return code {code}"
    if code == RET_ERR_NOTFOUND or code == 12001:
        return NotFound(message, code)
    if code == RET_ERR_PERMISSIONS:
        return NoPermission(message, code)
    if code in _INVALID:
        return InvalidRequest(message, code)
    if code in (RET_USR_LOGIN_EXIST, RET_ERR_DUPLICATE):
        return AlreadyExists(message, code)
    if code in _FREQUENT:
        return TooFrequent(message, code)
    if code in _CONNECTION:
        return ConnectionLost(message, code)
    if 1000 <= code <= 1099:
        return AuthFailed(message, code)
    return Rejected(message, code)


def parse_retcode(value: object) -> tuple[int, str]:
    """Split a Web API `retcode` ("0 Done", "13 Not found", 0) into its number and text."""
    if isinstance(value, bool):
        raise ValueError(f"not a retcode: {value!r}")
    if isinstance(value, int):
        return value, ""
    text = str(value).strip()
    head, _, rest = text.partition(" ")
    try:
        return int(head), rest.strip()
    except ValueError:
        raise ValueError(f"not a retcode: {value!r}") from None
