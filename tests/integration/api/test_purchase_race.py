"""The webhook's idempotency rests on the database, not on the local server's one-at-a-time handler:
20 threads recording the same order at once (as 20 Lambda containers would) make one challenge, one
command and one audit row; every one of them answers with that challenge."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

from propfirm.operations.purchases import PurchaseOrder, record_purchase
from propfirm.store.uow import UnitOfWork

from tests.integration.api.conftest import NOW


def test_twenty_concurrent_duplicates_make_one_challenge(migrated_url: str, api_pool) -> None:
    order = PurchaseOrder(
        order_id=f"race-{uuid.uuid4().hex}",
        email=f"r{uuid.uuid4().hex[:6]}@example.com",
        name="Rae Sing",
        program="two-step-100k",
    )
    start = threading.Barrier(20)

    def deliver(_: int):
        start.wait()
        with UnitOfWork(migrated_url) as uow:  # a connection each: 20 transactions at once
            return record_purchase(uow, order, "race", NOW)

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(deliver, range(20)))
    assert len({r.challenge_id for r in results}) == 1
    assert sum(r.created for r in results) == 1
    cid = results[0].challenge_id
    with UnitOfWork(migrated_url) as uow:
        assert uow.fetchone("SELECT count(*) FROM challenges WHERE order_id = %s", (order.order_id,))[0] == 1
        assert uow.fetchone("SELECT count(*) FROM outbox WHERE challenge_id = %s", (cid,))[0] == 1
        assert uow.fetchone("SELECT count(*) FROM audit_log WHERE challenge_id = %s", (cid,))[0] == 1
        assert (
            uow.fetchone("SELECT count(*) FROM traders WHERE lower(email) = lower(%s)", (order.email,))[0]
            == 1
        )
