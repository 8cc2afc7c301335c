"""The local stack's queues are the stack's: the queues `propfirm dev` creates in moto have the attributes
the synthesized CloudFormation template gives them in AWS (FIFO settings, visibility, retention, the
dead-letter queue and its receive count), so a change on one side without the other fails here."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from propfirm.local.aws import QUEUE_SPECS, LocalAws

pytestmark = pytest.mark.slow

COMPARED = ("FifoQueue", "DeduplicationScope", "FifoThroughputLimit", "VisibilityTimeout", "MessageRetentionPeriod")

AWS_DEFAULTS = {"VisibilityTimeout": "30", "MessageRetentionPeriod": "345600"}  # SQS's, where the template has none


def _plain(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def test_the_local_queues_have_the_attributes_of_the_stacks_queues(tmp_path: Path, monkeypatch) -> None:
    pytest.importorskip("aws_cdk")
    from tests.infrastructure.conftest import synthesize

    layer = tmp_path / "layer"
    (layer / "python").mkdir(parents=True)
    synthesized = synthesize(tmp_path / "cdk", layer)
    stack = synthesized.stack
    constructs = {
        "evaluation.fifo": stack.queues.evaluation,
        "evaluation-dlq.fifo": stack.queues.evaluation_dlq,
        "commands.fifo": stack.queues.commands,
        "commands-dlq.fifo": stack.queues.command_dlq,
        "payout-tasks": stack.payouts.tasks,
        "payout-tasks-dlq": stack.payouts.tasks_dlq,
    }
    assert {spec.name for spec in QUEUE_SPECS} == set(constructs)
    logical = {name: stack.get_logical_id(c.node.default_child) for name, c in constructs.items()}
    name_of = {v: k for k, v in logical.items()}

    for variable in ("MOTO_PORT", "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"):
        monkeypatch.setenv(variable, os.environ.get(variable, ""))  # LocalAws points them at moto: restored
    monkeypatch.setenv("AWS_DEFAULT_REGION", os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))
    aws = LocalAws().start()
    try:
        sqs = aws.client("sqs")
        for name in constructs:
            template = synthesized.raw["Resources"][logical[name]]["Properties"]
            url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
            local = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
            expected = {key: _plain(template[key]) for key in COMPARED if key in template}
            for key, default in AWS_DEFAULTS.items():
                expected.setdefault(key, default)
            assert {key: local.get(key) for key in expected} == expected, name
            assert all(local.get(key) in (None, "false") for key in COMPARED if key not in expected), name
            if "RedrivePolicy" in template:
                policy = template["RedrivePolicy"]
                redrive = json.loads(local["RedrivePolicy"])
                assert (
                    redrive["deadLetterTargetArn"].rsplit(":", 1)[1]
                    == name_of[policy["deadLetterTargetArn"]["Fn::GetAtt"][0]]
                )
                assert int(redrive["maxReceiveCount"]) == policy["maxReceiveCount"]
            else:
                assert "RedrivePolicy" not in local, name
    finally:
        aws.stop()
