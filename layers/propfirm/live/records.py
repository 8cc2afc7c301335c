"""Records kept in Redis, encoded as compact JSON with money as strings (a contract).

Snapshot (`acct:{server:login}:snap`), written by the poller for every changed account::

    {"v":1,"server":"default","login":5001,"cycle":812,"time":"2026-11-25T18:55:02.120Z",
     "balance":"100000.00","equity":"99350.00","credit":"0.00","margin":"1000.00",
     "positions":[{"symbol":"EURUSD","volume":"1.00","side":"buy"}]}

`positions` lists every open position (volume in lots, side buy|sell); it is `null` when the cycle did
not read positions (no rule needs them, `POLLER_POSITIONS`), which is not the same as `[]` (no position
open). Each position also carries, as the evidence of a decision: `ticket`, `open` (open price), `price`
(the price MT5 values it at: bid for a buy, ask for a sell), `price_time` (that price's time),
`profit` (floating, deposit currency) and `swap`; readers accept positions without them.

Floor (`acct:{server:login}:floor`), written by the evaluator through `floors.write_floor`::

    {"v":1,"level":"95000.00","expires_at":"2026-11-25T23:00:00Z","reason":"daily_loss",
     "breach_at":"touch","action":"fail","version":17}

`version` is the challenge-state version that produced the floor; a writer never replaces a floor
with one from an older version. `breach_at`: touch (equity <= level breaches) or below (equity < level);
`action`: fail or pause (what the evaluator will record; the poller's kill switch is the same for both).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any, Literal

import msgspec
import orjson

SCHEMA_VERSION = 1

Side = Literal["buy", "sell"]
BreachAt = Literal["touch", "below"]
FloorAction = Literal["fail", "pause"]


def iso_utc(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and a `Z` (what every record and message carries)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: times must be timezone-aware UTC")
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@lru_cache(maxsize=1024)
def iso_utc_shared(moment: datetime) -> str:
    """`iso_utc` for instants many records share (a cycle's time, a program's next reset): formatted once."""
    return iso_utc(moment)


def parse_utc(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"time without an offset: {text!r}")
    return moment.astimezone(UTC)


@lru_cache(maxsize=256)
def parse_utc_shared(text: str) -> datetime:
    """`parse_utc` for a time many records share (a cycle's): parsed once. Errors are not cached."""
    return parse_utc(text)


@dataclass(frozen=True, slots=True)
class PositionSummary:
    """An open position as a snapshot lists it. Equality and hash are symbol, volume and side only: the
    poller's change detection sees a position opened, closed or resized, not a price moving (equity
    shows that)."""

    symbol: str
    volume: Decimal  # lots
    side: Side
    # the evidence of a decision (None in records written without it)
    ticket: int | None = field(default=None, compare=False)
    price_open: Decimal | None = field(default=None, compare=False)
    price: Decimal | None = field(default=None, compare=False)  # bid for a buy, ask for a sell
    price_time: datetime | None = field(default=None, compare=False)
    profit: Decimal | None = field(default=None, compare=False)  # floating, deposit currency
    swap: Decimal | None = field(default=None, compare=False)
    value: Decimal | None = field(default=None, compare=False)  # held, deposit currency (exposure caps)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"symbol": self.symbol, "volume": str(self.volume), "side": self.side}
        if self.ticket is not None:
            out["ticket"] = self.ticket
            out["open"] = _text(self.price_open)
            out["price"] = _text(self.price)
            out["price_time"] = None if self.price_time is None else iso_utc(self.price_time)
            out["profit"] = _text(self.profit)
            out["swap"] = _text(self.swap)
            if self.value is not None:
                out["value"] = str(self.value)
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PositionSummary:
        if "ticket" not in data:
            return cls(data["symbol"], Decimal(data["volume"]), data["side"])
        return cls(
            data["symbol"],
            Decimal(data["volume"]),
            data["side"],
            int(data["ticket"]),
            _money(data.get("open")),
            _money(data.get("price")),
            None if data.get("price_time") is None else parse_utc(data["price_time"]),
            _money(data.get("profit")),
            _money(data.get("swap")),
            _money(data.get("value")),
        )


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _money(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


@dataclass(frozen=True, slots=True)
class Snapshot:
    server: str
    login: int
    cycle: int
    time: datetime
    balance: Decimal
    equity: Decimal
    credit: Decimal
    margin: Decimal
    positions: tuple[PositionSummary, ...] | None

    def encode(self) -> bytes:
        return encode_snapshot(self.server, self.login, self.cycle, iso_utc(self.time), self.balance,
                               self.equity, self.credit, self.margin, self.positions)

    @classmethod
    def decode(cls, raw: bytes | str) -> Snapshot:
        """The record's snapshot, read in one typed pass (the evaluator reads one per account and message).
        Amounts and times stay strings in that pass and are converted as `decode_precisely` converts them (a
        cycle's time, shared by its records, parsed once); a record the pass refuses is read by
        `decode_precisely`, which accepts it or names what is wrong. Both give equal snapshots
        (tests/unit/poller/test_live_records.py, on fuzzed records)."""
        try:
            wire = _snapshot_reader.decode(raw)
        except msgspec.MsgspecError:
            return cls.decode_precisely(raw)
        if wire.v != SCHEMA_VERSION:
            return cls.decode_precisely(raw)  # which names the version
        listed = wire.positions
        try:
            return cls(
                wire.server,
                wire.login,
                wire.cycle,
                parse_utc_shared(wire.time),
                Decimal(wire.balance),
                Decimal(wire.equity),
                Decimal(wire.credit),
                Decimal(wire.margin),
                None if listed is None else tuple(p.summary() for p in listed) if listed else (),
            )
        except ArithmeticError:  # an amount that is no decimal: the precise reader says so
            return cls.decode_precisely(raw)

    @classmethod
    def decode_precisely(cls, raw: bytes | str) -> Snapshot:
        """The record read field by field: the reference `decode` is held to, and the reader of whatever its
        typed pass refuses (raises ValueError, KeyError or TypeError for a bad record, never
        decimal.InvalidOperation, which readers would not catch)."""
        data = orjson.loads(raw)
        _check_version(data, "snapshot")
        positions = data.get("positions")
        try:
            return cls(
                server=data["server"],
                login=int(data["login"]),
                cycle=int(data["cycle"]),
                time=parse_utc(data["time"]),
                balance=Decimal(data["balance"]),
                equity=Decimal(data["equity"]),
                credit=Decimal(data["credit"]),
                margin=Decimal(data["margin"]),
                positions=None
                if positions is None
                else tuple(PositionSummary.from_json(p) for p in positions),
            )
        except ArithmeticError as exc:  # decimal.InvalidOperation is no ValueError, which readers catch
            raise ValueError(f"snapshot record with an amount that is not a decimal: {exc!r}") from None


class _WirePosition(msgspec.Struct):
    """A listed position as the typed pass reads it: `PositionSummary.from_json`'s fields, strings kept."""

    symbol: str
    volume: str
    side: str
    ticket: int | msgspec.UnsetType = msgspec.UNSET
    open: str | None = None
    price: str | None = None
    price_time: str | None = None
    profit: str | None = None
    swap: str | None = None
    value: str | None = None

    def summary(self) -> PositionSummary:
        if self.ticket is msgspec.UNSET:  # written without the evidence: whatever else it carries is not read
            return PositionSummary(self.symbol, Decimal(self.volume), self.side)  # type: ignore[arg-type]
        return PositionSummary(
            self.symbol,
            Decimal(self.volume),
            self.side,  # type: ignore[arg-type]
            self.ticket,
            _money(self.open),
            _money(self.price),
            None if self.price_time is None else parse_utc(self.price_time),
            _money(self.profit),
            _money(self.swap),
            _money(self.value),
        )


class _WireSnapshot(msgspec.Struct):
    """A snapshot record as the typed pass reads it. Money and times are strings here: msgspec would take a
    JSON number for a `Decimal` (`Decimal(0.1)` is not `Decimal("0.1")`), and its time parser is not
    `datetime.fromisoformat`; the precise reader's conversions are applied to the strings instead."""

    v: int
    server: str
    login: int
    cycle: int
    time: str
    balance: str
    equity: str
    credit: str
    margin: str
    positions: list[_WirePosition] | None = None


_snapshot_reader = msgspec.json.Decoder(_WireSnapshot)


def encode_snapshot(
    server: str,
    login: int,
    cycle: int,
    time_text: str,
    balance: Decimal,
    equity: Decimal,
    credit: Decimal,
    margin: Decimal,
    positions: tuple[PositionSummary, ...] | None,
) -> bytes:
    """The snapshot's JSON; the poller calls it directly with the cycle's time formatted once."""
    return orjson.dumps(
        {
            "v": SCHEMA_VERSION,
            "server": server,
            "login": login,
            "cycle": cycle,
            "time": time_text,
            "balance": str(balance),
            "equity": str(equity),
            "credit": str(credit),
            "margin": str(margin),
            "positions": None if positions is None else [p.as_json() for p in positions],
        }
    )


@dataclass(frozen=True, slots=True)
class FloorRecord:
    level: Decimal
    expires_at: datetime
    reason: str
    breach_at: BreachAt
    action: FloorAction
    version: int

    def __post_init__(self) -> None:
        if self.breach_at not in ("touch", "below"):
            raise ValueError(f"breach_at must be touch or below, not {self.breach_at!r}")
        if self.action not in ("fail", "pause"):
            raise ValueError(f"action must be fail or pause, not {self.action!r}")
        if self.expires_at.tzinfo is None:
            raise ValueError("expires_at must be timezone-aware")

    @classmethod
    def from_equity_floor(cls, floor: Any, state_version: int) -> FloorRecord:
        """From the rule engine's `EquityFloor` (level, expires_at, reason, breach_at, action)."""
        return cls(
            level=Decimal(str(floor.level)),
            expires_at=floor.expires_at,
            reason=str(floor.reason),
            breach_at=floor.breach_at,
            action=floor.action,
            version=int(state_version),
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "v": SCHEMA_VERSION,
            "level": str(self.level),
            "expires_at": iso_utc(self.expires_at),
            "reason": self.reason,
            "breach_at": self.breach_at,
            "action": self.action,
            "version": self.version,
        }

    def encode(self) -> bytes:
        return orjson.dumps(self.as_json())

    @classmethod
    def decode(cls, raw: bytes | str) -> FloorRecord:
        data = orjson.loads(raw)
        _check_version(data, "floor")
        return cls(
            level=Decimal(data["level"]),
            expires_at=parse_utc(data["expires_at"]),
            reason=data["reason"],
            breach_at=data["breach_at"],
            action=data["action"],
            version=int(data["version"]),
        )

    def is_valid_at(self, now: datetime) -> bool:
        return now < self.expires_at

    def is_breached_by(self, equity: Decimal) -> bool:
        return equity <= self.level if self.breach_at == "touch" else equity < self.level


def _check_version(data: Any, what: str) -> None:
    if not isinstance(data, dict) or data.get("v") != SCHEMA_VERSION:
        found = data.get("v") if isinstance(data, dict) else data
        raise ValueError(f"unsupported {what} record version: {found!r}")
