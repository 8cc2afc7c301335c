"""The synthesized template: the queues the poller and evaluator rely on."""

import os

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")

cdk = pytest.importorskip("aws_cdk")
from aws_cdk.assertions import Match, Template  # noqa: E402

from infra.stacks.propfirm_stack import PropfirmStack  # noqa: E402


@pytest.fixture(scope="module")
def template() -> Template:
    app = cdk.App()
    return Template.from_stack(PropfirmStack(app, "Test"))


def test_four_fifo_queues_encrypted_with_dead_letters(template):
    template.resource_count_is("AWS::SQS::Queue", 4)
    template.all_resources_properties(
        "AWS::SQS::Queue",
        {"FifoQueue": True, "SqsManagedSseEnabled": True, "DeduplicationScope": "messageGroup",
         "FifoThroughputLimit": "perMessageGroupId"},
    )


def test_work_queues_redrive_to_their_dlq(template):
    redriven = template.find_resources(
        "AWS::SQS::Queue", {"Properties": {"RedrivePolicy": Match.object_like({"maxReceiveCount": 5})}}
    )
    assert len(redriven) == 2


def test_queues_refuse_plain_http(template):
    template.has_resource_properties(
        "AWS::SQS::QueuePolicy",
        {"PolicyDocument": Match.object_like({"Statement": Match.array_with([Match.object_like(
            {"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}})])})},
    )
