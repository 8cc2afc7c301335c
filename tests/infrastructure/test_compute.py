"""Poller (Fargate), evaluator and relay (Lambda) and the shared layer, in the synthesized template."""

import json

from aws_cdk.assertions import Match

from infra.constants import REPO_ROOT


def _logical(dev, construct) -> str:
    return dev.stack.get_logical_id(construct.node.default_child)


def _policy_statements(dev, role_logical_id: str) -> list[dict]:
    statements = []
    for policy in dev.resources("AWS::IAM::Policy").values():
        if {"Ref": role_logical_id} in policy["Properties"]["Roles"]:
            statements += policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def project_functions(synthesized) -> dict[str, dict]:
    """The project's Lambdas (CDK's own trigger provider, a Node.js function, left out)."""
    return {
        k: f
        for k, f in synthesized.resources("AWS::Lambda::Function").items()
        if f["Properties"]["Handler"].startswith("functions.")
    }


def _actions(statements: list[dict], resource_logical_id: str) -> set[str]:
    found = set()
    for st in statements:
        if resource_logical_id in str(st["Resource"]):
            actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
            found.update(actions)
    return found


# -- poller --------------------------------------------------------------------------------------------


def test_poller_cluster_with_container_insights(template):
    template.resource_count_is("AWS::ECS::Cluster", 1)
    template.has_resource_properties(
        "AWS::ECS::Cluster",
        {
            "ClusterSettings": [
                {"Name": "containerInsights", "Value": Match.string_like_regexp("enabled|enhanced")}
            ]
        },
    )


def test_one_poller_per_server_never_two_at_once(dev, production):
    dev.template.resource_count_is("AWS::ECS::Service", 1)
    production.template.resource_count_is("AWS::ECS::Service", 2)  # two MT5 servers in that context
    for synthesized in (dev, production):
        synthesized.template.all_resources_properties(
            "AWS::ECS::Service",
            {
                "DesiredCount": 1,
                "LaunchType": "FARGATE",
                "DeploymentConfiguration": Match.object_like(
                    {
                        "MinimumHealthyPercent": 0,
                        "MaximumPercent": 100,
                        "DeploymentCircuitBreaker": {"Enable": True, "Rollback": True},
                    }
                ),
                "NetworkConfiguration": {
                    "AwsvpcConfiguration": Match.object_like({"AssignPublicIp": "DISABLED"})
                },
            },
        )


def test_poller_task_size_platform_and_logs(template):
    template.has_resource_properties(
        "AWS::ECS::TaskDefinition",
        {
            "Cpu": "512",
            "Memory": "1024",
            "RequiresCompatibilities": ["FARGATE"],
            "RuntimePlatform": {"CpuArchitecture": "X86_64", "OperatingSystemFamily": "LINUX"},
            "ContainerDefinitions": [
                Match.object_like(
                    {"LogConfiguration": Match.object_like({"LogDriver": "awslogs"}), "Essential": True}
                )
            ],
        },
    )
    groups = [g for k, g in template.to_json()["Resources"].items() if k.startswith("PollersLogs")]
    assert groups and groups[0]["Properties"]["RetentionInDays"] == 30


def test_poller_image_is_an_asset_of_the_dockerfile(dev):
    assets = (dev.outdir / f"{dev.stack.artifact_id}.assets.json").read_text()
    assert '"dockerFile": "functions/poller/Dockerfile"' in assets
    assert '"platform": "linux/amd64"' in assets
    assert "Dockerfile.windows" not in assets  # no Windows server configured: nothing to build on Windows


def _task(synthesized, server: str) -> dict:
    task = synthesized.stack.pollers.task_definitions[server]
    return synthesized.raw["Resources"][synthesized.stack.get_logical_id(task.node.default_child)]["Properties"]


def _environment(task: dict) -> dict:
    return {e["Name"]: e["Value"] for e in task["ContainerDefinitions"][0]["Environment"]}


def test_manager_api_server_runs_on_windows_server_core(production):
    linux, windows = _task(production, "live-1"), _task(production, "live-2")
    assert linux["RuntimePlatform"] == {"CpuArchitecture": "X86_64", "OperatingSystemFamily": "LINUX"}
    assert (linux["Cpu"], linux["Memory"]) == ("512", "1024")
    assert windows["RuntimePlatform"] == {
        "CpuArchitecture": "X86_64",
        "OperatingSystemFamily": "WINDOWS_SERVER_2022_CORE",
    }
    assert (windows["Cpu"], windows["Memory"]) == ("1024", "2048")  # Fargate's Windows minimum
    assert _environment(windows)["MT5_API"] == "manager" and _environment(linux)["MT5_API"] == "webapi"
    assert _environment(windows)["MT5_URL"] == "mt5-2.example.com:443"
    # each task its own image: the Windows one from its own Dockerfile, built for the host's platform
    assert linux["ContainerDefinitions"][0]["Image"] != windows["ContainerDefinitions"][0]["Image"]
    assets = json.loads((production.outdir / f"{production.stack.artifact_id}.assets.json").read_text())
    images = {a["source"]["dockerFile"]: a["source"] for a in assets["dockerImages"].values()}
    assert set(images) == {"functions/poller/Dockerfile", "functions/poller/Dockerfile.windows"}
    assert "platform" not in images["functions/poller/Dockerfile.windows"]
    assert (REPO_ROOT / "functions/poller/Dockerfile.windows").is_file()


