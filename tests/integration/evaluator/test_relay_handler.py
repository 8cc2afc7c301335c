"""The scheduled relay sends commands that fall due while the evaluation queue is quiet."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from propfirm.store.repositories import OutboxCommand
from propfirm.store.uow import UnitOfWork

from functions.evaluator.handler import relay_handler
from functions.evaluator.local import LocalContext


def _schedule(rig, command_id: str, not_before: datetime) -> None:
    command = {"v": 1, "type": "set_trading", "command_id": command_id, "server": rig.server,
               "login": 7007, "enabled": True}
    with UnitOfWork(rig.url) as uow:
        uow.outbox.add([OutboxCommand(command_id, None, rig.server, 7007, "set_trading", command,
                                      not_before=not_before)])
        uow.commit()


def test_relay_handler_sends_what_is_due_and_keeps_what_is_not(rig) -> None:
    now = datetime.now(UTC)
    _schedule(rig, f"{rig.server}:due", now - timedelta(seconds=1))
    _schedule(rig, f"{rig.server}:later", now + timedelta(hours=6))

    result = relay_handler({"source": "aws.events", "detail-type": "Scheduled Event"},
                           LocalContext(aws_request_id="relay-1"))

    sent_ids = [c["command_id"] for c in rig.commands()]
    assert f"{rig.server}:due" in sent_ids and f"{rig.server}:later" not in sent_ids
    assert result["sent"] >= 1
    assert f"{rig.server}:due" not in [c["command_id"] for c in rig.commands()]  # sent once
