"""Notifications against real PostgreSQL, a Telegram Bot API and a Discord webhook on localhost, and SES in
moto: each told once, the trader by email, the operators in their chat; a storm held back and summed up."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import boto3
import orjson
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends
from propfirm.notify.channels import Discord, Email, Telegram
from propfirm.notify.service import Notifier, counts
from propfirm.store.migrator import apply_migrations
from propfirm.store.programs import load_shipped_programs
from propfirm.store.registration import register_account_challenge
from propfirm.store.uow import UnitOfWork
from propfirm.webhooks.messages import Message, from_bus_event

from tests.conftest import fresh_database
from tests.receivers import Receiver, webhook_receiver

T0 = datetime(2026, 1, 7, 14, tzinfo=UTC)


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with fresh_database("propfirm_notify") as database:
        apply_migrations(database)
        with UnitOfWork(database) as uow:
            load_shipped_programs(uow)
            uow.commit()
        yield database


@pytest.fixture
def telegram() -> Iterator[Receiver]:
    with webhook_receiver(status=200, reply=b'{"ok": true, "result": {}}') as r:
        yield r


@pytest.fixture
def discord() -> Iterator[Receiver]:
    with webhook_receiver() as r:
        yield r


@pytest.fixture
def ses() -> Iterator[object]:
    with mock_aws():
        client = boto3.client("ses", region_name="us-east-1")
        client.verify_email_identity(EmailAddress="desk@firm.example")
        yield client


def sent_emails() -> list:
    return ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages


def challenge(url: str, email: str) -> int:
    with UnitOfWork(url) as uow:
        cid = register_account_challenge(
            uow,
            "notify",
            700000 + uuid.uuid4().int % 99999,
            "two-step-100k",
            trader_email=email,
            time=T0,
            trader_sub=str(uuid.uuid4()),
        )
        uow.commit()
    return cid


def event(kind: str, challenge_id: int, n: int = 1, **data: object) -> Message:
    detail = {"challenge_id": challenge_id, "time": T0.isoformat(), **data}
    if kind.startswith("Payout"):
        detail["id"] = n
    else:
        detail["event_id"] = f"{challenge_id}:{n}:event"
    return from_bus_event({"id": str(uuid.uuid4()), "detail-type": kind, "detail": detail})


def notifier(
    url: str, telegram: Receiver, discord: Receiver, ses: object, per_minute: int = 20, clock=None
) -> Notifier:
    base = telegram.url.rsplit("/hooks", 1)[0]
    return Notifier(
        lambda: UnitOfWork(url),
        {
            "telegram": Telegram("123456:token-for-tests", base),
            "discord": Discord(),
            "email": Email(ses, "desk@firm.example"),
        },
        {"telegram": "-1001", "discord": discord.url},
        per_minute=per_minute,
        clock=clock or (lambda: T0),
    )


def test_the_trader_hears_by_email_and_the_operators_in_their_chats_once(url, telegram, discord, ses) -> None:
    email = f"trader.{uuid.uuid4().hex[:6]}@example.com"
    cid = challenge(url, email)
    n = notifier(url, telegram, discord, ses)
    failed = event("ChallengeFailed", cid, reason="daily_loss", equity="94999.00", limit="95000.00")
    requested = event("PayoutRequested", cid, n=77, amount="1500.00", currency="USD", trader_share="1200.00")
    first = n.handle([failed, requested])
    again = n.handle([failed, requested])  # the bus carried both twice
    assert (first.sent, first.failed, again.sent, again.repeats) == (4, 0, 0, 4)
    mails = [m for m in sent_emails() if email in m.destinations["ToAddresses"]]
    assert [m.subject for m in mails] == [
        f"propfirm: ChallengeFailed (challenge {cid})",
        f"propfirm: PayoutRequested (challenge {cid})",
    ]
    assert "the daily loss limit (equity 94999.00, limit 95000.00)" in mails[0].body
    [to_chat] = [orjson.loads(r.body) for r in telegram.received]
    assert to_chat["chat_id"] == "-1001" and "Payout 77 of challenge" in to_chat["text"]
    assert telegram.received[0].path == "/bot123456:token-for-tests/sendMessage"
    [to_channel] = [orjson.loads(r.body) for r in discord.received]
    assert "your share 1200.00" in to_channel["content"]


def test_a_storm_is_held_back_and_summed_up_in_the_next_message(url, telegram, discord, ses) -> None:
    cid = challenge(url, f"storm.{uuid.uuid4().hex[:6]}@example.com")
    now = [T0 + timedelta(days=1)]
    n = notifier(url, telegram, discord, ses, per_minute=2, clock=lambda: now[0])
    storm = [event("PayoutEscalated", cid, n=1000 + i, reason="the withdrawal was not confirmed") for i in range(5)]
    outcome = n.handle(storm)
    assert (outcome.sent, outcome.held) == (4, 6)  # two a minute on each of the two chats
    now[0] += timedelta(minutes=2)
    n.handle([event("PayoutEscalated", cid, n=2000, reason="again")])
    last = orjson.loads(telegram.received[-1].body)["text"]
    assert "(3 more held back by the rate limit)" in last


def test_a_failed_send_is_recorded_and_tried_again(url, telegram, discord, ses) -> None:
    cid = challenge(url, f"retry.{uuid.uuid4().hex[:6]}@example.com")
    discord.answers = [500]
    n = notifier(url, telegram, discord, ses, clock=lambda: T0 + timedelta(days=2))
    message = event("PayoutEscalated", cid, n=3000, reason="manual review")
    first = n.handle([message])
    assert (first.sent, first.failed) == (1, 1) and "HTTP 500" in first.errors[0]
    second = n.handle([message])
    assert (second.sent, second.failed, second.repeats) == (1, 0, 1)  # Discord again; Telegram had it
    with UnitOfWork(url) as uow:
        assert counts(uow, T0 + timedelta(days=2))["failed"] == 0


def test_the_channels_come_from_secrets_manager_in_aws() -> None:
    from propfirm.notify.function import channel_secret

    with mock_aws():
        client = boto3.client("secretsmanager", region_name="us-east-1")
        arn = client.create_secret(
            Name="channels", SecretString='{"telegram_bot_token": "123456:abc", "telegram_chat_id": "-1", "other": "x"}'
        )["ARN"]
        assert channel_secret(arn, client) == {"telegram_bot_token": "123456:abc", "telegram_chat_id": "-1"}
        empty = client.create_secret(Name="empty", SecretString="{}")["ARN"]
        assert channel_secret(empty, client) == {}
    assert channel_secret(None) == {}


def _alarm_record(name: str, state: str, old: str, changed: str) -> dict:
    alarm = {
        "AlarmName": name, "AlarmDescription": "poller cycles failed: the poller was blind to MT5 for a while",
        "NewStateValue": state, "OldStateValue": old, "NewStateReason": "Threshold Crossed: 1 datapoint [3.0]",
        "StateChangeTime": changed,
    }
    return {
        "EventSource": "aws:sns",
        "Sns": {"MessageId": str(uuid.uuid4()), "Timestamp": changed, "Message": orjson.dumps(alarm).decode()},
    }


def test_alarms_reach_the_operators_chats_once_per_change(url, telegram, discord, ses) -> None:
    from propfirm.notify.function import handle_events, set_notifier

    set_notifier(notifier(url, telegram, discord, ses))
    try:
        fired = _alarm_record("propfirm-PollerBlind", "ALARM", "OK", "2026-01-07T14:05:00.000+0000")
        assert handle_events({"Records": [fired]})["sent"] == 2  # Telegram and Discord
        assert handle_events({"Records": [fired]})["repeats"] == 2  # SNS delivered it again: told once
        cleared = _alarm_record("propfirm-PollerBlind", "OK", "ALARM", "2026-01-07T14:09:00.000+0000")
        bogus = {"EventSource": "aws:sns", "Sns": {"MessageId": "x", "Message": "not json"}}
        assert handle_events({"Records": [cleared, bogus]})["sent"] == 2  # the malformed one is dropped
    finally:
        set_notifier(None)
    texts = [orjson.loads(r.body)["text"] for r in telegram.received]
    assert "Alarm propfirm-PollerBlind: OK → ALARM. poller cycles failed" in texts[0]
    assert "OK" in texts[1] and len(texts) == 2
    assert [m for m in sent_emails() if "PollerBlind" in m.subject] == []  # no trader hears of it
