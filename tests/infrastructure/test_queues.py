"""The synthesized template: the queues the poller and evaluator rely on, and the domain-event bus."""

from aws_cdk.assertions import Match


def _fifo(dev):
    return {k: v for k, v in dev.resources("AWS::SQS::Queue").items() if v["Properties"].get("FifoQueue")}


def test_four_fifo_queues_encrypted_with_dead_letters(dev):
    fifo = _fifo(dev)
    assert len(fifo) == 4  # evaluation, commands and their DLQs (the payout-tasks pair is standard)
    for queue in fifo.values():
        props = queue["Properties"]
        assert props["SqsManagedSseEnabled"] is True
        assert props["DeduplicationScope"] == "messageGroup"
        assert props["FifoThroughputLimit"] == "perMessageGroupId"


def test_work_queues_redrive_to_their_dlq(dev):
    fifo = _fifo(dev)
    redriven = {k: v for k, v in fifo.items() if "RedrivePolicy" in v["Properties"]}
    assert len(redriven) == 2
    for queue in redriven.values():
        policy = queue["Properties"]["RedrivePolicy"]
        assert policy["maxReceiveCount"] == 5
        target = policy["deadLetterTargetArn"]["Fn::GetAtt"][0]
        assert target in fifo and "RedrivePolicy" not in fifo[target]["Properties"]  # a FIFO DLQ, not a chain


def test_evaluation_visibility_is_six_evaluator_timeouts(dev):
    evaluation = dev.stack.queues.evaluation.node.default_child
    logical = dev.stack.get_logical_id(evaluation)
    timeout = dev.resources("AWS::Lambda::Function")[
        dev.stack.get_logical_id(dev.stack.evaluator.function.node.default_child)
    ]["Properties"]["Timeout"]
    assert dev.raw["Resources"][logical]["Properties"]["VisibilityTimeout"] == 6 * timeout


def test_queues_refuse_plain_http(template):
    template.has_resource_properties(
        "AWS::SQS::QueuePolicy",
        {
            "PolicyDocument": Match.object_like(
                {
                    "Statement": Match.array_with(
                        [
                            Match.object_like(
                                {"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
                            )
                        ]
                    )
                }
            )
        },
    )


def test_domain_event_bus_with_an_archive(template):
    template.resource_count_is("AWS::Events::EventBus", 1)
    template.has_resource_properties(
        "AWS::Events::Archive", {"EventPattern": {"source": ["propfirm"]}, "RetentionDays": 30}
    )
