"""`propfirm replay`: recorded events in, decisions out, through the same engine the evaluator uses.

Each line of the events file is one JSON object (the design's "replay" contract). Every line is
checked; the first bad one stops the replay with a `ReplayError` naming the file, the line and the
reason (never skipped). Decisions are written as JSON lines, in time order.

Speed: each line is decoded in one pass into a typed record (msgspec, `propfirm.replay_wire`) and fed
straight into the engine's in-place functions (no event object, no pydantic per line); a time string
equal to the previous line's is not parsed again (a poll cycle stamps many accounts with one instant).
Anything unusual goes to the precise path (orjson and the format's rules field by field), which judges
the line or names the first rule it breaks: the errors are the precise path's, whatever path is fast.

Size: the fast path and the precise path share the per-line bookkeeping and must refuse a line alike, so they
are read side by side; the typed decoding is `replay_wire`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import orjson

from propfirm.domain.decisions import Decision
from propfirm.domain.engine import NO_NEWS, NewsCalendar, new_state, on_balance, on_deal, on_snapshot
from propfirm.domain.events import DEAL_ENTRIES, DEFAULT_SERVER, Position
from propfirm.domain.programs import Program
from propfirm.domain.rules import CompiledProgram, compiled
from propfirm.domain.state import ChallengeState
from propfirm.replay_wire import Refused, WireBalance, WireDeal, WirePosition, WireSnapshot, decoder

_decode = decoder.decode

_JSONDecodeError = orjson.JSONDecodeError
_loads = orjson.loads
_fromiso = datetime.fromisoformat
_BEFORE_ANY_EVENT = datetime.min.replace(tzinfo=UTC)  # every event's time is at or after it


class ReplayError(ValueError):
    """A line of an input file the replay cannot take: file, line number and reason."""

    def __init__(self, file: str, line: int, reason: str) -> None:
        self.file = file
        self.line = line
        self.reason = reason
        super().__init__(f"{file}:{line}: {reason}" if line else f"{file}: {reason}")


class _Bad(Exception):
    """A reason, raised inside line parsing and turned into a ReplayError with file and line."""


class _Unusual(Exception):
    """A line the fast path does not take as it is: the precise path judges it or names what is wrong."""


# what sends a line from the fast path to the precise one (a bad amount raises InvalidOperation, an
# ArithmeticError; a bad time ValueError)
_UNUSUAL = (Refused, _Unusual, ValueError, ArithmeticError)


def _judge_snapshot(
    account: tuple[CompiledProgram, ChallengeState],
    t: datetime,
    balance: Decimal,
    equity: Decimal,
    positions: tuple[Position, ...] | None,
    out: list[Decision],
    emit: Callable[[Decision, int], None],
) -> None:
    cp = account[0]
    on_snapshot(cp, account[1], t, balance, equity, positions, out)
    if out:
        for decision in out:
            emit(decision, cp.digits)
        out.clear()


def _refuse(raw: bytes | str) -> Any:
    raise _Unusual


def _lots(value: str | int | float) -> Decimal:
    volume = Decimal(value) if type(value) is not float else Decimal(repr(value))
    if not volume.is_finite() or volume < 0:
        raise _Unusual
    return volume


def _positions_of(wire: list[WirePosition]) -> tuple[Position, ...]:
    out = []
    for p in wire:
        profit = None if p.profit is None else Decimal(p.profit)
        if profit is not None and not profit.is_finite():
            raise _Unusual
        held = None if p.value is None else Decimal(p.value)
        if held is not None and not (held.is_finite() and held >= 0):
            raise _Unusual
        out.append(Position(p.symbol, _lots(p.volume), p.type, profit, held))
    return tuple(out)


def _money(obj: dict, field: str, name: str | None = None) -> Decimal:
    value = obj.get(field)
    if name is not None and name != field:  # a nested field: its error names the path
        try:
            return _money(obj, field)
        except _Bad as exc:
            raise _Bad(str(exc).replace(field, name, 1)) from None
    if type(value) is not str:
        if value is None:
            raise _Bad(
                f"missing field {field!r}"
                if field not in obj
                else f"{field} must be a decimal string, not null"
            )
        raise _Bad(f"{field} must be a decimal string (money is never a JSON number), got {value!r}")
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise _Bad(f"{field} is not a decimal amount: {value!r}") from None
    if not amount.is_finite():
        raise _Bad(f"{field} is not a finite amount: {value!r}")
    return amount


def _volume(value: object, field: str) -> Decimal:
    if type(value) is str:
        try:
            volume = Decimal(value)
        except InvalidOperation:
            raise _Bad(f"{field} is not a decimal number: {value!r}") from None
    elif type(value) is int:
        volume = Decimal(value)
    elif type(value) is float:
        volume = Decimal(repr(value))
    else:
        raise _Bad(
            f"missing field {field!r}"
            if value is None
            else f"{field} must be a number of lots, got {value!r}"
        )
    if not volume.is_finite() or volume < 0:
        raise _Bad(f"{field} must be a finite number of lots >= 0, got {value!r}")
    return volume


def _int(obj: dict, field: str) -> int:
    value = obj.get(field)
    if type(value) is not int:
        if value is None:
            raise _Bad(f"missing field {field!r}")
        raise _Bad(f"{field} must be an integer, got {value!r}")
    return value


def _str(obj: dict, field: str) -> str:
    value = obj.get(field)
    if type(value) is not str or not value:
        if value is None:
            raise _Bad(f"missing field {field!r}")
        raise _Bad(f"{field} must be a non-empty string, got {value!r}")
    return value


def _positions(value: object) -> tuple[Position, ...]:
    if type(value) is not list:
        raise _Bad(f"positions must be a list, got {type(value).__name__}")
    out = []
    for i, item in enumerate(value):
        if type(item) is not dict:
            raise _Bad(f"positions[{i}] must be an object")
        symbol = item.get("symbol")
        if type(symbol) is not str or not symbol:
            raise _Bad(f"positions[{i}].symbol must be a non-empty string")
        kind = item.get("type")
        if kind != "buy" and kind != "sell":
            raise _Bad(f'positions[{i}].type must be "buy" or "sell", got {kind!r}')
        profit = item.get("profit")
        if profit is not None:
            profit = _money(item, "profit", f"positions[{i}].profit")
        held = item.get("value")
        if held is not None:
            held = _money(item, "value", f"positions[{i}].value")
            if held < 0:
                raise _Bad(f"positions[{i}].value must be zero or more, got {item['value']!r}")
        out.append(Position(symbol, _volume(item.get("volume"), f"positions[{i}].volume"), kind, profit, held))
    return tuple(out)


def parse_time(value: object) -> datetime:
    if type(value) is not str:
        raise _Bad(
            "missing field 'time'" if value is None else f"time must be an ISO 8601 string, got {value!r}"
        )
    try:
        t = _fromiso(value)
    except ValueError:
        raise _Bad(f"time is not ISO 8601: {value!r}") from None
    if t.tzinfo is None:
        raise _Bad(f"time has no UTC offset: {value!r}")
    return t


class Replay:
    """Feeds event lines through the engine; keeps every account's state. One instance per run."""

    def __init__(self, programs: dict[str, Program], news: NewsCalendar | None = None, fast: bool = True) -> None:
        """`fast=False`: every line by the precise path (the reference the fast one is measured and tested
        against)."""
        self.programs = programs
        self.fast = fast
        self.compiled: dict[str, CompiledProgram] = {pid: compiled(p) for pid, p in programs.items()}
        self.news = news or NO_NEWS
        self.accounts: dict[tuple[str, int], tuple[CompiledProgram, ChallengeState]] = {}
        self.events = 0
        self._last_raw_time: object = None
        self._last_time: datetime = _BEFORE_ANY_EVENT

    def feed(self, lines: Iterable[bytes | str], source: str, emit: Callable[[Decision, int], None]) -> int:
        """Judge every line; `emit(decision, digits)` gets each decision. Returns the number of lines."""
        # The hot loop: one typed decode per line (msgspec), locals only; anything unusual (a refused
        # line, a bad amount, time out of order, an unknown login) goes to the precise path, which judges
        # it or names what is wrong.
        decode = _decode if self.fast else _refuse
        decimal = Decimal
        accounts = self.accounts
        get_account = accounts.get
        compiled_programs = self.compiled
        out: list[Decision] = []
        news = self.news
        account: tuple[CompiledProgram, ChallengeState]
        program: CompiledProgram
        last_raw_time = self._last_raw_time
        last_time = self._last_time
        lineno = 0
        try:
            for lineno, raw in enumerate(lines, 1):  # noqa: B007 - lineno is used in the error
                try:
                    event = decode(raw)
                    raw_time = event.time
                    if raw_time == last_raw_time:
                        t = last_time
                    else:
                        t = _fromiso(raw_time)
                        if t.tzinfo is None or t < last_time:
                            raise _Unusual
                    key = (event.server, event.login)
                    found = get_account(key)
                    if type(event) is WireSnapshot:
                        balance = decimal(event.balance)
                        equity = decimal(event.equity)
                        if not (balance.is_finite() and equity.is_finite()):
                            raise _Unusual
                        wire_positions = event.positions
                        positions = (None if wire_positions is None
                                     else _positions_of(wire_positions) if wire_positions else ())
                        if found is None:
                            raise _Unusual
                        account = found
                    elif type(event) is WireDeal:
                        volume = _lots(event.volume)
                        result = decimal(event.profit)
                        commission, swap, traded = event.commission, event.swap, event.value
                        if type(commission) is str:
                            result += decimal(commission)
                        if type(swap) is str:
                            result += decimal(swap)
                        value = decimal(traded) if type(traded) is str else None
                        if not result.is_finite() or (value is not None and not (value.is_finite() and value >= 0)):
                            raise _Unusual
                        if found is None:
                            raise _Unusual
                        account = found
                    elif type(event) is WireBalance:
                        amount = decimal(event.amount)
                        if not amount.is_finite():
                            raise _Unusual
                        if found is None:
                            raise _Unusual
                        account = found
                    else:  # a start
                        starts = compiled_programs.get(event.program)  # type: ignore[union-attr]
                        if starts is None or found is not None:
                            raise _Unusual
                        program = starts
                except _UNUSUAL:
                    self._last_raw_time, self._last_time = last_raw_time, last_time
                    self._precise(raw, emit)
                    last_raw_time, last_time = self._last_raw_time, self._last_time
                    continue
                last_raw_time = raw_time
                last_time = t
                if type(event) is WireSnapshot:
                    _judge_snapshot(account, t, balance, equity, positions, out, emit)
                elif type(event) is WireDeal:
                    on_deal(account[0], account[1], t, event.entry, volume, event.position, news, result, value)
                elif type(event) is WireBalance:
                    on_balance(account[0], account[1], t, amount)
                else:
                    accounts[key] = (program, new_state(program, key[0], key[1], t))
        except _Bad as exc:
            raise ReplayError(source, lineno, str(exc)) from None
        finally:
            self._last_raw_time = last_raw_time
            self._last_time = last_time
        self.events += lineno
        return lineno

    def _precise(self, raw: bytes | str, emit: Callable[[Decision, int], None]) -> None:
        """One line by the format's rules, field by field: raises _Bad naming the first one broken, else judges
        the line. The specification of what a line may be; the fast path in `feed` takes the common lines
        the same way, quicker, and hands everything else here."""
        loads = _loads
        decimal = Decimal
        accounts = self.accounts
        get_account = accounts.get
        out: list[Decision] = []
        news = self.news
        last_raw_time = self._last_raw_time
        last_time = self._last_time
        try:
            try:
                obj = loads(raw)
            except _JSONDecodeError as exc:
                if not raw.strip():
                    return  # a blank line holds no event
                raise _Bad(f"malformed JSON: {exc}") from None
            if type(obj) is not dict:
                raise _Bad("an event must be a JSON object")
            raw_time = obj.get("time")
            if raw_time == last_raw_time and type(raw_time) is str:
                t = last_time
            else:
                t = parse_time(raw_time)
                if t < last_time:
                    raise _Bad(f"events out of time order: {raw_time} is before {last_time.isoformat()}")
                last_raw_time = raw_time
                last_time = t
            login = obj.get("login")
            if type(login) is not int:
                if login is None:
                    raise _Bad("missing field 'login'")
                raise _Bad(f"login must be an integer, got {login!r}")
            server = obj.get("server", DEFAULT_SERVER)
            if type(server) is not str or not server:
                raise _Bad(f"server must be a non-empty string, got {server!r}")
            kind = obj.get("type")
            if kind == "snapshot":
                raw_balance = obj.get("balance")
                raw_equity = obj.get("equity")
                try:
                    if type(raw_balance) is not str or type(raw_equity) is not str:
                        raise TypeError
                    balance = decimal(raw_balance)
                    equity = decimal(raw_equity)
                    if not (balance.is_finite() and equity.is_finite()):
                        raise TypeError
                except (TypeError, InvalidOperation):
                    balance = _money(obj, "balance")  # raises the precise reason
                    equity = _money(obj, "equity")
                raw_positions = obj.get("positions")
                positions: tuple[Position, ...] | None
                if raw_positions is None:
                    positions = None
                elif raw_positions == []:
                    positions = ()
                else:
                    positions = _positions(raw_positions)
                account = get_account((server, login))
                if account is None:
                    raise _Bad(f"unknown login {server}:{login} (no start event before it)")
                _judge_snapshot(account, t, balance, equity, positions, out, emit)
            elif kind == "deal":
                _int(obj, "deal")
                entry = obj.get("entry")
                if type(entry) is not str or entry not in DEAL_ENTRIES:
                    raise _Bad(
                        "missing field 'entry'"
                        if entry is None
                        else f'entry must be "in" or "out", got {entry!r}'
                    )
                _str(obj, "symbol")
                volume = _volume(obj.get("volume"), "volume")
                result = _money(obj, "profit")
                if "commission" in obj:
                    result += _money(obj, "commission")
                if "swap" in obj:
                    result += _money(obj, "swap")
                position = _int(obj, "position")
                value = _money(obj, "value") if "value" in obj else None
                if value is not None and value < 0:
                    raise _Bad(f"value must be zero or more, got {obj['value']!r}")
                account = get_account((server, login))
                if account is None:
                    raise _Bad(f"unknown login {server}:{login} (no start event before it)")
                on_deal(account[0], account[1], t, entry, volume, position, news, result, value)
            elif kind == "balance":
                amount = _money(obj, "amount")
                comment = obj.get("comment", "")
                if type(comment) is not str:
                    raise _Bad(f"comment must be a string, got {comment!r}")
                account = get_account((server, login))
                if account is None:
                    raise _Bad(f"unknown login {server}:{login} (no start event before it)")
                on_balance(account[0], account[1], t, amount)
            elif kind == "start":
                program_id = _str(obj, "program")
                program = self.compiled.get(program_id)
                if program is None:
                    known = ", ".join(sorted(self.compiled)) or "none"
                    raise _Bad(f"unknown program {program_id!r} (programs loaded: {known})")
                if (server, login) in accounts:
                    raise _Bad(f"login {server}:{login} has already started a challenge")
                accounts[(server, login)] = (program, new_state(program, server, login, t))
            elif kind is None:
                raise _Bad("missing field 'type'")
            else:
                raise _Bad(f"unknown event type {kind!r} (expected start, snapshot, deal or balance)")
        finally:
            self._last_raw_time = last_raw_time
            self._last_time = last_time


def read_news(path: str | Path) -> NewsCalendar:
    """A news calendar file: one ISO 8601 time with offset a line; blank lines and # comments allowed."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ReplayError(str(path), 0, f"cannot read: {exc}") from None
    times = []
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            times.append(parse_time(line))
        except _Bad as exc:
            raise ReplayError(str(path), lineno, str(exc)) from None
    return NewsCalendar(times)


def decision_line(decision: Decision, digits: int) -> bytes:
    return orjson.dumps(decision.to_json_dict(digits)) + b"\n"


def replay_file(
    programs: dict[str, Program],
    events_path: str | Path,
    write: Callable[[bytes], object],
    news: NewsCalendar | None = None,
    fast: bool = True,
) -> int:
    """Replay an events file, writing decision lines with `write`; returns the number of events."""
    engine = Replay(programs, news, fast)

    def emit(decision: Decision, digits: int) -> None:
        write(decision_line(decision, digits))

    path = Path(events_path)
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise ReplayError(str(path), 0, f"cannot read: {exc.strerror or exc}") from None
    with handle:
        return engine.feed(handle, str(path), emit)
