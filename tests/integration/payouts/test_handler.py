"""The worker Lambda as deployed: adapters built from the environment, partial batch failures."""

from __future__ import annotations

from decimal import Decimal

import pytest
from propfirm.payouts import function, service
from propfirm.payouts.local import LocalContext, sqs_event
from propfirm.payouts.settings import PayoutWorkerSettings
from propfirm.settings import load

from functions.payouts import handler
from tests.integration.payouts.conftest import Rig


def test_worker_built_from_the_environment_runs_the_workflow(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", rig.url)
    monkeypatch.setenv("REDIS_NAMESPACE", rig.namespace)
    monkeypatch.setenv("COMMAND_QUEUE_URL", rig.aws.command_queue_url)
    monkeypatch.setenv("PAYOUTS_EVENT_BUS_NAME", "propfirm")
    monkeypatch.setenv("PAYOUTS_STATE_MACHINE_ARN", rig.aws.flow.state_machine_arn)
    built = function.build_context(load(PayoutWorkerSettings))
    assert built.relay is not None and built.events is not None and built.redis is not None
    rig.context = built
    function.set_runtime(built)

    login = 7101
    cid = rig.challenge(login)
    rig.trade(cid, login, 9201, 2, "507.00")  # 499.00 after commissions and swap
    rig.floor(login)
    unreachable = service.PayoutPorts()  # an API that could not start the execution
    payout = service.request_payout(rig.uow(), cid, "t@example.com", rig.now, unreachable)
    assert payout.execution_arn is None
    assert handler.sweep_handler({}, LocalContext(aws_request_id="sweep")) == {"acted": 1}
    assert rig.get(payout.id).execution_arn is not None
    rig.approve(payout.id)
    rig.run_until(lambda: rig.take_commands() != [])
    assert rig.floor_level(login) == Decimal("94501.00")  # 95,000 lowered by the 499.00 withdrawn
    assert rig.get(payout.id).status == service.WITHDRAWING


def test_a_malformed_task_message_fails_alone(rig: Rig) -> None:
    function.set_runtime(rig.context)
    event = sqs_event(
        [
            {"MessageId": "bad", "ReceiptHandle": "r1", "Body": '{"task": "compute"}'},
            {"MessageId": "worse", "ReceiptHandle": "r2", "Body": "not json"},
        ],
        "arn:aws:sqs:us-east-1:123456789012:propfirm-payout-tasks",
        "us-east-1",
    )
    response = handler.lambda_handler(event, LocalContext(aws_request_id="test"))
    assert sorted(f["itemIdentifier"] for f in response["batchItemFailures"]) == ["bad", "worse"]
