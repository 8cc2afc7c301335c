from datetime import UTC, datetime, timedelta
from decimal import Decimal

import orjson
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from propfirm.domain.floors import EquityFloor
from propfirm.live.floors import FloorMemo, ReadFloor
from propfirm.live.keys import LiveKeys
from propfirm.live.records import FloorRecord, PositionSummary, Snapshot

NOW = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)


def floor(level: str = "95000.00", breach_at: str = "touch", expires: datetime | None = None) -> FloorRecord:
    return FloorRecord(level=Decimal(level), expires_at=expires or NOW + timedelta(hours=5),
                       reason="daily_loss", breach_at=breach_at, action="fail", version=3)  # type: ignore[arg-type]


def test_keys_carry_the_account_hash_tag_behind_the_namespace() -> None:
    keys = LiveKeys("ns1:")
    assert keys.snap("default", 5001) == "ns1:acct:{default:5001}:snap"
    assert keys.state("default", 5001) == "ns1:acct:{default:5001}:state"
    assert keys.floor("default", 5001) == "ns1:acct:{default:5001}:floor"
    assert LiveKeys().floor("s2", 7) == "acct:{s2:7}:floor"
    assert keys.heartbeat("default") == "ns1:poller:{default}:heartbeat"


def test_snapshot_is_compact_json_with_money_as_strings_and_round_trips() -> None:
    snap = Snapshot("default", 5001, 812, NOW, Decimal("100000.00"), Decimal("99350.50"), Decimal("0.00"),
                    Decimal("1000.00"), (PositionSummary("EURUSD", Decimal("1.00"), "buy"),))
    raw = snap.encode()
    data = orjson.loads(raw)
    assert data["v"] == 1 and data["equity"] == "99350.50" and data["time"] == "2026-11-25T18:00:00.000Z"
    assert data["positions"] == [{"symbol": "EURUSD", "volume": "1.00", "side": "buy"}]
    assert b" " not in raw
    assert Snapshot.decode(raw) == snap


def test_snapshot_without_position_reads_is_null_not_empty() -> None:
    snap = Snapshot("default", 1, 1, NOW, Decimal(1), Decimal(1), Decimal(0), Decimal(0), None)
    assert orjson.loads(snap.encode())["positions"] is None
    assert Snapshot.decode(snap.encode()).positions is None


def test_floor_round_trips_and_compares_by_breach_at() -> None:
    touch = floor()
    assert FloorRecord.decode(touch.encode()) == touch
    assert touch.is_breached_by(Decimal("95000.00"))
    assert not touch.is_breached_by(Decimal("95000.01"))
    below = floor(breach_at="below")
    assert not below.is_breached_by(Decimal("95000.00"))
    assert below.is_breached_by(Decimal("94999.99"))


def test_an_expired_or_missing_floor_is_no_floor() -> None:
    assert FloorMemo().read({7: None}) == {7: None}
    assert ReadFloor.decode(floor(expires=NOW).encode()).active(NOW) is None
    assert ReadFloor.decode(floor(expires=NOW + timedelta(seconds=1)).encode()).active(NOW) is not None


def test_bad_floor_records_are_refused_with_a_reason() -> None:
    wrong_version = ReadFloor.decode(b'{"v":2,"level":"1"}')
    assert wrong_version.floor is None and "version" in wrong_version.error
    assert wrong_version.active(NOW) is None
    missing = ReadFloor.decode(b'{"v":1,"level":"1"}')
    assert missing.floor is None and "malformed" in missing.error
    assert ReadFloor.decode(b"not json").error is not None
    with pytest.raises(ValueError, match="breach_at"):
        floor(breach_at="near")


def test_the_floor_memo_decodes_a_floor_once_while_its_bytes_stay_the_same() -> None:
    memo = FloorMemo()
    first = memo.read({1: floor().encode(), 2: floor(breach_at="below").encode()})
    again = memo.read({1: bytes(floor().encode()), 3: floor().encode()})  # equal bytes, another object
    assert again[1] is first[1] and again[1].floor == floor()
    assert again[3].floor == floor()
    changed = memo.read({1: floor(breach_at="below").encode(), 2: floor(breach_at="below").encode()})
    assert changed[1].floor.breach_at == "below"
    assert changed[2] is not first[2]  # not read last cycle: forgotten, decoded afresh
    assert changed[2].floor == first[2].floor


def test_floor_from_the_rule_engines_equity_floor() -> None:
    engine_floor = EquityFloor(level=Decimal("90000"), expires_at=NOW, reason="max_loss", breach_at="below",
                               action="pause")
    record = FloorRecord.from_equity_floor(engine_floor, state_version=12)
    assert (record.level, record.reason, record.breach_at, record.action, record.version) == (
        Decimal("90000"), "max_loss", "below", "pause", 12)


