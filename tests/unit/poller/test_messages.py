import zlib
from datetime import UTC, datetime
from decimal import Decimal

import orjson
import pytest
from propfirm.mt5.models import Deal, DealAction, DealEntry
from propfirm.queues.messages import (
    BalanceOperationCommand,
    CreateAccount,
    DealRecord,
    EvaluationMessage,
    parse_command,
    parse_evaluation_queue_message,
)
from propfirm.queues.packing import pack_evaluation_messages
from propfirm.queues.sharding import shard_of
from propfirm.queues.sqs import MAX_BATCH_BYTES, Outgoing, batches
from pydantic import ValidationError

NOW = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)


def deal(ticket: int, login: int) -> DealRecord:
    return DealRecord.from_mt5(Deal("default", login, ticket, NOW, DealAction.SELL, DealEntry.OUT, "EURUSD",
                                    Decimal("1.00"), Decimal("1.08500"), Decimal("-120.50"), Decimal("-3.50"),
                                    Decimal("0.00"), 9001, comment="x" * 20))


def test_shard_is_a_stable_crc32_not_pythons_salted_hash() -> None:
    assert shard_of("default", 5001, 16) == zlib.crc32(b"default:5001") % 16
    assert shard_of("default", 5001, 16) == 13  # fixed forever: other components compute the same
    counts = [0] * 8
    for login in range(100_000, 110_000):
        counts[shard_of("default", login, 8)] += 1
    assert min(counts) > 1_000  # spread evenly enough
    with pytest.raises(ValueError):
        shard_of("default", 1, 0)


def test_evaluation_message_is_versioned_and_money_is_a_string() -> None:
    message = EvaluationMessage(server="default", cycle=7, shard=3, time=NOW, logins=[5001],
                                deals=[deal(71, 5001)])
    data = orjson.loads(message.model_dump_json())
    assert data["v"] == 1 and data["kind"] == "evaluation"
    assert data["deals"][0]["profit"] == "-120.50" and data["deals"][0]["entry"] == "out"
    assert data["deals"][0]["action"] == "sell"
    assert parse_evaluation_queue_message(message.model_dump_json()) == message


def test_commands_parse_by_type_and_refuse_float_money() -> None:
    body = {"command_id": "c1", "type": "balance_operation", "server": "default", "login": 5001,
            "amount": "-3000.00", "comment": "payout 17"}
    command = parse_command(orjson.dumps(body))
    assert isinstance(command, BalanceOperationCommand) and command.amount == Decimal("-3000.00")
    with pytest.raises(ValidationError, match="float"):
        parse_command(orjson.dumps({**body, "amount": -3000.0}))
    with pytest.raises(ValidationError):
        parse_command(orjson.dumps({**body, "type": "format_disk"}))
    create = parse_command(orjson.dumps({"command_id": "c2", "type": "create_account", "server": "default",
                                         "group": "challenge\\phase1", "leverage": 100,
                                         "initial_balance": "100000", "first_name": "A", "last_name": "B",
                                         "email": "a@b.c"}))
    assert isinstance(create, CreateAccount) and create.login is None


def test_packing_splits_large_shards_and_keeps_deals_with_their_login() -> None:
    logins = list(range(100_000, 120_000))
    deals = {100_005: [deal(1, 100_005), deal(2, 100_005)]}
    packed = pack_evaluation_messages("default", 9, NOW, {2: logins}, deals, max_bytes=20_000)
    bodies = [orjson.loads(m.body) for m, _ in packed]
    assert len(packed) > 5 and all(len(m.body) <= 20_000 for m, _ in packed)
    assert [b["part"] for b in bodies] == list(range(len(bodies)))
    assert sorted(login for b in bodies for login in b["logins"]) == logins
    with_deals = [(m, b) for (m, flag), b in zip(packed, bodies, strict=True) if flag]
    assert len(with_deals) == 1 and 100_005 in with_deals[0][1]["logins"]
    assert {m.dedup_id for m, _ in packed} == {f"default:9:2:{p}" for p in range(len(packed))}
    assert {m.group_id for m, _ in packed} == {"2"}


def test_batches_hold_at_most_ten_entries_and_256_kib() -> None:
    small = [Outgoing("x" * 100, "0", str(i)) for i in range(25)]
    assert [len(b) for b in batches(small)] == [10, 10, 5]
    big = [Outgoing("x" * 100_000, "0", str(i)) for i in range(5)]
    assert [len(b) for b in batches(big)] == [2, 2, 1]
    assert all(sum(len(m.body) for m in b) <= MAX_BATCH_BYTES for b in batches(big))
    with pytest.raises(ValueError, match="256 KiB"):
        batches([Outgoing("x" * (MAX_BATCH_BYTES + 1), "0", "1")])


