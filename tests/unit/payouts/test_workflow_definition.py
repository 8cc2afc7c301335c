"""The ASL file's contract with the worker and the infrastructure, and the adapters' configuration."""

from __future__ import annotations

import json

import pytest
from propfirm.payouts import runtime
from propfirm.payouts.service import payout_of_command, withdrawal_command_id
from propfirm.payouts.tasks import TASKS, TaskMessage
from propfirm.payouts.workflow import QUEUE_PLACEHOLDER, asl_text, definition

TOKEN_TASK = "arn:aws:states:::sqs:sendMessage.waitForTaskToken"


def test_every_task_is_an_sqs_message_with_its_token_to_the_tasks_queue() -> None:
    asl = json.loads(asl_text())
    tasks = {name: s for name, s in asl["States"].items() if s["Type"] == "Task"}
    assert set(tasks) == {
        "Compute",
        "AwaitApproval",
        "Withdraw",
        "AwaitWithdrawal",
        "Record",
        "RecordRejection",
        "RecordFailure",
    }
    for name, state in tasks.items():
        assert state["Resource"] == TOKEN_TASK, name
        body = state["Parameters"]["MessageBody"]
        assert state["Parameters"]["QueueUrl"] == QUEUE_PLACEHOLDER
        assert body["token.$"] == "$$.Task.Token" and body["payout_id.$"] == "$.payout_id"
        assert body["task"] in TASKS, name  # the worker knows every task the machine sends
    for name in ("Compute", "AwaitApproval", "Withdraw", "AwaitWithdrawal"):
        assert tasks[name]["Catch"][0]["Next"] == "RecordFailure", name
    assert "Catch" not in tasks["Record"]  # the money has left: never recorded as failed after this
    choice = asl["States"]["Approved?"]
    assert choice["Choices"][0] == {
        "Variable": "$.approval.approved",
        "BooleanEquals": True,
        "Next": "Withdraw",
    }
    assert choice["Default"] == "RecordRejection"
    assert "${" not in definition("https://sqs.us-east-1.amazonaws.com/1/payout-tasks")


def test_task_messages_and_command_ids() -> None:
    message = TaskMessage.model_validate_json('{"token": "t", "task": "compute", "payout_id": 7, "extra": 1}')
    assert (message.task, message.payout_id) == ("compute", 7)
    with pytest.raises(ValueError):
        TaskMessage.model_validate_json('{"token": "t", "task": "launch", "payout_id": 7}')
    assert withdrawal_command_id(17) == "payout:17:withdraw"
    assert payout_of_command("payout:17:withdraw") == 17
    assert payout_of_command("12:3:reset") is None and payout_of_command("payout:x:withdraw") is None


def test_runtime_defaults_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    arn = "arn:aws:states:us-east-1:123456789012:stateMachine:payouts"
    monkeypatch.setenv("PAYOUTS_STATE_MACHINE_ARN", arn)
    monkeypatch.delenv("PAYOUTS_EVENT_BUS_NAME", raising=False)
    runtime.configure()
    try:
        assert runtime.default_workflow().state_machine_arn == arn
        assert runtime.default_events() is None  # no bus: no events
        monkeypatch.setenv("PAYOUTS_EVENT_BUS_NAME", "propfirm")
        runtime.configure()
        assert runtime.default_events().bus_name == "propfirm"
        monkeypatch.delenv("PAYOUTS_STATE_MACHINE_ARN")
        runtime.configure()
        assert not runtime.default_workflow().can_start  # requests then wait for start_pending
    finally:
        runtime.configure()
