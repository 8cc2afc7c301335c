"""The ASL file's contract with the worker and the infrastructure, and the adapters' configuration."""

from __future__ import annotations

import json

import pytest
from propfirm.payouts.ports import build_ports
from propfirm.payouts.service import payout_of_command, withdrawal_command_id
from propfirm.payouts.settings import PayoutSettings
from propfirm.payouts.tasks import TASKS, TaskMessage
from propfirm.payouts.workflow import QUEUE_PLACEHOLDER, asl_text, definition
from propfirm.settings import load

TOKEN_TASK = "arn:aws:states:::sqs:sendMessage.waitForTaskToken"


def test_every_task_is_an_sqs_message_with_its_token_to_the_tasks_queue() -> None:
    asl = json.loads(asl_text())
    tasks = {name: s for name, s in asl["States"].items() if s["Type"] == "Task"}
    assert set(tasks) == {
        "Compute",
        "AwaitApproval",
        "Escalate",
        "AwaitEscalatedApproval",
        "Withdraw",
        "AwaitWithdrawal",
        "Record",
        "RecordRejection",
        "RecordFailure",
        "RecordReview",
    }
    for name, state in tasks.items():
        assert state["Resource"] == TOKEN_TASK, name
        body = state["Parameters"]["MessageBody"]
        assert state["Parameters"]["QueueUrl"] == QUEUE_PLACEHOLDER
        assert body["token.$"] == "$$.Task.Token" and body["payout_id.$"] == "$.payout_id"
        assert body["task"] in TASKS, name  # the worker knows every task the machine sends
    choice = asl["States"]["Approved?"]
    assert choice["Choices"][0] == {
        "Variable": "$.approval.approved",
        "BooleanEquals": True,
        "Next": "Withdraw",
    }
    assert choice["Default"] == "RecordRejection"
    assert "${" not in definition("https://sqs.us-east-1.amazonaws.com/1/payout-tasks")


def _catches(state: dict) -> dict[str, str]:
    return {error: c["Next"] for c in state.get("Catch", []) for error in c["ErrorEquals"]}


def test_errors_end_in_failure_only_when_no_money_moved_and_in_manual_review_otherwise() -> None:
    states = json.loads(asl_text())["States"]
    for name in ("Compute", "Withdraw", "AwaitWithdrawal", "AwaitApproval", "AwaitEscalatedApproval"):
        catches = _catches(states[name])
        assert catches["WithdrawalFailed"] == "RecordFailure", name  # MT5 refused: nothing left the account
        assert catches["AccountNotActive"] == "RecordFailure", name
        assert catches["States.ALL"] == "RecordReview", name  # anything else: a person settles it
    # the money has left the account once Record runs: retried, then manual review, never failed
    assert _catches(states["Record"]) == {"States.ALL": "RecordReview"}
    assert states["Record"]["Retry"][0]["ErrorEquals"] == ["States.ALL"]
    # a lost task message (the worker down) is retried with backoff before anything else
    for name in ("Compute", "Withdraw", "Escalate"):
        retry = states[name]["Retry"][0]
        assert retry["ErrorEquals"] == ["States.Timeout"] and retry["BackoffRate"] > 1, name
        assert states[name]["TimeoutSecondsPath"] == "$.task_timeout_seconds", name
    assert states["RecordReview"]["Next"] == "ManualReview" and states["ManualReview"]["Type"] == "Fail"
    assert states["RecordFailure"]["Next"] == "Failed"


def test_an_unanswered_approval_escalates_then_waits_without_a_limit() -> None:
    states = json.loads(asl_text())["States"]
    wait = states["AwaitApproval"]
    assert wait["TimeoutSecondsPath"] == "$.approval_timeout_seconds"
    assert _catches(wait)["States.Timeout"] == "Escalate"
    assert states["Escalate"]["Next"] == "AwaitEscalatedApproval"
    assert _catches(states["Escalate"]) == {"States.ALL": "AwaitEscalatedApproval"}  # a lost notice never blocks
    again = states["AwaitEscalatedApproval"]
    assert again["Parameters"]["MessageBody"]["task"] == "await_approval"
    assert "TimeoutSecondsPath" not in again and "TimeoutSeconds" not in again
    assert again["Next"] == "Approved?"
    assert states["AwaitWithdrawal"]["TimeoutSecondsPath"] == "$.withdrawal_timeout_seconds"


def test_every_execution_carries_the_timeouts_the_definition_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAYOUTS_APPROVAL_TIMEOUT_SECONDS", "3600")
    paths = {
        s[key][2:]
        for s in json.loads(asl_text())["States"].values()
        for key in ("TimeoutSecondsPath",)
        if key in s
    }
    given = build_ports(load(PayoutSettings)).timeouts.execution_input()
    assert paths == set(given)
    assert given["approval_timeout_seconds"] == 3600 and given["task_timeout_seconds"] == 300


def test_task_messages_and_command_ids() -> None:
    message = TaskMessage.model_validate_json('{"token": "t", "task": "compute", "payout_id": 7, "extra": 1}')
    assert (message.task, message.payout_id) == ("compute", 7)
    with pytest.raises(ValueError):
        TaskMessage.model_validate_json('{"token": "t", "task": "launch", "payout_id": 7}')
    assert withdrawal_command_id(17) == "payout:17:withdraw"
    assert payout_of_command("payout:17:withdraw") == 17
    assert payout_of_command("12:3:reset") is None and payout_of_command("payout:x:withdraw") is None


def test_ports_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    arn = "arn:aws:states:us-east-1:123456789012:stateMachine:payouts"
    monkeypatch.setenv("PAYOUTS_STATE_MACHINE_ARN", arn)
    monkeypatch.setenv("PAYOUTS_SECOND_APPROVAL_ABOVE", "25000.00")
    monkeypatch.delenv("PAYOUTS_EVENT_BUS_NAME", raising=False)
    ports = build_ports(load(PayoutSettings))
    assert ports.workflow is not None and ports.workflow.can_start
    assert ports.workflow.state_machine_arn == arn  # type: ignore[attr-defined]
    assert ports.events is None  # no bus: no events
    assert str(ports.second_approval_above) == "25000.00"
    monkeypatch.setenv("PAYOUTS_EVENT_BUS_NAME", "propfirm")
    assert build_ports(load(PayoutSettings)).events.bus_name == "propfirm"  # type: ignore[union-attr]
    monkeypatch.delenv("PAYOUTS_STATE_MACHINE_ARN")
    without = build_ports(load(PayoutSettings))
    assert without.workflow is not None and not without.workflow.can_start  # requests wait for start_pending