def test_poller_groups_and_password_secret_per_server(production):
    env = _environment(_task(production, "live-1"))
    assert env["POLLER_GROUPS"] == "challenge\\phase1\\*,challenge\\funded\\*"
    assert "POLLER_GROUPS" not in _environment(_task(production, "live-2"))  # the programs' groups
    secrets = production.stack.pollers.password_secrets
    for server in ("live-1", "live-2"):
        secret_id = production.stack.get_logical_id(secrets[server].node.default_child)
        assert _environment(_task(production, server))["MT5_MANAGER_PASSWORD_SECRET_ID"] == {"Ref": secret_id}


def test_poller_environment_and_secret(dev):
    task = next(iter(dev.resources("AWS::ECS::TaskDefinition").values()))
    container = task["Properties"]["ContainerDefinitions"][0]
    env = {e["Name"]: e["Value"] for e in container["Environment"]}
    assert {
        "MT5_URL",
        "MT5_MANAGER_LOGIN",
        "MT5_SERVER_NAME",
        "MT5_MANAGER_PASSWORD_SECRET_ID",
        "EVALUATION_QUEUE_URL",
        "COMMAND_QUEUE_URL",
        "REDIS_URL",
        "POLLER_SHARD_COUNT",
    } <= env.keys()
    assert "MT5_MANAGER_PASSWORD" not in env
    secret_id = _logical(dev, dev.stack.pollers.password_secrets["default"])
    assert env["MT5_MANAGER_PASSWORD_SECRET_ID"] == {"Ref": secret_id}
    assert env["POLLER_SHARD_COUNT"] == "16"
    assert env["REDIS_URL"]["Fn::Join"][1][0] == "rediss://"


def test_poller_least_privilege(dev):
    task_role = task_role_id(dev)
    statements = _policy_statements(dev, task_role)
    evaluation = _logical(dev, dev.stack.queues.evaluation)
    commands = _logical(dev, dev.stack.queues.commands)
    secret = _logical(dev, dev.stack.pollers.password_secrets["default"])
    assert "sqs:SendMessage" in _actions(statements, evaluation)
    assert "sqs:ReceiveMessage" not in _actions(statements, evaluation)
    assert {"sqs:ReceiveMessage", "sqs:DeleteMessage"} <= _actions(statements, commands)
    assert "sqs:SendMessage" not in _actions(statements, commands)
    assert "secretsmanager:GetSecretValue" in _actions(statements, secret)
    assert not any("rds-db:connect" in str(st["Action"]) for st in statements)  # no database for the poller


def task_role_id(dev) -> str:
    task = next(iter(dev.resources("AWS::ECS::TaskDefinition").values()))
    return task["Properties"]["TaskRoleArn"]["Fn::GetAtt"][0]


# -- layer and functions -------------------------------------------------------------------------------


def test_every_function_has_the_layer_runtime_and_vpc(dev):
    # the project's layer, and the AWS CLI layer of CDK's BucketDeployment (the dashboards' files)
    layers = {k: v for k, v in dev.resources("AWS::Lambda::LayerVersion").items() if "AwsCliLayer" not in k}
    assert len(layers) == 1
    layer_id = next(iter(layers))
    assert layers[layer_id]["Properties"]["CompatibleRuntimes"] == ["python3.12"]
    functions = project_functions(dev)
    handlers = {f["Properties"]["Handler"] for f in functions.values()}
    assert handlers == {
        "functions.evaluator.handler.lambda_handler",
        "functions.evaluator.handler.relay_handler",
        "functions.payouts.handler.lambda_handler",
        "functions.payouts.handler.sweep_handler",
        "functions.api.handler.lambda_handler",
        "functions.migrate.handler.lambda_handler",
        "functions.webhooks.handler.lambda_handler",
        "functions.webhooks.handler.retry_handler",
        "functions.abuse.handler.lambda_handler",
        "functions.notifications.handler.lambda_handler",
    }
    # the other functions are CDK's own: the trigger provider, the dashboards' deployment and the
    # development stack's bucket emptier
    others = set(dev.resources("AWS::Lambda::Function")) - set(functions)
    cdk_own = ("AWSCDKTriggerCustomResourceProvider", "CustomCDKBucketDeployment", "CustomS3AutoDeleteObjects")
    assert len(others) == 3 and all(o.startswith(cdk_own) for o in others), others
    for fn in functions.values():
        props = fn["Properties"]
        assert props["Layers"] == [{"Ref": layer_id}]
        assert props["Runtime"] == "python3.12" and props["Architectures"] == ["x86_64"]
        assert props["VpcConfig"]["SubnetIds"] and props["TracingConfig"] == {"Mode": "Active"}
        assert "LoggingConfig" in props  # its own log group, with retention


