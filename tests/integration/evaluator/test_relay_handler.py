"""The scheduled relay sends commands that fall due while the evaluation queue is quiet."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from propfirm.local.lambda_driver import LocalContext
from propfirm.store.outbox import OutboxCommand
from propfirm.store.uow import UnitOfWork

from functions.evaluator.handler import relay_handler


def _schedule(rig, command_id: str, not_before: datetime) -> None:
    command = {"v": 1, "type": "set_trading", "command_id": command_id, "server": rig.server,
               "login": 7007, "enabled": True}
    with UnitOfWork(rig.url) as uow:
        uow.outbox.add([OutboxCommand(command_id, None, rig.server, 7007, "set_trading", command,
                                      not_before=not_before)])
        uow.commit()


def test_relay_handler_sends_what_is_due_and_keeps_what_is_not(rig) -> None:
    now = rig.now
    _schedule(rig, f"{rig.server}:due", now - timedelta(seconds=1))
    _schedule(rig, f"{rig.server}:later", now + timedelta(hours=6))

    result = relay_handler({"source": "aws.events", "detail-type": "Scheduled Event"},
                           LocalContext(aws_request_id="relay-1"))

    sent_ids = [c["command_id"] for c in rig.commands()]
    assert f"{rig.server}:due" in sent_ids and f"{rig.server}:later" not in sent_ids
    assert result["sent"] >= 1
    assert f"{rig.server}:due" not in [c["command_id"] for c in rig.commands()]  # sent once


def test_relay_handler_keeps_the_equity_partitions_once_an_hour(rig, monkeypatch) -> None:
    from propfirm.evaluation import function

    rig.runtime.maintained_at = None
    rig.at(datetime(2026, 1, 31, 23, 59, tzinfo=UTC))  # the last minute of a month: the next two are made too
    calls, real = [], function.maintain_equity_points

    def counted(uow, now, days):
        calls.append(days)
        return real(uow, now, days)

    monkeypatch.setattr(function, "maintain_equity_points", counted)
    first = relay_handler({}, LocalContext(aws_request_id="relay-2"))
    second = relay_handler({}, LocalContext(aws_request_id="relay-3"))
    assert calls == [400] and {"sent", "events", "partitions_dropped"} <= set(first) == set(second)
    month, ahead = date(2026, 1, 1), date(2026, 3, 1)  # this month and two months on
    with UnitOfWork(rig.url) as uow:
        found = {r[0] for r in uow.fetchall(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " WHERE i.inhparent = 'equity_points'::regclass")}
    assert {f"equity_points_{month:%Y%m}", f"equity_points_{ahead:%Y%m}"} <= found


def test_the_hourly_maintenance_forgets_sign_in_addresses_past_their_retention(rig) -> None:
    from propfirm.store.sightings import SightingStore

    email = f"seen-{rig.server}@example.com"
    rig.register(7071, rig.now)
    with UnitOfWork(rig.url) as uow:
        uow.execute("UPDATE traders SET email = %s WHERE id = (SELECT trader_id FROM challenges"
                    " WHERE server = %s AND login = 7071)", (email, rig.server))
        sub = uow.fetchone("SELECT sub FROM traders WHERE email = %s", (email,))[0]
        store = SightingStore(uow)
        assert store.record(sub, "198.51.100.7", "", "", rig.now - timedelta(days=200))  # past 180 days
        assert store.record(sub, "198.51.100.8", "", "", rig.now - timedelta(days=10))
        uow.commit()
    rig.runtime.maintained_at = None
    rig.runtime.sightings_retention_days = 180
    result = relay_handler({}, LocalContext(aws_request_id="relay-4"))
    assert result["sightings_forgotten"] >= 1
    with UnitOfWork(rig.url) as uow:
        left = uow.fetchall("SELECT host(s.address) FROM trader_sightings s JOIN traders t ON t.id = s.trader_id"
                            " WHERE t.email = %s", (email,))
    assert left == [("198.51.100.8",)]
