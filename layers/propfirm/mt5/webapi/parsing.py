"""Web API JSON records -> domain models.

MT5 quotes most numbers as strings ("Balance": "26000.00", "Login": "764636")
but not all; every number is parsed exactly (Decimal, never float). Volumes
come in 1/10,000 lot (`Volume`) or 1/100,000,000 lot (`VolumeExt`, preferred
when present). Times are trade-server seconds, converted with a `ServerClock`.

Size: one short reader per MT5 record type (accounts, positions, deals, symbols, ticks, bars, groups, time),
all built on the exact number readers at the top; split, each would import them back.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from propfirm.mt5.errors import ProtocolError
from propfirm.mt5.models import (
    AccountInfo,
    AccountRow,
    AccountState,
    Deal,
    DealAction,
    DealEntry,
    GroupInfo,
    MinuteBar,
    Position,
    PositionRow,
    Side,
    SymbolInfo,
    Tick,
    traded_value,
)
from propfirm.mt5.protocol import (  # noqa: F401  (re-exported: the Web API's readers and writers use them)
    DEFAULT_USER_RIGHTS,
    USER_RIGHT_ENABLED,
    USER_RIGHT_TRADE_DISABLED,
    VOLUME_EXT_UNIT,
    VOLUME_UNIT,
    ServerClock,
    volume_units,
)
from propfirm.mt5.webapi.wire import WireAccount, WireAccountRow, WirePosition

Record = Mapping[str, Any]
ZERO = Decimal(0)


class ParseError(ProtocolError, ValueError):
    """A record lacks a field or holds a value that is not what MT5 documents."""


def dec(value: Any, field: str = "?") -> Decimal:
    if type(value) is str:  # the common case, kept fast: Decimal itself ignores surrounding blanks
        try:
            result = Decimal(value)
            if result.is_finite():
                return result
        except InvalidOperation:
            pass
        return _dec_slow(value, field)
    return _dec_slow(value, field)


def _dec_slow(value: Any, field: str) -> Decimal:
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, bool):
        raise ParseError(f"{field}: not a number: {value!r}")
    elif isinstance(value, int):
        return Decimal(value)
    elif isinstance(value, float):
        result = Decimal(repr(value))  # only if a caller bypassed parse_float=Decimal
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip() or "0")
        except InvalidOperation:
            raise ParseError(f"{field}: not a number: {value!r}") from None
    elif value is None:
        return ZERO
    else:
        raise ParseError(f"{field}: not a number: {value!r}")
    if not result.is_finite():
        raise ParseError(f"{field}: not a finite number: {value!r}")
    return result


def integer(value: Any, field: str = "?") -> int:
    if type(value) is str:
        try:
            return int(value)
        except ValueError:
            pass
    elif isinstance(value, int) and not isinstance(value, bool):
        return value
    number = dec(value, field)
    if number != number.to_integral_value():
        raise ParseError(f"{field}: not an integer: {value!r}")
    return int(number)


def get(record: Record, field: str, default: Any = None) -> Any:
    if field in record:
        return record[field]
    if default is None:
        raise ParseError(f"record without {field}: {sorted(record)[:12]}")
    return default


def lots(record: Record, ext_field: str = "VolumeExt", field: str = "Volume") -> Decimal:
    ext = record.get(ext_field)
    if ext not in (None, ""):
        value = dec(ext, ext_field)
        if value or record.get(field) in (None, "", 0, "0"):
            return value / VOLUME_EXT_UNIT
    return dec(get(record, field), field) / VOLUME_UNIT


def _time(record: Record, clock: ServerClock, field: str) -> datetime:
    msc = record.get(field + "Msc")
    if msc not in (None, "", 0, "0"):
        return clock.to_utc_msc(integer(msc, field + "Msc"))
    return clock.to_utc(integer(record.get(field, 0), field))


def account_state(record: Record, server: str, group: str) -> AccountState:
    profit = dec(record.get("Profit"), "Profit")
    storage = dec(record.get("Storage"), "Storage")
    floating = record.get("Floating")
    return AccountState(
        server=server,
        login=integer(get(record, "Login"), "Login"),
        group=group,
        currency_digits=integer(record.get("CurrencyDigits", 2), "CurrencyDigits"),
        balance=dec(get(record, "Balance"), "Balance"),
        credit=dec(record.get("Credit"), "Credit"),
        equity=dec(get(record, "Equity"), "Equity"),
        margin=dec(record.get("Margin"), "Margin"),
        margin_free=dec(record.get("MarginFree"), "MarginFree"),
        margin_level=dec(record.get("MarginLevel"), "MarginLevel"),
        floating=dec(floating, "Floating") if floating not in (None, "") else profit + storage,
        profit=profit,
        storage=storage,
        leverage=integer(record.get("MarginLeverage", 0), "MarginLeverage"),
    )


def account_state_of(record: WireAccount, server: str, group: str) -> AccountState:
    """`account_state` for a record the typed reader decoded (`propfirm.mt5.webapi.wire`): the same state,
    the same refusal of an amount that is not finite."""
    profit, storage, floating = record.profit, record.storage, record.floating
    if not (record.balance.is_finite() and record.equity.is_finite() and record.credit.is_finite()
            and record.margin.is_finite() and record.margin_free.is_finite() and record.margin_level.is_finite()
            and profit.is_finite() and storage.is_finite() and (floating is None or floating.is_finite())):
        _refuse_infinite(record)  # the common case costs nine calls, not a table built per account
    return AccountState(
        server=server,
        login=record.login,
        group=group,
        currency_digits=record.currency_digits,
        balance=record.balance,
        credit=record.credit,
        equity=record.equity,
        margin=record.margin,
        margin_free=record.margin_free,
        margin_level=record.margin_level,
        floating=profit + storage if floating is None else floating,
        profit=profit,
        storage=storage,
        leverage=record.margin_leverage,
    )


def account_rows_of(records: list[WireAccountRow], group: str) -> list[AccountRow]:
    """`account_row_of` for a page of records at once (a comprehension over the page, not a call per record:
    100,000 records a cycle); the first record with an amount that is not finite is refused the same way."""
    rows = [(r.login, group, r.balance, r.equity, r.credit, r.margin) for r in records]
    if not all([r[2].is_finite() and r[3].is_finite() and r[4].is_finite() and r[5].is_finite() for r in rows]):
        for record in records:
            account_row_of(record, group)
    return rows


def account_row_of(record: WireAccountRow, group: str) -> AccountRow:
    """What a poll keeps of a record the lean typed reader decoded: the amounts `account_state_of` would
    give, refused alike when one is not finite (the record's other amounts are not read at all)."""
    balance, equity, credit, margin = record.balance, record.equity, record.credit, record.margin
    if not (balance.is_finite() and equity.is_finite() and credit.is_finite() and margin.is_finite()):
        for name, amount in (("Balance", balance), ("Equity", equity), ("Credit", credit), ("Margin", margin)):
            if not amount.is_finite():
                raise ParseError(f"{name}: not a finite number: {amount!r}")
    return (record.login, group, balance, equity, credit, margin)


def _refuse_infinite(record: WireAccount) -> None:
    for name, amount in (("Balance", record.balance), ("Equity", record.equity), ("Credit", record.credit),
                         ("Margin", record.margin), ("MarginFree", record.margin_free),
                         ("MarginLevel", record.margin_level), ("Profit", record.profit),
                         ("Storage", record.storage), ("Floating", record.floating)):
        if amount is not None and not amount.is_finite():
            raise ParseError(f"{name}: not a finite number: {amount!r}")


def account_state_from_user(record: Record, server: str, currency_digits: int = 2) -> AccountState:
    """For an account MT5 keeps no trade state for (no activity since restart): nothing is open,
    so equity = balance + credit and the free margin is all of it."""
    balance = dec(get(record, "Balance"), "Balance")
    credit = dec(record.get("Credit"), "Credit")
    return AccountState(
        server=server,
        login=integer(get(record, "Login"), "Login"),
        group=str(get(record, "Group")),
        currency_digits=currency_digits,
        balance=balance,
        credit=credit,
        equity=balance + credit,
        margin=ZERO,
        margin_free=balance + credit,
        margin_level=ZERO,
        floating=ZERO,
        profit=ZERO,
        storage=ZERO,
        leverage=integer(record.get("Leverage", 0), "Leverage"),
        has_trade_state=False,
    )


def symbol_info(record: Record) -> SymbolInfo:
    return SymbolInfo(
        name=str(get(record, "Symbol")),
        digits=integer(record.get("Digits", 5), "Digits"),
        contract_size=dec(get(record, "ContractSize"), "ContractSize"),
        currency_base=str(record.get("CurrencyBase", "")),
        currency_profit=str(get(record, "CurrencyProfit")),
    )


def tick(record: Record, clock: ServerClock) -> Tick:
    return Tick(
        symbol=str(get(record, "Symbol")),
        bid=dec(get(record, "Bid"), "Bid"),
        ask=dec(get(record, "Ask"), "Ask"),
        time=_time(record, clock, "Datetime"),
    )


def minute_bar(symbol: str, row: Any, point: Decimal, clock: ServerClock) -> MinuteBar:
    """A `chart/get` bar asked with `data=dohlcs`: [minute, open, high, low, close, spread in points]."""
    if not isinstance(row, list) or len(row) != 6:
        raise ParseError(f"a chart bar of {symbol} must be 6 values (dohlcs), got {row!r:.80}")
    return MinuteBar(
        symbol=symbol,
        start=clock.to_utc(integer(row[0], "bar time")),
        open=dec(row[1], "bar open"),
        high=dec(row[2], "bar high"),
        low=dec(row[3], "bar low"),
        close=dec(row[4], "bar close"),
        spread=integer(row[5], "bar spread") * point,
    )


def position(record: Record, server: str, clock: ServerClock) -> Position:
    action = integer(get(record, "Action"), "Action")
    if action not in (0, 1):
        raise ParseError(f"position Action must be 0 (buy) or 1 (sell), got {action}")
    volume = lots(record)
    price_current = dec(record.get("PriceCurrent"), "PriceCurrent")
    return Position(
        server=server,
        login=integer(get(record, "Login"), "Login"),
        ticket=integer(get(record, "Position"), "Position"),
        symbol=str(get(record, "Symbol")),
        side=Side.BUY if action == 0 else Side.SELL,
        volume=volume,
        price_open=dec(get(record, "PriceOpen"), "PriceOpen"),
        price_current=price_current,
        profit=dec(record.get("Profit"), "Profit"),
        storage=dec(record.get("Storage"), "Storage"),
        time_create=_time(record, clock, "TimeCreate"),
        time_update=_time(record, clock, "TimeUpdate")
        if record.get("TimeUpdate") is not None or record.get("TimeUpdateMsc") is not None
        else _time(record, clock, "TimeCreate"),  # never updated (both absent or null): its creation
        digits=integer(record.get("Digits", 5), "Digits"),
        price_sl=dec(record.get("PriceSL"), "PriceSL"),
        price_tp=dec(record.get("PriceTP"), "PriceTP"),
        comment=str(record.get("Comment", "")),
        value=deal_value(record, volume, price_current),
    )


def position_of(record: WirePosition, server: str, clock: ServerClock) -> Position:
    """`position` for a record the typed reader decoded (`propfirm.mt5.webapi.wire`): the same position, the
    same refusals (an Action other than buy or sell, an amount that is not finite, no volume)."""
    volume, created, updated, value = _checked_position(record, clock)
    return Position(
        server=server,
        login=record.login,
        ticket=record.position,
        symbol=record.symbol,
        side=Side.BUY if record.action == 0 else Side.SELL,
        volume=volume,
        price_open=record.price_open,
        price_current=record.price_current,
        profit=record.profit,
        storage=record.storage,
        time_create=created,
        time_update=updated,
        digits=record.digits,
        price_sl=record.price_sl,
        price_tp=record.price_tp,
        comment=record.comment,
        value=value,
    )


def position_row_of(record: WirePosition, clock: ServerClock) -> PositionRow:
    """What a poll keeps of a typed position record (`Position.row` of `position_of`), without building the
    `Position`: the same refusals."""
    volume, _, updated, value = _checked_position(record, clock)
    return (record.login, record.symbol, volume, "buy" if record.action == 0 else "sell", record.position,
            record.price_open, record.price_current, updated, record.profit, record.storage, value)


def _checked_position(record: WirePosition, clock: ServerClock
                      ) -> tuple[Decimal, datetime, datetime, Decimal | None]:
    """A typed position's checks (the general reader's refusals) and what it computes: the lots, the creation
    and update times in UTC, and the value held (None without the contract size and rate)."""
    if record.action not in (0, 1):
        raise ParseError(f"position Action must be 0 (buy) or 1 (sell), got {record.action}")
    ext, units = record.volume_ext, record.volume
    if ext is not None and (ext or not units):
        volume = Decimal(ext) / VOLUME_EXT_UNIT
    elif isinstance(units, int):
        volume = Decimal(units) / VOLUME_UNIT
    elif units is None:
        volume = ZERO
    else:
        raise ParseError("record without Volume")
    price_current = record.price_current
    contract, rate = record.contract_size, record.rate_profit
    valued = contract is not None and rate is not None  # the general reader reads neither without the other
    if not (record.price_open.is_finite() and price_current.is_finite() and record.profit.is_finite()
            and record.storage.is_finite() and record.price_sl.is_finite() and record.price_tp.is_finite()
            and (not valued or (contract.is_finite() and rate.is_finite()))):  # type: ignore[union-attr]
        _refuse_infinite_position(record, valued)
    created = (clock.to_utc_msc(record.time_create_msc) if record.time_create_msc
               else clock.to_utc(record.time_create))
    if (record.time_update is None and record.time_update_msc is None) or (
            record.time_update_msc and record.time_update_msc == record.time_create_msc):
        updated = created  # (most positions: never updated since they opened; one conversion saved)
    elif record.time_update_msc:
        updated = clock.to_utc_msc(record.time_update_msc)
    else:
        updated = clock.to_utc(record.time_update or 0)
    value = (_traded(volume, contract, price_current, rate, record.digits_currency)  # type: ignore[arg-type]
             if valued else None)
    return volume, created, updated, value


def _refuse_infinite_position(record: WirePosition, valued: bool) -> None:
    amounts: list[tuple[str, Decimal | None]] = [
        ("PriceOpen", record.price_open), ("PriceCurrent", record.price_current), ("Profit", record.profit),
        ("Storage", record.storage), ("PriceSL", record.price_sl), ("PriceTP", record.price_tp)]
    if valued:
        amounts += [("ContractSize", record.contract_size), ("RateProfit", record.rate_profit)]
    for name, amount in amounts:
        if amount is not None and not amount.is_finite():
            raise ParseError(f"{name}: not a finite number: {amount!r}")


def deal(record: Record, server: str, clock: ServerClock) -> Deal:
    try:
        action = DealAction(integer(get(record, "Action"), "Action"))
        entry = DealEntry(integer(record.get("Entry", 0), "Entry"))
    except ValueError as exc:
        raise ParseError(f"deal {record.get('Deal')}: {exc}") from None
    volume = lots(record) if ("Volume" in record or "VolumeExt" in record) else ZERO
    price = dec(record.get("Price"), "Price")
    return Deal(
        server=server,
        login=integer(get(record, "Login"), "Login"),
        ticket=integer(get(record, "Deal"), "Deal"),
        time=_time(record, clock, "Time"),
        action=action,
        entry=entry,
        symbol=str(record.get("Symbol", "")),
        volume=volume,
        price=price,
        profit=dec(record.get("Profit"), "Profit"),
        commission=dec(record.get("Commission"), "Commission"),
        storage=dec(record.get("Storage"), "Storage"),
        position_id=integer(record.get("PositionID", 0), "PositionID"),
        comment=str(record.get("Comment", "")),
        order=integer(record.get("Order", 0), "Order"),
        value=deal_value(record, volume, price),
    )


def deal_value(record: Record, volume: Decimal, price: Decimal) -> Decimal | None:
    """A deal's (or a position's, at its current price) traded value (`traded_value`); None when MT5 leaves
    out the contract size or the rate."""
    contract = record.get("ContractSize")
    rate = record.get("RateProfit")
    if contract in (None, "") or rate in (None, ""):
        return None
    digits = integer(record.get("DigitsCurrency", 2), "DigitsCurrency")
    return _traded(volume, _repeated(contract, "ContractSize"), price, _repeated(rate, "RateProfit"), digits)


MAX_CURRENCY_DIGITS = 8  # a deposit currency's digits: 2 for most, 0 for some, up to 8 for crypto


def _traded(volume: Decimal, contract: Decimal, price: Decimal, rate: Decimal, digits: int) -> Decimal | None:
    """`traded_value`, with a clear refusal (ParseError, as for any other field) of what it cannot compute:
    digits no currency has, or a value beyond exact arithmetic (a contract size of 1e30)."""
    if not 0 <= digits <= MAX_CURRENCY_DIGITS:
        raise ParseError(f"DigitsCurrency: not a currency's digits (0..{MAX_CURRENCY_DIGITS}): {digits!r}")
    try:
        return traded_value(volume, contract, price, rate, digits)
    except InvalidOperation:
        raise ParseError(f"ContractSize: the traded value is beyond exact arithmetic: {contract!r}") from None


_REPEATED: dict[Any, Decimal] = {}


def _repeated(value: Any, field: str) -> Decimal:
    """`dec` for the values every record of a symbol repeats (contract sizes, a cycle's rates): parsed once.
    The cache is bounded: it starts again when full (rates change every tick)."""
    known = _REPEATED.get(value)
    if known is None:
        known = dec(value, field)
        if len(_REPEATED) >= 4096:
            _REPEATED.clear()
        if isinstance(value, str):
            _REPEATED[value] = known
    return known


def account_info(record: Record, server: str) -> AccountInfo:
    rights = integer(record.get("Rights", 0), "Rights")
    return AccountInfo(
        server=server,
        login=integer(get(record, "Login"), "Login"),
        group=str(get(record, "Group")),
        leverage=integer(record.get("Leverage", 0), "Leverage"),
        rights=rights,
        trading_enabled=not rights & USER_RIGHT_TRADE_DISABLED,
        email=str(record.get("Email", record.get("EMail", ""))),
        comment=str(record.get("Comment", "")),
    )


def group_info(record: Record) -> GroupInfo:
    return GroupInfo(
        name=str(get(record, "Group")),
        currency=str(record.get("Currency", "")),
        currency_digits=integer(record.get("CurrencyDigits", 2), "CurrencyDigits"),
        margin_mode=integer(record.get("MarginMode", 0), "MarginMode"),
        reports_mode=integer(record.get("ReportsMode", 0), "ReportsMode"),
        margin_call=dec(record.get("MarginCall"), "MarginCall"),
        margin_stop_out=dec(record.get("MarginStopOut"), "MarginStopOut"),
    )


def server_offset(record: Record) -> timedelta:
    """The offset from `/api/time/get`: `TimeZone` minutes from GMT, plus an hour while DST is on
    (`Daylight` enabled and `DaylightState` set)."""
    minutes = integer(get(record, "TimeZone"), "TimeZone")
    if integer(record.get("Daylight", 0), "Daylight") and integer(
        record.get("DaylightState", 0), "DaylightState"
    ):
        minutes += 60
    return timedelta(minutes=minutes)


def server_seconds(value: Any) -> int:
    """`/api/time/server`'s "Time": "1572518788 2019.10.31 10:46:28" (or a bare number)."""
    text = str(value).strip()
    head = text.split(" ", 1)[0]
    return integer(head, "Time")


def as_list(answer: Any) -> list[Record]:
    """Batch answers are arrays; tolerate an empty answer and a single object."""
    if answer in (None, "", {}):
        return []
    if isinstance(answer, list):
        return answer
    if isinstance(answer, Mapping):
        return [answer]
    raise ParseError(f"expected a list of records, got {type(answer).__name__}")
