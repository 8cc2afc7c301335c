from datetime import UTC, datetime, timedelta
from decimal import Decimal

import orjson
import pytest
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