def test_a_login_with_more_deals_than_one_part_holds_is_spread_over_parts() -> None:
    backlog = {100_001: [deal(t, 100_001) for t in range(1, 1201)]}  # ~350 KB of deals
    packed = pack_evaluation_messages("default", 4, NOW, {0: [100_000, 100_001]}, backlog, max_bytes=60_000)
    bodies = [orjson.loads(m.body) for m, _ in packed]
    assert all(len(m.body) <= 60_000 for m, _ in packed) and len(packed) >= 7
    assert [t["ticket"] for b in bodies for t in b["deals"]] == list(range(1, 1201))
    assert all(b["logins"] == [100_001] for b in bodies if b["deals"])
    assert sum(100_000 in b["logins"] for b in bodies) == 1
    assert all(flag == bool(b["deals"]) for (_, flag), b in zip(packed, bodies, strict=True))


def test_result_deduplication_ids_fit_sqs() -> None:
    from propfirm.poller.commands import result_dedup_id

    assert result_dedup_id("c-1") == "result:c-1"
    assert len(result_dedup_id("x" * 128)) <= 128


def test_named_pollers_do_not_share_deduplication_ids() -> None:
    east = pack_evaluation_messages("default", 5, NOW, {1: [100_000]}, {}, poller="east")
    west = pack_evaluation_messages("default", 5, NOW, {1: [100_001]}, {}, poller="west")
    assert east[0][0].dedup_id == "default:east:5:1:0" and west[0][0].dedup_id == "default:west:5:1:0"
    assert pack_evaluation_messages("default", 5, NOW, {1: [100_000]}, {})[0][0].dedup_id == "default:5:1:0"


def test_each_part_says_how_far_the_deals_sent_reach() -> None:
    behind = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    backlog = {100_001: [deal(t, 100_001) for t in range(1, 400)]}
    packed = pack_evaluation_messages("default", 4, NOW, {0: [100_000, 100_001]}, backlog, deals_until=behind)
    messages = [EvaluationMessage.model_validate_json(m.body) for m, _ in packed]
    assert len(messages) > 1 and {m.deals_until for m in messages} == {behind}
    assert {m.deals_complete for m in messages} == {behind}  # the window lags the cycle: deals known to it
    ahead = datetime(2026, 11, 25, 18, 0, 1, tzinfo=UTC)
    caught_up = pack_evaluation_messages("default", 5, NOW, {0: [100_000]}, {}, deals_until=ahead)
    assert EvaluationMessage.model_validate_json(caught_up[0][0].body).deals_complete == NOW
    legacy = pack_evaluation_messages("default", 6, NOW, {0: [100_000]}, {})  # a message without the field
    assert EvaluationMessage.model_validate_json(legacy[0][0].body).deals_complete == NOW


def test_a_gap_review_parses_by_kind_and_refuses_float_money_and_unknown_outcomes() -> None:
    body = {"v": 1, "kind": "gap_review", "server": "default", "poller": "default",
            "blind_from": "2026-11-25T17:56:00+00:00", "blind_to": "2026-11-25T18:00:00+00:00", "cause": "slow cycle",
            "failed_cycles": 0, "read_before": None, "read_after": None, "checked": 3, "clear": 2,
            "accounts": [{"login": 7, "outcome": "possible", "floor": "95000", "lowest": "94999.99"}]}
    parsed = parse_evaluation_queue_message(orjson.dumps(body))
    assert parsed.kind == "gap_review" and parsed.accounts[0].lowest == Decimal("94999.99")  # type: ignore[union-attr]
    for bad in ({"floor": 95000.0}, {"outcome": "cleared"}):
        account = {**body["accounts"][0], **bad}  # type: ignore[index]
        with pytest.raises(ValidationError):
            parse_evaluation_queue_message(orjson.dumps({**body, "accounts": [account]}))
    with pytest.raises(ValidationError):  # a part beyond the review's parts is not a part
        parse_evaluation_queue_message(orjson.dumps({**body, "parts": 0}))


def test_a_gap_reviews_parts_fit_the_limit_and_hold_every_account_once() -> None:
    from propfirm.poller.gap_check import GapVerdict
    from propfirm.poller.gap_review import GapReview, review_messages

    interval = {"from": "2026-11-25T17:56:00.000+00:00", "to": "2026-11-25T18:00:00.000+00:00", "seconds": 240.0,
                "failed_cycles": 4, "cause": "ConnectionError"}
    verdicts = [GapVerdict(login, "unchecked", reason="MT5 gives no price history here: " + "x" * 200)
                for login in range(1000, 1400)]
    review = GapReview(NOW, NOW, interval, checked=400, clear=0, verdicts=verdicts)
    messages = review_messages(review, "default", "east", max_bytes=20_000)
    parsed = [parse_evaluation_queue_message(m.body) for m in messages]
    assert len(messages) >= 5 and all(len(m.body.encode()) <= 20_000 for m in messages)
    assert [p.part for p in parsed] == list(range(len(messages)))  # type: ignore[union-attr]
    assert {p.parts for p in parsed} == {len(messages)}  # type: ignore[union-attr]
    assert [a.login for p in parsed for a in p.accounts] == list(range(1000, 1400))  # type: ignore[union-attr]
    assert messages[0].dedup_id == "default:gap:east:1795629360000:0" and messages[0].group_id == "default:gaps"
    assert review_messages(review, "default", "east", max_bytes=20_000) == messages  # the same ids when sent again