def test_named_pollers_of_one_server_keep_their_own_state_keys() -> None:
    keys = LiveKeys("ns:")
    assert keys.poller_state("default") == "ns:poller:{default}:state"
    assert keys.poller_state("default", "east") == "ns:poller:{default}:east:state"
    assert keys.deals_seen("default", "east") == "ns:poller:{default}:east:deals_seen"
    assert keys.heartbeat("default", "east") == "ns:poller:{default}:east:heartbeat"


# -- the typed reader against the precise one ---------------------------------------------------------------
SNAPSHOT = {"v": 1, "server": "default", "login": 5001, "cycle": 812, "time": "2026-11-25T18:55:02.120Z",
            "balance": "100000.00", "equity": "99350.50", "credit": "0.00", "margin": "1000.00"}
POSITION = {"symbol": "EURUSD", "volume": "1.00", "side": "buy", "ticket": 77, "open": "1.08120",
            "price": "1.08010", "price_time": "2026-11-25T18:55:01.900Z", "profit": "-110.00", "swap": "-1.20",
            "value": "108010.00"}
ODD_VALUES = ["7", "0", "-1.5", " 12.50 ", "", "NaN", "1_000", "1e3", "abc", 7, 0.1, -3, None, True, [], {},
              "2026-11-25T19:55:02+01:00", "2026-11-25T18:55:02", "2026-11-25T18:55:02.1234567Z", 2]


def _outcome(read, raw: bytes):
    """Every field of the snapshot read, the evidence and each amount's exact digits included (equality of
    snapshots compares positions by symbol, lots and side only), or the kind of error."""
    try:
        snapshot = read(raw)
    except (ValueError, KeyError, TypeError) as exc:
        return type(exc).__name__
    positions = None if snapshot.positions is None else [
        [repr(getattr(p, f)) for f in PositionSummary.__slots__] for p in snapshot.positions]
    return [repr(getattr(snapshot, f)) for f in Snapshot.__slots__ if f != "positions"] + [positions]


@settings(max_examples=400, deadline=None)
@given(
    field=st.sampled_from(sorted(SNAPSHOT) + ["positions"]),
    position_field=st.sampled_from(sorted(POSITION)),
    value=st.sampled_from(ODD_VALUES),
    where=st.sampled_from(["snapshot", "position", "dropped", "position dropped", "none"]),
    listed=st.sampled_from([None, 0, 1, 2]),
)
@example(field="time", position_field="ticket", value="2026-11-25T19:55:02+01:00", where="snapshot", listed=1)
@example(field="balance", position_field="ticket", value=0.1, where="snapshot", listed=None)
@example(field="v", position_field="ticket", value=2, where="snapshot", listed=None)
@example(field="login", position_field="ticket", value=None, where="position", listed=1)
def test_the_typed_snapshot_reader_reads_what_the_precise_one_reads(field, position_field, value, where, listed):
    position = dict(POSITION)
    if where == "position":
        position[position_field] = value
    elif where == "position dropped":
        position.pop(position_field)
    record: dict = dict(SNAPSHOT)
    if listed is not None:
        record["positions"] = [position, {"symbol": "XAUUSD", "volume": "0.10", "side": "sell"}][: listed]
    if where == "snapshot":
        record[field] = value
    elif where == "dropped":
        record.pop(field, None)
    raw = orjson.dumps(record)
    assert _outcome(Snapshot.decode, raw) == _outcome(Snapshot.decode_precisely, raw)


def test_a_snapshot_the_typed_reader_refuses_is_refused_with_the_precise_readers_reason() -> None:
    with pytest.raises(ValueError, match="unsupported snapshot record version: 2"):
        Snapshot.decode(orjson.dumps({**SNAPSHOT, "v": 2}))
    with pytest.raises(ValueError, match="time without an offset"):
        Snapshot.decode(orjson.dumps({**SNAPSHOT, "time": "2026-11-25T18:55:02"}))
    # an amount that is no decimal is a ValueError (decimal's InvalidOperation is not one: the readers of
    # snapshots catch ValueError, and the evaluator judged a message's other accounts only after this)
    with pytest.raises(ValueError, match="not a decimal"):
        Snapshot.decode(orjson.dumps({**SNAPSHOT, "equity": "abc"}))
    # a JSON number for money is not read as the float's binary value by one reader and its text by the other
    assert Snapshot.decode(orjson.dumps({**SNAPSHOT, "equity": 0.1})).equity == Decimal(0.1)
