"""The typed readers of account states and positions against the general ones: the same records, or a
refusal that sends the reply the general way (tests/unit/mt5/test_transport.py's peer serves both)."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from propfirm.mt5.errors import ProtocolError
from propfirm.mt5.webapi import WebApiGateway, parsing
from propfirm.mt5.webapi.parsing import ParseError
from propfirm.mt5.webapi.wire import (
    DecodeRefused,
    WireAccount,
    WireAccountRow,
    WirePosition,
    decode_account_rows,
    decode_accounts,
    decode_positions,
)

from .test_transport import Peer, transport_for

RECORD = {
    "Login": "100123", "CurrencyDigits": "2", "Balance": "100234.55", "Credit": "0.00", "Margin": "1200.00",
    "MarginFree": "99034.55", "MarginLevel": "8352.88", "MarginLeverage": "100", "Profit": "-120.50",
    "Storage": "-3.20", "Floating": "-123.70", "Equity": "100110.85", "SOActivation": "0", "Assets": "0.00",
}
OPTIONAL = ["CurrencyDigits", "Credit", "Margin", "MarginFree", "MarginLevel", "MarginLeverage", "Profit",
            "Storage", "Floating"]


def _general(body: bytes) -> Any:
    answer = json.loads(body, parse_float=Decimal)["answer"]
    return [parsing.account_state(r, "srv", "real\\a") for r in parsing.as_list(answer)]


def _typed(body: bytes) -> Any:
    return [parsing.account_state_of(r, "srv", "real\\a") for r in decode_accounts(body)["answer"] or []]


def _fuzzed(base: dict[str, Any], dropped: set[str], field: str, value: Any, change: bool) -> dict[str, Any]:
    """`base` without the `dropped` fields, and `field` set to `value` when `change`."""
    record = {k: v for k, v in base.items() if k not in dropped}
    if change:
        record[field] = value
    return record


def _reply(*records: dict[str, Any]) -> bytes:
    return json.dumps({"retcode": "0 Done", "answer": list(records)}).encode()


def _outcome(read: Any, body: bytes) -> Any:
    try:
        return read(body)
    except ProtocolError as exc:  # bad input: a clear error naming the field, the same from both readers
        return (type(exc).__name__, str(exc).split(":")[0])


@settings(max_examples=300, deadline=None)
@given(
    dropped=st.sets(st.sampled_from(OPTIONAL)),
    field=st.sampled_from(sorted(RECORD)),
    value=st.sampled_from(["7", "0", "-1.5", " 12.50 ", "", "NaN", "Infinity", "abc", "1e3", 7, 1.25, -3, None,
                           True, [], "2.0"]),
    change=st.booleans(),
)
def test_a_reply_the_typed_reader_takes_gives_the_general_readers_states(dropped, field, value, change):
    record = _fuzzed(RECORD, dropped, field, value, change)
    body = _reply(RECORD, record)
    try:
        typed = _outcome(_typed, body)
    except DecodeRefused:
        return  # refused: the transport reads it the general way, which decides alone
    assert typed == _outcome(_general, body)


def test_a_typed_record_carries_every_field_the_state_needs() -> None:
    [state] = _typed(json.dumps({"retcode": "0 Done", "answer": [RECORD]}).encode())
    assert state == _general(json.dumps({"retcode": "0 Done", "answer": [RECORD]}).encode())[0]
    assert (state.login, state.balance, state.floating, state.leverage) == (100123, Decimal("100234.55"),
                                                                            Decimal("-123.70"), 100)
    without = {k: v for k, v in RECORD.items() if k != "Floating"}
    [state] = _typed(json.dumps({"retcode": "0 Done", "answer": [without]}).encode())
    assert state.floating == Decimal("-123.70")  # profit + storage


# -- the poll's rows: only the amounts it keeps are decoded ---------------------------------------------------
ROW_FIELDS = {"Login", "Balance", "Equity", "Credit", "Margin"}


def _typed_rows(body: bytes) -> Any:
    return parsing.account_rows_of(decode_account_rows(body)["answer"] or [], "real\\a")


def _general_rows(body: bytes) -> Any:
    return [state.row() for state in _general(body)]


@settings(max_examples=300, deadline=None)
@given(
    dropped=st.sets(st.sampled_from(OPTIONAL)),
    field=st.sampled_from(sorted(RECORD)),
    value=st.sampled_from(["7", "0", "-1.5", " 12.50 ", "", "NaN", "Infinity", "-Infinity", "abc", "1e3", 7, 1.25,
                           -3, None, True, [], "2.0"]),
    change=st.booleans(),
)
@example(dropped=set(), field="Equity", value="NaN", change=True)
@example(dropped=set(), field="Margin", value="Infinity", change=True)
def test_a_reply_the_lean_reader_takes_gives_the_general_readers_rows(dropped, field, value, change):
    record = _fuzzed(RECORD, dropped, field, value, change)
    body = _reply(RECORD, record)
    try:
        lean = _outcome(_typed_rows, body)
    except DecodeRefused:
        return  # refused: the transport reads it the general way, which decides alone
    general = _outcome(_general_rows, body)
    if isinstance(general, tuple) and general[1] not in ROW_FIELDS:
        # the general reader refused an amount a poll does not keep (MarginLevel, Profit...), which the lean
        # reader never decodes: it gives the rows of the record without that field
        del record[field]
        general = _outcome(_general_rows, _reply(RECORD, record))
    assert lean == general


def test_the_lean_reader_refuses_an_amount_that_is_not_finite_naming_it() -> None:
    for field in ("Balance", "Equity", "Credit", "Margin"):
        body = json.dumps({"retcode": "0 Done", "answer": [{**RECORD, field: "NaN"}]}).encode()
        with pytest.raises(ParseError, match=f"^{field}: not a finite number"):
            _typed_rows(body)
        later = json.dumps({"retcode": "0 Done", "answer": [RECORD, {**RECORD, "Login": "7", field: "-Infinity"}]})
        with pytest.raises(ParseError, match=f"^{field}: not a finite number"):  # anywhere in the page
            _typed_rows(later.encode())
    [row] = decode_account_rows(json.dumps({"retcode": "0 Done", "answer": [RECORD]}).encode())["answer"]
    assert type(row) is WireAccountRow and parsing.account_row_of(row, "g") == (
        100123, "g", Decimal("100234.55"), Decimal("100110.85"), Decimal("0.00"), Decimal("1200.00"))


@pytest.mark.parametrize("answer", [{}, "", [{"Login": "1", "Balance": "abc", "Equity": "1"}], None])
def test_the_transport_reads_a_reply_the_typed_reader_refuses_the_general_way(answer) -> None:
    peer = Peer()
    peer.routes["/api/user/account/get_batch"] = lambda r: httpx.Response(200, json={"retcode": "0 Done",
                                                                                      "answer": answer})
    transport = transport_for(peer)
    if isinstance(answer, list):
        got = transport.read("/api/user/account/get_batch", {"login": "1"}, decode=decode_accounts)
        assert got == answer and type(got[0]) is dict  # the general reading: the gateway's parser names Balance
        with pytest.raises(ParseError, match="Balance"):
            parsing.account_state(got[0], "srv", "g")
    else:
        got = transport.read("/api/user/account/get_batch", {"login": "1"}, decode=decode_accounts)
        assert parsing.as_list(got) == []


def test_the_transport_hands_on_typed_records_when_they_fit() -> None:
    peer = Peer()
    peer.routes["/api/user/account/get_batch"] = lambda r: httpx.Response(200, json={"retcode": "0 Done",
                                                                                      "answer": [RECORD]})
    got = transport_for(peer).read("/api/user/account/get_batch", {"login": "100123"}, decode=decode_accounts)
    assert [type(r) for r in got] == [WireAccount] and got[0].margin_leverage == 100


# -- positions ------------------------------------------------------------------------------------------------
POSITION = {
    "Position": "5001", "Login": "100123", "Symbol": "EURUSD", "Action": "1", "Volume": "2500",
    "VolumeExt": "25000000", "PriceOpen": "1.08452", "PriceCurrent": "1.08401", "Profit": "12.75",
    "Storage": "-0.40", "TimeCreate": "1709373600", "TimeCreateMsc": "1709373600123", "TimeUpdate": "1709373700",
    "TimeUpdateMsc": "1709373700456", "Digits": "5", "PriceSL": "1.09000", "PriceTP": "1.07000",
    "Comment": "scalp", "ContractSize": "100000", "RateProfit": "1", "DigitsCurrency": "2", "Reason": "0",
}
POSITION_OPTIONAL = ["Volume", "VolumeExt", "PriceCurrent", "Profit", "Storage", "TimeCreate", "TimeCreateMsc",
                     "TimeUpdate", "TimeUpdateMsc", "Digits", "PriceSL", "PriceTP", "Comment", "ContractSize",
                     "RateProfit", "DigitsCurrency"]
CLOCK = parsing.ServerClock(offset=timedelta(hours=2))


def _general_positions(body: bytes) -> Any:
    answer = json.loads(body, parse_float=Decimal)["answer"]
    return [parsing.position(r, "srv", CLOCK) for r in parsing.as_list(answer)]


def _typed_positions(body: bytes) -> Any:
    return [parsing.position_of(r, "srv", CLOCK) for r in decode_positions(body)["answer"] or []]


@settings(max_examples=400, deadline=None)
@given(
    dropped=st.sets(st.sampled_from(POSITION_OPTIONAL)),
    field=st.sampled_from(sorted(POSITION)),
    value=st.sampled_from(["7", "0", "2", "-1.5", " 12.50 ", "", "NaN", "Infinity", "abc", "1e3", 7, 0, 1.25, -3,
                           None, True, [], "2.0", "1709373600999"]),
    change=st.booleans(),
)
# found by this test in CI: no update time at all (absent, and its milliseconds null) is the creation time
@example(dropped={"TimeUpdate"}, field="TimeUpdateMsc", value=None, change=True)
# absurd values are refused as bad input by both (they once raised the arithmetic's own errors)
@example(dropped=set(), field="DigitsCurrency", value=-3, change=True)
@example(dropped=set(), field="DigitsCurrency", value="1709373600999", change=True)
@example(dropped={"TimeCreateMsc"}, field="TimeCreate", value="1709373600999", change=True)
def test_a_positions_reply_the_typed_reader_takes_gives_the_general_readers_positions(dropped, field, value,
                                                                                       change):
    record = _fuzzed(POSITION, dropped, field, value, change)
    body = _reply(POSITION, record)
    try:
        typed = _outcome(_typed_positions, body)
    except DecodeRefused:
        return  # refused: the transport reads it the general way, which decides alone
    assert typed == _outcome(_general_positions, body)
    rows = _outcome(_typed_position_rows, body)  # a poll's rows: the same positions, the same refusals
    assert rows == (typed if isinstance(typed, tuple) else [position.row() for position in typed])


def _typed_position_rows(body: bytes) -> Any:
    return [parsing.position_row_of(r, CLOCK) for r in decode_positions(body)["answer"] or []]


def test_a_typed_position_carries_every_field() -> None:
    body = json.dumps({"retcode": "0 Done", "answer": [POSITION]}).encode()
    [position] = _typed_positions(body)
    assert position == _general_positions(body)[0]
    assert (position.ticket, position.side, position.volume, position.value, position.price_sl) == (
        5001, "sell", Decimal("0.25"), Decimal("27100.25"), Decimal("1.09000"))
    assert position.time_create.isoformat() == "2024-03-02T08:00:00.123000+00:00"


def test_the_gateway_reads_positions_typed_and_the_general_way_alike() -> None:
    peer = Peer()
    peer.routes["/api/position/get_batch"] = lambda r: httpx.Response(200, json={"retcode": "0 Done",
                                                                                  "answer": [POSITION]})
    transport = transport_for(peer)
    typed = transport.read("/api/position/get_batch", {"group": "real\\a"}, decode=decode_positions)
    assert [type(r) for r in typed] == [WirePosition]
    general = transport.read("/api/position/get_batch", {"group": "real\\a"})
    assert parsing.position_of(typed[0], "srv", CLOCK) == parsing.position(general[0], "srv", CLOCK)


@pytest.mark.parametrize(("field", "value", "message"), [
    ("DigitsCurrency", "-3", "DigitsCurrency"), ("DigitsCurrency", "40", "DigitsCurrency"),
    ("ContractSize", "1e40", "ContractSize"), ("TimeUpdateMsc", "1709373600999000000", "server time"),
])
def test_absurd_values_are_refused_as_bad_input_by_both_readers(field, value, message) -> None:
    body = json.dumps({"retcode": "0 Done", "answer": [{**POSITION, field: value}]}).encode()
    for read in (_typed_positions, _general_positions):
        with pytest.raises(ProtocolError, match=message):
            read(body)


@pytest.mark.parametrize(("answer", "logins"), [
    (["5001", 5002, " 5003"], [5001, 5002, 5003]),  # each as `parsing.integer` reads it
    ([], []),
    (["5001", "x5002"], "login"),
    ([5001, True], "login"),
    (["5001", 5002.5], "login"),
])
def test_a_groups_logins_are_read_as_integer_reads_each_and_an_odd_one_refused_by_name(answer, logins) -> None:
    peer = Peer()
    peer.routes["/api/user/logins"] = lambda r: httpx.Response(200, json={"retcode": "0 Done", "answer": answer})
    gateway = WebApiGateway(transport_for(peer))
    if isinstance(logins, list):
        assert gateway._logins("real\\a") == logins
    else:
        with pytest.raises(ParseError, match=logins):
            gateway._logins("real\\a")
