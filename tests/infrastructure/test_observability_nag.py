"""Alarms and dashboard; cdk-nag passing with only the acknowledged findings; cfn-lint clean."""

import json
import os
import subprocess
import sys

import aws_cdk as cdk
import pytest
from aws_cdk import aws_apigateway as apigw

from infra.app import build_app, file_context
from infra.constants import REPO_ROOT
from infra.nag import ACCEPTED, ACCEPTED_OUTSIDE_PRODUCTION
from infra.stacks.propfirm_stack import PropfirmStack


def _alarms(dev) -> dict[str, dict]:
    return {k: v["Properties"] for k, v in dev.resources("AWS::CloudWatch::Alarm").items()}


def _logical(dev, construct) -> str:
    return dev.stack.get_logical_id(construct.node.default_child)


def test_dead_letter_queues_alarm_on_one_message(dev):
    queues = dev.stack.queues
    for dlq in (queues.evaluation_dlq, queues.command_dlq, dev.stack.payouts.tasks_dlq):
        name = {"Fn::GetAtt": [_logical(dev, dlq), "QueueName"]}
        matching = [
            a
            for a in _alarms(dev).values()
            if a.get("MetricName") == "ApproximateNumberOfMessagesVisible"
            and a["Dimensions"] == [{"Name": "QueueName", "Value": name}]
        ]
        assert len(matching) == 1
        assert matching[0]["Threshold"] == 1
        assert matching[0]["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"


def test_evaluation_queue_age_and_function_alarms(dev):
    alarms = _alarms(dev).values()
    assert any(a.get("MetricName") == "ApproximateAgeOfOldestMessage" for a in alarms)
    evaluator = _logical(dev, dev.stack.evaluator.function)
    on_evaluator = {
        a["MetricName"]
        for a in alarms
        if a.get("Dimensions") == [{"Name": "FunctionName", "Value": {"Ref": evaluator}}]
    }
    assert {"Errors", "Throttles"} <= on_evaluator


def test_poller_silence_is_a_breach(dev):
    poller = [a for a in _alarms(dev).values() if a.get("MetricName") == "CycleDuration"]
    assert len(poller) == 1
    alarm = poller[0]
    assert alarm["Namespace"] == "PropFirm"
    assert alarm["Dimensions"] == [{"Name": "service", "Value": "poller"}]
    assert alarm["Statistic"] == "SampleCount" and alarm["Period"] == 60
    assert alarm["TreatMissingData"] == "breaching"
    assert alarm["ComparisonOperator"] == "LessThanThreshold" and alarm["Threshold"] == 1


def test_a_failed_poller_cycle_raises_the_blind_interval_alarm(dev):
    blind = [a for a in _alarms(dev).values() if "blind" in a.get("AlarmDescription", "")]
    assert len(blind) == 1
    alarm = blind[0]
    expression = next(m for m in alarm["Metrics"] if "Expression" in m)
    assert "mt5errors" in expression["Expression"] and "infraerrors" in expression["Expression"]
    names = {m["MetricStat"]["Metric"]["MetricName"] for m in alarm["Metrics"] if "MetricStat" in m}
    assert names == {"Mt5Errors", "InfraErrors"}
    assert alarm["Threshold"] == 1 and alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"


def test_the_tick_paths_estimates_drifting_from_mt5_raise_an_alarm(dev):
    [alarm] = [a for a in _alarms(dev).values() if a.get("MetricName") == "EstimateDrift"]
    assert alarm["Namespace"] == "PropFirm" and alarm["Dimensions"] == [{"Name": "service", "Value": "poller"}]
    assert alarm["Statistic"] == "Maximum" and alarm["Threshold"] == 50
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold" and alarm["EvaluationPeriods"] == 2


def test_every_alarm_reaches_the_notifications_function_for_the_operators_chats(dev):
    topic = _logical(dev, dev.stack.observability.topic)
    function = _logical(dev, dev.stack.notifications.function)
    subscriptions = [
        s["Properties"] for s in dev.resources("AWS::SNS::Subscription").values()
        if s["Properties"]["Protocol"] == "lambda"
    ]
    assert any(
        s["TopicArn"] == {"Ref": topic} and s["Endpoint"] == {"Fn::GetAtt": [function, "Arn"]} for s in subscriptions
    ), subscriptions
    invoke = [p["Properties"] for p in dev.resources("AWS::Lambda::Permission").values()
              if p["Properties"].get("Principal") == "sns.amazonaws.com"]
    assert any(p["SourceArn"] == {"Ref": topic} for p in invoke)


def test_each_servers_poller_has_its_own_silence_alarm(production):
    servers = ("live-1", "live-2")
    filters = {
        f["Properties"]["MetricTransformations"][0]["MetricName"]: f["Properties"]
        for f in production.resources("AWS::Logs::MetricFilter").values()
    }
    alarms = [
        a for a in _alarms(production).values() if a.get("MetricName", "").startswith("PollerCycleFlushes-")
    ]
    assert sorted(a["MetricName"] for a in alarms) == [f"PollerCycleFlushes-{s}" for s in servers]
    for alarm in alarms:
        assert alarm["TreatMissingData"] == "breaching" and alarm["ComparisonOperator"] == "LessThanThreshold"
        metric_filter = filters[alarm["MetricName"]]
        assert metric_filter["FilterPattern"] == '"CycleDuration"'
        assert metric_filter["MetricTransformations"][0]["MetricNamespace"] == "PropFirm"
    # one log group per server, so each filter sees only its own poller
    assert len({f["LogGroupName"]["Ref"] for f in filters.values()}) == len(servers)


def test_payout_failures_alarm_and_everything_notifies_the_topic(dev):
    machine = _logical(dev, dev.stack.payouts.state_machine)
    alarms = _alarms(dev)
    assert any(
        a.get("MetricName") == "ExecutionsFailed" and a["Dimensions"][0]["Value"] == {"Ref": machine}
        for a in alarms.values()
    )
    topic = {"Ref": _logical(dev, dev.stack.observability.topic)}
    assert all(a["AlarmActions"] == [topic] for a in alarms.values())
    assert len(alarms) >= 15
    dev.template.resource_count_is("AWS::CloudWatch::Dashboard", 1)


def test_payouts_waiting_on_a_person_reach_the_operators_topic(dev):
    rule = dev.raw["Resources"][_logical(dev, dev.stack.observability.payout_attention)]["Properties"]
    assert rule["EventBusName"] == {"Ref": _logical(dev, dev.stack.events.bus)}
    assert rule["EventPattern"] == {"source": ["propfirm"], "detail-type": ["PayoutEscalated", "PayoutNeedsReview"]}
    assert rule["Targets"][0]["Arn"] == {"Ref": _logical(dev, dev.stack.observability.topic)}


def test_database_load_and_every_function_alarm(dev):
    cluster = {"Ref": _logical(dev, dev.stack.data.cluster)}
    on_cluster = {
        a["MetricName"]: a
        for a in _alarms(dev).values()
        if a.get("Dimensions") == [{"Name": "DBClusterIdentifier", "Value": cluster}]
    }
    assert set(on_cluster) == {"ACUUtilization", "CPUUtilization"}
    for alarm in on_cluster.values():
        assert alarm["Threshold"] == 90 and alarm["EvaluationPeriods"] == 3 and alarm["Period"] == 300
    alarmed = {
        a["Dimensions"][0]["Value"]["Ref"]
        for a in _alarms(dev).values()
        if a.get("MetricName") == "Errors" and a.get("Namespace") == "AWS/Lambda"
    }
    stack = dev.stack
    assert alarmed == {_logical(dev, fn) for fn in stack.schema_consumers}  # the migration fails the deploy


def test_dashboard_shows_cycle_time_lag_breaches_dead_letters_and_the_database(dev):
    [dashboard] = dev.resources("AWS::CloudWatch::Dashboard").values()
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    for needle in ("CycleDuration", "ApproximateAgeOfOldestMessage", "Breaches", "ACUUtilization"):
        assert needle in body, needle
    for dlq in (dev.stack.queues.evaluation_dlq, dev.stack.queues.command_dlq, dev.stack.payouts.tasks_dlq):
        assert _logical(dev, dlq) in body


def test_production_alarm_email(production):
    production.template.has_resource_properties(
        "AWS::SNS::Subscription", {"Protocol": "email", "Endpoint": "ops@example.com"}
    )


def test_cdk_nag_passes_with_only_acknowledged_findings(dev, production):
    for synthesized in (dev, production):
        report = synthesized.validation_report()
        assert report["pluginReports"], "cdk-nag did not run"
        assert [v for p in report["pluginReports"] for v in p["violations"]] == []
    assert all(reason.strip() for _, _, reason in ACCEPTED + ACCEPTED_OUTSIDE_PRODUCTION)


def test_acknowledgements_are_scoped_a_new_unauthenticated_method_fails_synth(tmp_path, layer_dir):
    app = build_app(outdir=str(tmp_path), context={**file_context(), "propfirm:layerDir": str(layer_dir)})
    stack = next(c for c in app.node.children if isinstance(c, PropfirmStack))
    api = stack.api
    api.rest_api.root.add_resource("leak").add_method(
        "GET", apigw.LambdaIntegration(api.function), authorization_type=apigw.AuthorizationType.NONE
    )
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    found = {
        (v["ruleName"], c["constructPath"])
        for p in report["pluginReports"]
        for v in p["violations"]
        for c in v["violatingConstructs"]
    }
    assert found == {
        ("AwsSolutions-APIG4", f"{stack.node.path}/Api/RestApi/Default/leak/GET/Resource"),
        ("AwsSolutions-COG4", f"{stack.node.path}/Api/RestApi/Default/leak/GET/Resource"),
    }


def test_cfn_lint_finds_nothing_on_either_stage(dev, production):
    """cfn-lint is in the dev extra: the suite runs it (a missing install fails here, it is not skipped)."""
    from cfnlint import api as cfnlint_api

    for synthesized in (dev, production):
        matches = cfnlint_api.lint(
            json.dumps(synthesized.raw),
            config=cfnlint_api.ManualArgs(regions=["us-east-1"], ignore_checks=["W3005"]),
        )
        assert [str(m) for m in matches] == []


def test_cfn_lint_reports_an_error_it_is_shown(dev):
    """The check above can fail: a broken template is reported."""
    from cfnlint import api as cfnlint_api

    broken = json.loads(json.dumps(dev.raw))
    queue = next(k for k, v in broken["Resources"].items() if v["Type"] == "AWS::SQS::Queue")
    broken["Resources"][queue]["Properties"]["VisibilityTimeout"] = "forever"
    matches = cfnlint_api.lint(json.dumps(broken), config=cfnlint_api.ManualArgs(regions=["us-east-1"]))
    assert any(str(m.rule.id).startswith("E") for m in matches)


def test_synth_never_calls_docker(tmp_path, layer_dir):
    """`python -m infra.app` as the CLI runs it, with a Windows poller (two image assets): a `docker`
    that records its calls, first on PATH and as CDK_DOCKER, is never called."""
    fake = tmp_path / "bin" / "docker"
    fake.parent.mkdir()
    calls = tmp_path / "docker-calls.log"
    fake.write_text(f'#!/bin/sh\necho "$@" >> {calls}\nexit 1\n')
    fake.chmod(0o755)
    servers = [
        {"name": "linux", "url": "https://mt5.example.com:443", "managerLogin": 1},
        {"name": "windows", "url": "mt5.example.com:443", "managerLogin": 2, "api": "manager"},
    ]
    context = {**file_context(), "propfirm:environment": "prod", "propfirm:mt5Servers": servers}
    env = {
        **os.environ,
        "PATH": f"{fake.parent}{os.pathsep}{os.environ['PATH']}",
        "CDK_DOCKER": str(fake),
        "CDK_OUTDIR": str(tmp_path / "out"),
        "CDK_CONTEXT_JSON": json.dumps(context),
        "PROPFIRM_LAYER_DIR": str(layer_dir),
    }
    result = subprocess.run(
        [sys.executable, "-m", "infra.app"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=240
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert not calls.exists(), calls.read_text()
    assets = json.loads((tmp_path / "out" / "Propfirm.assets.json").read_text())
    assert sorted(a["source"]["dockerFile"] for a in assets["dockerImages"].values()) == [
        "functions/poller/Dockerfile",
        "functions/poller/Dockerfile.windows",
    ]


def test_env_bound_synth_uses_the_pinned_zones(layer_dir):
    context = {
        **file_context(),
        "propfirm:layerDir": str(layer_dir),
        "propfirm:account": "123456789012",
        "propfirm:region": "us-east-1",
    }
    app = build_app(context=context, nag=False)
    stack = next(c for c in app.node.children if isinstance(c, PropfirmStack))
    assert stack.availability_zones[:2] == ["us-east-1a", "us-east-1b"]
    assert cdk.Token.is_unresolved(stack.account) is False
