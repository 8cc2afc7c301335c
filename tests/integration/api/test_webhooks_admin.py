"""The outbound webhook routes: admin subscribes, changes, rotates, deletes and replays; support reads;
the secret is shown once; every change is in the audit log."""

from __future__ import annotations

from datetime import UTC, datetime

from propfirm.store.uow import UnitOfWork
from propfirm.store.webhooks import WebhookStore
from propfirm.webhooks.messages import from_bus_event

from tests.integration.api.conftest import Api, claims
from tests.integration.api.test_handler import assert_problem

ADMIN = claims("admin", "ops@example.com")
SUPPORT = claims("support", "desk@example.com")
TRADER = claims("trader", "someone@example.com")


def test_an_endpoint_is_created_with_its_secret_once_and_listed_without_it(api: Api) -> None:
    body = {
        "url": "https://crm.example.com/hooks",
        "event_types": ["ChallengeFailed", "PayoutPaid"],
        "description": "CRM",
    }
    status, _, created = api.call("POST", "/admin/webhooks", claims=ADMIN, body=body)
    assert status == 201, created
    assert created["secret"].startswith("whsec_") and created["enabled"] is True
    assert created["event_types"] == ["ChallengeFailed", "PayoutPaid"]

    status, _, listed = api.call("GET", "/admin/webhooks", claims=SUPPORT)
    assert status == 200
    [mine] = [e for e in listed["items"] if e["id"] == created["id"]]
    assert "secret" not in mine or mine["secret"] is None
    assert created["secret"] not in str(listed)
    kinds = [r[0] for r in api.rows("SELECT kind FROM audit_log WHERE payload->>'id' = %s", (str(created["id"]),))]
    assert "webhook.endpoint_created" in kinds
    assert created["secret"] not in str(api.rows("SELECT payload::text FROM audit_log"))


def test_bad_endpoints_are_refused_with_reasons(api: Api) -> None:
    for body, says in [
        ({"url": "http://crm.example.com/hooks"}, "https"),
        ({"url": "ftp://crm.example.com/hooks"}, "https"),
        ({"url": "https://crm.example.com", "event_types": ["Nope"]}, "event_types"),
        ({"url": "https://crm.example.com", "secret": "whsec_mine"}, "secret"),
    ]:
        status, _, problem = api.call("POST", "/admin/webhooks", claims=ADMIN, body=body)
        assert status == 422, (body, problem)
        assert says in str(problem), problem
    assert api.call("POST", "/admin/webhooks", claims=ADMIN, body={"url": "http://127.0.0.1:9000/hooks"})[0] == 201


def test_support_and_traders_may_not_change_anything(api: Api) -> None:
    body = {"url": "https://crm.example.com/hooks"}
    assert_problem(*api.call("POST", "/admin/webhooks", claims=SUPPORT, body=body), 403)
    assert_problem(*api.call("GET", "/admin/webhooks", claims=TRADER), 403)


def test_change_rotate_replay_and_delete(api: Api) -> None:
    _, _, created = api.call("POST", "/admin/webhooks", claims=ADMIN, body={"url": "https://crm.example.com/a"})
    eid = created["id"]

    status, _, changed = api.call("PATCH", f"/admin/webhooks/{eid}", claims=ADMIN, body={"enabled": False})
    assert status == 200 and changed["enabled"] is False
    assert_problem(*api.call("PATCH", f"/admin/webhooks/{eid}", claims=ADMIN, body={}), 422)

    status, _, rotated = api.call(
        "POST", f"/admin/webhooks/{eid}/rotate-secret", claims=ADMIN, body={"overlap_hours": 2}
    )
    assert status == 200 and rotated["secret"] != created["secret"] and rotated["rotating_until"]

    # a delivery on the dead-letter list, replayed with its webhook-id
    message = from_bus_event(
        {
            "id": "x",
            "detail-type": "ChallengeFailed",
            "time": "2026-12-07T09:00:00Z",
            "detail": {"event_id": f"{eid}:1:event"},
        }
    )
    now = datetime.now(UTC)
    with UnitOfWork(api.url) as uow:
        store = WebhookStore(uow)
        store.record(eid, message, now)
        [delivery] = store.deliveries(eid)
        store.attempt_failed(delivery.id, 500, "HTTP 500", None)
        uow.commit()
    status, _, dead = api.call("GET", f"/admin/webhooks/{eid}/deliveries?status=failed", claims=SUPPORT)
    assert status == 200 and [d["id"] for d in dead["items"]] == [delivery.id]
    assert dead["counts"] == {"pending": 0, "delivered": 0, "failed": 1}
    assert_problem(*api.call("POST", f"/admin/webhook-deliveries/{delivery.id}/replay", claims=SUPPORT), 403)
    status, _, replayed = api.call("POST", f"/admin/webhook-deliveries/{delivery.id}/replay", claims=ADMIN)
    assert status == 200 and replayed["status"] == "pending" and replayed["webhook_id"] == message.message_id
    assert replayed["replays"] == 1
    assert_problem(*api.call("POST", f"/admin/webhook-deliveries/{delivery.id}/replay", claims=ADMIN), 409)

    status, _, removed = api.call("DELETE", f"/admin/webhooks/{eid}", claims=ADMIN)
    assert status == 200 and (removed["id"], removed["enabled"]) == (eid, False) and "secret" not in removed
    assert_problem(*api.call("GET", f"/admin/webhooks/{eid}/deliveries", claims=ADMIN), 404)
    assert_problem(*api.call("POST", f"/admin/webhook-deliveries/{delivery.id}/replay", claims=ADMIN), 404)
    kinds = {
        r[0]
        for r in api.rows("SELECT kind FROM audit_log WHERE payload->>'id' IN (%s, %s)", (str(eid), str(delivery.id)))
    }
    assert {
        "webhook.endpoint_changed",
        "webhook.secret_rotated",
        "webhook.delivery_replayed",
        "webhook.endpoint_deleted",
    } <= kinds
