"""A decision's inputs as JSON: the engine state before the events, the events judged (in the replay
format of `propfirm replay`: `snapshot`, `deal`, `balance` lines), the program version; and their SHA-256
over a canonical form (sorted keys, money as strings), so a stored record can be checked unchanged."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson

from propfirm.domain.events import BalanceOperation, Deal, Event, Position, Snapshot


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _position_json(p: Position) -> dict[str, Any]:
    out: dict[str, Any] = {"symbol": p.symbol, "volume": str(p.volume), "type": p.type}
    if p.profit is not None:
        out["profit"] = str(p.profit)
    if p.value is not None:
        out["value"] = str(p.value)
    return out


def _opt_decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def event_json(event: Event) -> dict[str, Any]:
    """One replay line's object for an engine event (snapshot, deal, balance operation)."""
    if isinstance(event, Snapshot):
        line: dict[str, Any] = {
            "type": "snapshot",
            "time": _iso(event.time),
            "login": event.login,
            "server": event.server,
            "balance": str(event.balance),
            "equity": str(event.equity),
        }
        if event.positions is not None:
            line["positions"] = [_position_json(p) for p in event.positions]
        return line
    if isinstance(event, Deal):
        deal: dict[str, Any] = {
            "type": "deal",
            "time": _iso(event.time),
            "login": event.login,
            "server": event.server,
            "deal": event.deal,
            "entry": event.entry,
            "symbol": event.symbol,
            "volume": str(event.volume),
            "profit": str(event.profit),
            "commission": str(event.commission),
            "swap": str(event.swap),
            "position": event.position,
        }
        if event.value is not None:
            deal["value"] = str(event.value)  # only when given: earlier records hash as they did
        return deal
    if isinstance(event, BalanceOperation):
        return {
            "type": "balance",
            "time": _iso(event.time),
            "login": event.login,
            "server": event.server,
            "amount": str(event.amount),
            "comment": event.comment,
        }
    raise TypeError(f"not an event the evaluator judges: {type(event).__name__}")


def event_from_json(line: dict[str, Any]) -> Event:
    kind = line["type"]
    time = datetime.fromisoformat(line["time"])
    if kind == "snapshot":
        positions = line.get("positions")
        return Snapshot(
            time=time,
            login=int(line["login"]),
            balance=Decimal(line["balance"]),
            equity=Decimal(line["equity"]),
            positions=None
            if positions is None
            else tuple(
                Position(p["symbol"], Decimal(p["volume"]), p["type"], _opt_decimal(p.get("profit")),
                         _opt_decimal(p.get("value")))
                for p in positions
            ),
            server=line["server"],
        )
    if kind == "deal":
        return Deal(
            time=time,
            login=int(line["login"]),
            deal=int(line["deal"]),
            entry=line["entry"],
            symbol=line["symbol"],
            volume=Decimal(line["volume"]),
            profit=Decimal(line["profit"]),
            position=int(line["position"]),
            commission=Decimal(line["commission"]),
            swap=Decimal(line["swap"]),
            server=line["server"],
            value=_opt_decimal(line.get("value")),
        )
    if kind == "balance":
        return BalanceOperation(
            time=time,
            login=int(line["login"]),
            amount=Decimal(line["amount"]),
            comment=line.get("comment", ""),
            server=line["server"],
        )
    raise ValueError(f"unknown event type {kind!r}")


def decision_inputs(
    state: dict[str, Any], events: list[Event], program_id: str, program_version: int, decision_index: int
) -> dict[str, Any]:
    """What recomputes the decision: the state before the first event, the events in the order judged, the
    program version, and which of the decisions they make this one is (0 for the first)."""
    return {
        "state": state,
        "events": [event_json(e) for e in events],
        "program": {"id": program_id, "version": program_version},
        "decision_index": decision_index,
    }


def digest(inputs: dict[str, Any]) -> str:
    """SHA-256 of the inputs' canonical JSON (sorted keys; every value as stored, money as strings)."""
    return hashlib.sha256(orjson.dumps(inputs, option=orjson.OPT_SORT_KEYS)).hexdigest()
