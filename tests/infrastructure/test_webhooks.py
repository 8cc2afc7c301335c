"""Outbound webhooks in the template: every propfirm event to a queue, the function on it and a retry
schedule, HTTPS out to the receivers and the database proxy in, nothing else; off by configuration."""

from __future__ import annotations

import json

from tests.infrastructure.conftest import synthesize


def _logical(synth, construct) -> str:
    return synth.stack.get_logical_id(construct.node.default_child)


def test_every_event_of_the_bus_reaches_the_webhooks_queue(dev):
    hooks = dev.stack.webhooks
    rule = dev.raw["Resources"][_logical(dev, hooks.rule)]["Properties"]
    assert rule["EventPattern"] == {"source": ["propfirm"]}
    assert rule["EventBusName"] == {"Ref": _logical(dev, dev.stack.events.bus)}
    [target] = rule["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [_logical(dev, hooks.queue), "Arn"]}
    assert target["DeadLetterConfig"]["Arn"] == {"Fn::GetAtt": [_logical(dev, hooks.dead_letters), "Arn"]}
    queue = dev.raw["Resources"][_logical(dev, hooks.queue)]["Properties"]
    assert queue["SqsManagedSseEnabled"] is True and queue["RedrivePolicy"]["maxReceiveCount"] == 5


def test_the_function_takes_the_queue_and_the_retry_runs_every_minute(dev):
    hooks = dev.stack.webhooks
    fn = _logical(dev, hooks.function)
    retry = _logical(dev, hooks.retry)
    functions = dev.resources("AWS::Lambda::Function")
    assert functions[fn]["Properties"]["Handler"] == "functions.webhooks.handler.lambda_handler"
    assert functions[retry]["Properties"]["Handler"] == "functions.webhooks.handler.retry_handler"
    assert functions[retry]["Properties"]["ReservedConcurrentExecutions"] == 1
    mappings = [
        m["Properties"]
        for m in dev.resources("AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["FunctionName"] == {"Ref": fn}
    ]
    assert mappings and mappings[0]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    schedules = [
        r["Properties"]
        for r in dev.resources("AWS::Events::Rule").values()
        if r["Properties"].get("ScheduleExpression") == "rate(1 minute)"
        and r["Properties"]["Targets"][0]["Arn"] == {"Fn::GetAtt": [retry, "Arn"]}
    ]
    assert len(schedules) == 1
    env = functions[fn]["Properties"]["Environment"]["Variables"]
    assert env["DATABASE_IAM_AUTH"] == "true"  # the runtime login by IAM through the proxy: no password here
    assert "propfirm_runtime@" in json.dumps(env["DATABASE_URL"])


def test_the_functions_reach_https_and_the_database_only(dev):
    group = _logical(dev, dev.stack.network.consumer_groups["webhooks"])
    egress = [
        e["Properties"]
        for e in dev.resources("AWS::EC2::SecurityGroupEgress").values()
        if e["Properties"]["GroupId"] == {"Fn::GetAtt": [group, "GroupId"]}
    ]
    inline = dev.raw["Resources"][group]["Properties"].get("SecurityGroupEgress", [])
    rules = egress + inline
    open_world = [r for r in rules if r.get("CidrIp") == "0.0.0.0/0"]
    assert [(r["FromPort"], r["ToPort"]) for r in open_world] == [(443, 443)]
    assert all(r.get("FromPort") in (443, 5432) for r in rules), rules


def test_off_by_configuration(tmp_path, layer_dir):
    synth = synthesize(tmp_path / "cdk", layer_dir, **{"propfirm:webhooks": "false"})
    assert synth.stack.webhooks is None
    handlers = [
        f["Properties"]["Handler"]
        for f in synth.resources("AWS::Lambda::Function").values()
        if "Handler" in f["Properties"]
    ]
    assert not any("webhooks" in h for h in handlers)


def test_the_abuse_scan_runs_every_five_minutes_near_the_database_only(dev):
    fn = _logical(dev, dev.stack.abuse.function)
    props = dev.resources("AWS::Lambda::Function")[fn]["Properties"]
    assert props["Handler"] == "functions.abuse.handler.lambda_handler" and props["ReservedConcurrentExecutions"] == 1
    [rule] = [
        r["Properties"] for r in dev.resources("AWS::Events::Rule").values()
        if r["Properties"].get("Targets", [{}])[0].get("Arn") == {"Fn::GetAtt": [fn, "Arn"]}
    ]
    assert rule["ScheduleExpression"] == "rate(5 minutes)"


def test_notifications_take_every_event_and_their_channels_from_a_secret(dev):
    hooks = dev.stack.notifications
    fn = _logical(dev, hooks.function)
    props = dev.resources("AWS::Lambda::Function")[fn]["Properties"]
    assert props["Handler"] == "functions.notifications.handler.lambda_handler"
    env = props["Environment"]["Variables"]
    assert env["NOTIFY_CHANNELS_SECRET_ARN"] == {"Ref": _logical(dev, hooks.channels)}
    assert "TELEGRAM_BOT_TOKEN" not in env and "NOTIFY_EMAIL_FROM" not in env  # email off without a sender
    rule = dev.raw["Resources"][_logical(dev, hooks.rule)]["Properties"]
    assert rule["EventPattern"] == {"source": ["propfirm"]}
    assert rule["Targets"][0]["Arn"] == {"Fn::GetAtt": [_logical(dev, hooks.queue), "Arn"]}


def test_email_needs_a_sender_and_may_send_as_it_only(tmp_path, layer_dir):
    synth = synthesize(tmp_path / "cdk", layer_dir, **{"propfirm:notifyEmailFrom": "desk@firm.example"})
    fn = synth.stack.get_logical_id(synth.stack.notifications.function.node.default_child)
    env = synth.resources("AWS::Lambda::Function")[fn]["Properties"]["Environment"]["Variables"]
    assert env["NOTIFY_EMAIL_FROM"] == "desk@firm.example"
    policies = json.dumps([p for p in synth.resources("AWS::IAM::Policy").values()])
    assert "ses:SendEmail" in policies and "identity/firm.example" in policies
