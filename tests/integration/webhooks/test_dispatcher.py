"""The dispatcher against real PostgreSQL and a receiver on localhost: recorded once per endpoint, signed,
retried on the schedule, dead-lettered after the last attempt, replayed with the same webhook-id."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from propfirm.store.migrator import apply_migrations
from propfirm.store.uow import UnitOfWork
from propfirm.store.webhooks import WebhookStore
from propfirm.webhooks import signing
from propfirm.webhooks.delivery import Dispatcher, HttpTransport
from propfirm.webhooks.messages import Message, from_bus_event
from standardwebhooks.webhooks import Webhook

from tests.conftest import fresh_database
from tests.receivers import Received, Receiver, webhook_receiver

SCHEDULE = (10.0, 60.0)  # three attempts in all: now, after 10 s, after 60 s


class Clock:
    """The dispatcher's clock, moved by the test (the wall clock's instant at the start: receivers check it)."""

    def __init__(self) -> None:
        self.now = datetime.fromtimestamp(int(time.time()), UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with fresh_database("propfirm_webhooks") as database:
        apply_migrations(database)
        yield database


@pytest.fixture(autouse=True)
def no_endpoints(url: str) -> None:
    with UnitOfWork(url) as uow:
        uow.execute("DELETE FROM webhook_endpoints")
        uow.commit()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as r:
        yield r


def event(n: int, kind: str = "ChallengeFailed") -> Message:
    return from_bus_event(
        {
            "id": f"eb-{n}",
            "detail-type": kind,
            "time": "2026-12-07T09:30:01Z",
            "detail": {"event_id": f"{n}:1:event", "challenge_id": n, "time": "2026-12-07T09:30:00+00:00"},
        }
    )


def endpoint(url: str, target: str, clock: Clock, types: tuple[str, ...] = ()) -> tuple[int, str]:
    secret = signing.new_secret()
    with UnitOfWork(url) as uow:
        created = WebhookStore(uow).add_endpoint(target, secret, clock(), types)
        uow.commit()
    return created.id, secret


def signed_by(secret: str, got: Received) -> bool:
    """The reference library's signature for what arrived is among the header's (no check of the time:
    these tests move the dispatcher's clock beyond the library's five minutes)."""
    ts = datetime.fromtimestamp(int(got.headers["webhook-timestamp"]), UTC)
    expected = Webhook(secret).sign(got.headers["webhook-id"], ts, got.body.decode())
    return expected in got.headers["webhook-signature"].split(" ")


def dispatcher(url: str, clock: Clock) -> Dispatcher:
    return Dispatcher(lambda: UnitOfWork(url), HttpTransport(timeout=2.0), clock=clock, schedule=SCHEDULE)


def test_each_message_reaches_each_subscribed_endpoint_once_signed(url: str, receiver: Receiver) -> None:
    clock = Clock()
    everything, secret = endpoint(url, receiver.url, clock)
    endpoint(url, receiver.url + "/payouts-only", clock, ("PayoutPaid",))
    d = dispatcher(url, clock)

    first = d.accept([event(1), event(2)])
    again = d.accept([event(1)])  # the bus carried it twice
    sent = d.deliver_due()

    assert (first.recorded, again.recorded, again.repeats, sent.delivered) == (2, 0, 1, 2)
    assert [r.path for r in receiver.received] == ["/hooks", "/hooks"]
    for got in receiver.received:
        payload = Webhook(secret).verify(got.body, got.headers)  # the reference library: id, time, signature
        assert payload["type"] == "ChallengeFailed" and payload["data"]["challenge_id"] in (1, 2)
    assert {r.headers["webhook-id"] for r in receiver.received} == {event(1).message_id, event(2).message_id}
    with UnitOfWork(url) as uow:
        assert WebhookStore(uow).counts([everything]) == {"pending": 0, "delivered": 2, "failed": 0}
    assert d.deliver_due().delivered == 0  # nothing is sent twice


def test_a_failing_receiver_is_retried_on_the_schedule_then_dead_lettered_then_replayed(
    url: str, receiver: Receiver
) -> None:
    clock = Clock()
    endpoint_id, secret = endpoint(url, receiver.url, clock)
    d = dispatcher(url, clock)
    receiver.answers = [503, 500, 502, 503]  # the first four answers; then 204
    d.accept([event(7)])

    assert d.deliver_due().retrying == 1  # attempt 1: 503
    clock.advance(9)
    assert d.deliver_due().retrying == 0  # not due yet
    clock.advance(1)
    assert d.deliver_due().retrying == 1  # attempt 2 at +10 s: 500
    clock.advance(60)
    assert d.deliver_due().dead == 1  # attempt 3 at +70 s: 502, the last
    clock.advance(3600)
    assert d.deliver_due().dead + d.deliver_due().delivered == 0  # on the dead-letter list: left alone

    with UnitOfWork(url) as uow:
        store = WebhookStore(uow)
        [dead] = store.deliveries(endpoint_id, status="failed")
        assert (dead.attempts, dead.last_status, dead.last_error) == (3, 502, "HTTP 502")
        store.replay(dead.id, clock())
        uow.commit()
    assert d.deliver_due().retrying == 1  # 503 once more
    clock.advance(10)
    assert d.deliver_due().delivered == 1

    ids = {r.headers["webhook-id"] for r in receiver.received}
    assert ids == {event(7).message_id} and len(receiver.received) == 5
    assert len({r.headers["webhook-timestamp"] for r in receiver.received}) == 5  # signed afresh each time
    assert signed_by(secret, receiver.received[-1])
    with UnitOfWork(url) as uow:
        replayed = WebhookStore(uow).delivery(dead.id)
        assert (replayed.status, replayed.replays, replayed.attempts) == ("delivered", 1, 2)


def test_an_unreachable_receiver_is_a_failed_attempt_and_nothing_is_lost(url: str) -> None:
    clock = Clock()
    endpoint(url, "http://127.0.0.1:9/nothing-listens", clock)
    d = dispatcher(url, clock)
    d.accept([event(3)])
    tally = d.deliver_due()
    assert tally.retrying == 1 and "ConnectError" in tally.errors[0]


def test_a_rotated_secret_signs_with_both_until_the_overlap_ends(url: str, receiver: Receiver) -> None:
    clock = Clock()
    endpoint_id, old = endpoint(url, receiver.url, clock)
    new = signing.new_secret()
    with UnitOfWork(url) as uow:
        WebhookStore(uow).rotate_secret(endpoint_id, new, clock(), timedelta(hours=1))
        uow.commit()
    d = dispatcher(url, clock)
    d.accept([event(4)])
    d.deliver_due()
    first = receiver.received[-1]
    Webhook(old).verify(first.body, first.headers)  # sent now: the library's full check
    Webhook(new).verify(first.body, first.headers)

    clock.advance(3601)
    d.accept([event(5)])
    d.deliver_due()
    second = receiver.received[-1]
    assert len(second.headers["webhook-signature"].split(" ")) == 1
    assert signed_by(new, second) and not signed_by(old, second)


def test_a_disabled_endpoint_gets_nothing_new_and_its_waiting_deliveries_wait(url: str, receiver: Receiver) -> None:
    clock = Clock()
    endpoint_id, _ = endpoint(url, receiver.url, clock)
    d = dispatcher(url, clock)
    d.accept([event(8)])
    with UnitOfWork(url) as uow:
        WebhookStore(uow).update_endpoint(endpoint_id, clock(), enabled=False)
        uow.commit()
    assert d.accept([event(9)]).recorded == 0
    assert d.deliver_due().delivered == 0 and receiver.received == []
    with UnitOfWork(url) as uow:
        WebhookStore(uow).update_endpoint(endpoint_id, clock(), enabled=True)
        uow.commit()
    assert d.deliver_due().delivered == 1
    assert orjson.loads(receiver.received[0].body)["data"]["challenge_id"] == 8


def test_no_post_starts_that_could_outlast_the_time_left(url: str, receiver: Receiver) -> None:
    clock = Clock()
    endpoint(url, receiver.url, clock)
    d = dispatcher(url, clock)
    d.accept([event(11)])
    assert d.deliver_due(seconds=1.0).delivered == 0  # a 2 s time-out does not fit in 1 s
    assert receiver.received == []
    assert d.deliver_due(seconds=30.0).delivered == 1


def test_an_endpoint_for_one_server_gets_that_servers_events_only(url: str, receiver: Receiver) -> None:
    clock = Clock()
    with UnitOfWork(url) as uow:
        WebhookStore(uow).add_endpoint(receiver.url, signing.new_secret(), clock(), server="live-1")
        uow.commit()
    d = dispatcher(url, clock)

    def on(server: str, n: int) -> Message:
        detail = {"event_id": f"{n}:1:event", "challenge_id": n, "server": server, "time": "2026-12-07T09:30:00+00:00"}
        return from_bus_event({"id": str(n), "detail-type": "ChallengeFailed", "detail": detail})

    assert d.accept([on("live-1", 21), on("live-2", 22)]).recorded == 1
    d.deliver_due()
    assert [orjson.loads(r.body)["data"]["server"] for r in receiver.received] == ["live-1"]


def test_secrets_rest_sealed_and_the_ones_stored_before_are_sealed_by_the_migration(
    url: str, receiver: Receiver
) -> None:
    """A row holds no secret in the clear; a row written before sealing began signs as it did, and the
    migration step seals it (and, after a rotation, its previous secret too) without changing a signature."""
    from propfirm.store.vault import default_vault, is_sealed

    clock = Clock()
    endpoint_id, secret = endpoint(url, receiver.url, clock)
    legacy = signing.new_secret()
    with UnitOfWork(url) as uow:
        stored = uow.fetchone("SELECT secret FROM webhook_endpoints WHERE id = %s", (endpoint_id,))[0]
        assert is_sealed(stored) and secret not in stored and default_vault().open(stored) == secret
        # as a row looked before its secret was sealed at rest
        uow.execute("UPDATE webhook_endpoints SET secret = %s WHERE id = %s", (legacy, endpoint_id))
        uow.commit()
    d = dispatcher(url, clock)
    d.accept([event(8)])
    d.deliver_due()
    assert signed_by(legacy, receiver.received[-1])
    with UnitOfWork(url) as uow:
        store = WebhookStore(uow)
        store.rotate_secret(endpoint_id, signing.new_secret(), clock(), timedelta(hours=1))
        uow.execute("UPDATE webhook_endpoints SET previous_secret = %s WHERE id = %s", (legacy, endpoint_id))
        assert store.seal_plain_secrets() == 1 and store.seal_plain_secrets() == 0
        row = uow.fetchone("SELECT secret, previous_secret FROM webhook_endpoints WHERE id = %s", (endpoint_id,))
        uow.commit()
    assert all(is_sealed(value) for value in row) and default_vault().open(row[1]) == legacy
    d.accept([event(9)])
    d.deliver_due()
    assert signed_by(legacy, receiver.received[-1])  # the previous secret, within the rotation's overlap


def test_a_secret_sealed_with_another_key_is_a_failed_attempt_with_its_reason(url: str, receiver: Receiver) -> None:
    """Nothing is sent unsigned and nothing is lost: the delivery waits for its retry, the others go out."""
    from propfirm.store.vault import LocalVault

    clock = Clock()
    foreign_id, _ = endpoint(url, receiver.url, clock)
    _, good = endpoint(url, receiver.url, clock)
    with UnitOfWork(url) as uow:
        uow.execute("UPDATE webhook_endpoints SET secret = %s WHERE id = %s",
                    (LocalVault(b"x" * 32).seal(signing.new_secret()), foreign_id))
        uow.commit()
    d = dispatcher(url, clock)
    d.accept([event(10)])
    tally = d.deliver_due()
    assert (tally.delivered, tally.retrying) == (1, 1) and "does not open here" in tally.errors[0]
    assert len(receiver.received) == 1 and signed_by(good, receiver.received[-1])
    with UnitOfWork(url) as uow:
        status, attempts = uow.fetchone(
            "SELECT status, attempts FROM webhook_deliveries WHERE endpoint_id = %s", (foreign_id,))
    assert (status, attempts) == ("pending", 1)