def test_function_log_groups_have_retention(dev):
    for fn in project_functions(dev).values():
        group = fn["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        assert dev.raw["Resources"][group]["Properties"]["RetentionInDays"] == 30


# -- evaluator -----------------------------------------------------------------------------------------


def test_evaluator_consumes_the_evaluation_fifo_with_partial_failures(dev):
    evaluation = _logical(dev, dev.stack.queues.evaluation)
    evaluator = _logical(dev, dev.stack.evaluator.function)
    dev.template.has_resource_properties(
        "AWS::Lambda::EventSourceMapping",
        {
            "EventSourceArn": {"Fn::GetAtt": [evaluation, "Arn"]},
            "FunctionName": {"Ref": evaluator},
            "BatchSize": 10,
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
            "ScalingConfig": {"MaximumConcurrency": 16},
        },
    )
    props = dev.raw["Resources"][evaluator]["Properties"]
    assert props["ReservedConcurrentExecutions"] == 16  # one per shard (message group)
    env = props["Environment"]["Variables"]
    assert {"DATABASE_URL", "REDIS_URL", "COMMAND_QUEUE_URL", "PAYOUTS_STATE_MACHINE_ARN"} <= env.keys()


def test_evaluator_grants(dev):
    fn = dev.stack.evaluator.function
    role = fn.role.node.default_child
    statements = _policy_statements(dev, dev.stack.get_logical_id(role))
    assert "sqs:SendMessage" in _actions(statements, _logical(dev, dev.stack.queues.commands))
    assert "events:PutEvents" in _actions(statements, _logical(dev, dev.stack.events.bus))
    assert any("rds-db:connect" in str(st["Action"]) for st in statements)
    assert "states:SendTaskSuccess" in _actions(statements, _logical(dev, dev.stack.payouts.state_machine))


def test_relay_runs_every_minute(dev):
    relay = _logical(dev, dev.stack.evaluator.relay)
    dev.template.has_resource_properties(
        "AWS::Events::Rule",
        {
            "ScheduleExpression": "rate(1 minute)",
            "State": "ENABLED",
            "Targets": [Match.object_like({"Arn": {"Fn::GetAtt": [relay, "Arn"]}})],
        },
    )
    assert dev.raw["Resources"][relay]["Properties"]["ReservedConcurrentExecutions"] == 1


def test_secrets_never_in_plain_environment(dev):
    """Names that speak of a secret or password hold an ARN or id (a reference), never a literal."""
    envs = [f["Properties"]["Environment"]["Variables"] for f in project_functions(dev).values()]
    for task in dev.resources("AWS::ECS::TaskDefinition").values():
        for container in task["Properties"]["ContainerDefinitions"]:
            envs.append({e["Name"]: e["Value"] for e in container.get("Environment", [])})
    checked = 0
    for env in envs:
        for name, value in env.items():
            if "SECRET" in name or "PASSWORD" in name:
                assert name.endswith(("_ARN", "_SECRET_ID")), name
                assert isinstance(value, dict), f"{name} is a literal"
                checked += 1
            if name == "DATABASE_URL":
                assert ":" not in value["Fn::Join"][1][0].removeprefix("postgresql:")  # no password
    assert checked >= 8  # the MT5 password id, the webhook secret ARN, the cache secret of each consumer


SECRET_VALUE_KEYS = {"Password", "Passwords", "MasterUserPassword", "AuthToken", "SecretString"}


def _secret_values(node, path=""):
    if isinstance(node, dict):
        for key, value in node.items():
            if key in SECRET_VALUE_KEYS:
                yield f"{path}/{key}", value
            yield from _secret_values(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _secret_values(value, f"{path}[{i}]")


def test_no_secret_value_in_either_template(dev, production):
    """Every property that takes a secret holds a `{{resolve:secretsmanager:...}}` reference; secrets are
    generated by Secrets Manager (GenerateSecretString), never written into the template."""
    for synthesized in (dev, production):
        found = list(_secret_values(synthesized.raw["Resources"]))
        assert len(found) == 3  # Aurora's master password and the two cache users' passwords
        for path, value in found:
            values = value if isinstance(value, list) else [value]
            for item in values:
                assert isinstance(item, dict), path
                assert item["Fn::Join"][1][0] == "{{resolve:secretsmanager:", path
        for secret in synthesized.resources("AWS::SecretsManager::Secret").values():
            assert "SecretString" not in secret["Properties"]
            assert "GenerateSecretString" in secret["Properties"]


def test_no_function_traces_a_response_or_an_exception(dev):
    """Traces keep timings, never a body or an error that could carry a password or a token."""
    for name, function in project_functions(dev).items():
        env = function["Properties"]["Environment"]["Variables"]
        assert env["POWERTOOLS_TRACER_CAPTURE_RESPONSE"] == "false", name
        assert env["POWERTOOLS_TRACER_CAPTURE_ERROR"] == "false", name
