"""Payouts workflow and the API (Cognito, API Gateway), in the synthesized template."""

import json

from aws_cdk.assertions import Match

from infra.constants import PAYOUTS_ASL
from infra.constructs.api import PUBLIC_ROUTES
from tests.infrastructure.test_compute import _actions, _policy_statements, task_role_id


def _logical(dev, construct) -> str:
    return dev.stack.get_logical_id(construct.node.default_child)


# -- payouts -------------------------------------------------------------------------------------------


def _definition_asset(dev, props) -> str:
    """DefinitionBody.from_file makes the ASL a file asset: the template points at its S3 key."""
    key = props["DefinitionS3Location"]["Key"]
    manifest = json.loads((dev.outdir / f"{dev.stack.artifact_id}.assets.json").read_text())
    for asset in manifest["files"].values():
        if any(d["objectKey"] == key for d in asset["destinations"].values()):
            return (dev.outdir / asset["source"]["path"]).read_text()
    raise AssertionError(f"no asset for {key}")


def test_state_machine_from_the_asl_with_task_tokens(dev):
    machines = dev.resources("AWS::StepFunctions::StateMachine")
    assert len(machines) == 1
    props = next(iter(machines.values()))["Properties"]
    text = _definition_asset(dev, props)
    assert "arn:aws:states:::sqs:sendMessage.waitForTaskToken" in text
    assert "$$.Task.Token" in text and "${PayoutTasksQueueUrl}" in text
    assert json.loads(text) == json.loads(PAYOUTS_ASL.read_text())  # the file as written
    tasks = _logical(dev, dev.stack.payouts.tasks)
    assert props["DefinitionSubstitutions"] == {"PayoutTasksQueueUrl": {"Ref": tasks}}
    assert props["TracingConfiguration"] == {"Enabled": True}
    assert props["LoggingConfiguration"]["Level"] == "ALL"


def test_payout_tasks_queue_worker_and_grants(dev):
    payouts = dev.stack.payouts
    tasks, worker = _logical(dev, payouts.tasks), _logical(dev, payouts.worker)
    queue = dev.raw["Resources"][tasks]["Properties"]
    assert "FifoQueue" not in queue and queue["RedrivePolicy"]["maxReceiveCount"] == 5
    dev.template.has_resource_properties(
        "AWS::Lambda::EventSourceMapping",
        {
            "EventSourceArn": {"Fn::GetAtt": [tasks, "Arn"]},
            "FunctionName": {"Ref": worker},
            "BatchSize": 10,
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
        },
    )
    machine = _logical(dev, payouts.state_machine)
    machine_role = dev.raw["Resources"][machine]["Properties"]["RoleArn"]["Fn::GetAtt"][0]
    dev.template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "Roles": [{"Ref": machine_role}],
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Action": Match.array_with(["sqs:SendMessage"]),
                                "Resource": {"Fn::GetAtt": [tasks, "Arn"]},
                            }
                        )
                    ]
                )
            },
        },
    )


def test_task_tokens_answered_by_worker_api_and_evaluator(dev):
    machine = _logical(dev, dev.stack.payouts.state_machine)
    answerers = set()
    for policy in dev.resources("AWS::IAM::Policy").values():
        for st in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
            if "states:SendTaskSuccess" in actions and machine in json.dumps(st["Resource"]):
                assert "states:SendTaskFailure" in actions
                answerers.update(r["Ref"] for r in policy["Properties"]["Roles"])
    stack = dev.stack
    expected = {
        stack.get_logical_id(fn.role.node.default_child)
        for fn in (stack.payouts.worker, stack.payouts.sweeper, stack.api.function, stack.evaluator.function,
                   stack.evaluator.relay)
    }
    assert answerers == expected


# -- api -----------------------------------------------------------------------------------------------


def test_cognito_groups_and_policies(dev, production):
    groups = {g["Properties"]["GroupName"] for g in dev.resources("AWS::Cognito::UserPoolGroup").values()}
    assert groups == {"trader", "support", "admin"}
    dev.template.has_resource_properties(
        "AWS::Cognito::UserPool",
        {
            "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True},  # no self sign-up into any role
            "Policies": {
                "PasswordPolicy": Match.object_like(
                    {"MinimumLength": 12, "RequireSymbols": True, "RequireNumbers": True}
                )
            },
            "MfaConfiguration": "OPTIONAL",
        },
    )
    production.template.has_resource_properties(
        "AWS::Cognito::UserPool", {"MfaConfiguration": "ON", "UserPoolTier": "PLUS"}
    )


def test_a_user_cannot_set_their_own_email_and_a_changed_email_waits_for_its_verification(dev):
    # the original email stays until the new one is verified (a trader cannot claim another's address)
    dev.template.has_resource_properties(
        "AWS::Cognito::UserPool",
        {"UserAttributeUpdateSettings": {"AttributesRequireVerificationBeforeUpdate": ["email"]}},
    )
    [client] = dev.resources("AWS::Cognito::UserPoolClient").values()
    props = client["Properties"]
    assert "email" not in props["WriteAttributes"] and props["WriteAttributes"] == ["name"]
    # the dashboards' hosted UI sign-in: the authorization code flow only (PKCE, no secret, no implicit
    # flow), back to the app's own URL only
    assert props["AllowedOAuthFlowsUserPoolClient"] is True and props["AllowedOAuthFlows"] == ["code"]
    assert props["AllowedOAuthScopes"] == ["openid", "email", "profile"]
    assert props.get("GenerateSecret") is False and props["SupportedIdentityProviders"] == ["COGNITO"]
    app = {"Fn::Join": ["", ["https://", {"Fn::GetAtt": [_logical(dev, dev.stack.web.distribution), "DomainName"]},
                             "/app/"]]}
    assert props["CallbackURLs"] == [app] and props["LogoutURLs"] == [app]
    assert props["ExplicitAuthFlows"] == ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]


def _paths(dev) -> dict[str, str]:
    """Logical id of each API resource (and the root) -> its path."""
    resources = dev.resources("AWS::ApiGateway::Resource")
    rest_api = _logical(dev, dev.stack.api.rest_api)

    def path(ref) -> str:
        if "Fn::GetAtt" in ref:  # the root
            assert ref["Fn::GetAtt"] == [rest_api, "RootResourceId"]
            return ""
        props = resources[ref["Ref"]]["Properties"]
        return f"{path(props['ParentId'])}/{props['PathPart']}"

    return {k: path({"Ref": k}) for k in resources}


def test_authorizer_on_every_method_but_the_public_ones(dev):
    paths = _paths(dev)
    authorizer = _logical(dev, dev.stack.api.authorizer)
    dev.template.has_resource_properties(
        "AWS::ApiGateway::Authorizer",
        {"Type": "COGNITO_USER_POOLS", "IdentitySource": "method.request.header.Authorization"},
    )
    seen = {}
    for method in dev.resources("AWS::ApiGateway::Method").values():
        props = method["Properties"]
        resource = props["ResourceId"]
        where = paths.get(resource.get("Ref"), "") or "/"
        seen[(where, props["HttpMethod"])] = props
        assert props["Integration"]["Type"] == "AWS_PROXY"
    public = {
        ("/health", "GET"),
        ("/openapi.json", "GET"),
        ("/docs", "GET"),
        ("/webhooks/purchase", "POST"),
        ("/leaderboard", "GET"),  # no personal data, cached a minute
        ("/", "OPTIONS"),  # CORS preflights carry no token
        ("/{proxy+}", "OPTIONS"),
    }
    assert len(seen) == len(public) + 2  # and ANY on / and /{proxy+}
    assert public <= seen.keys() and {("/", "ANY"), ("/{proxy+}", "ANY")} <= seen.keys()
    for key, props in seen.items():
        if key in public:
            assert props["AuthorizationType"] == "NONE" and "AuthorizerId" not in props, key
        else:
            assert props["AuthorizationType"] == "COGNITO_USER_POOLS", key
            assert props["AuthorizerId"] == {"Ref": authorizer}, key


def test_stage_access_logs_and_throttling(template):
    template.has_resource_properties(
        "AWS::ApiGateway::Stage",
        {
            "StageName": "v1",
            "AccessLogSetting": Match.object_like({"DestinationArn": Match.any_value()}),
            "TracingEnabled": True,
            "MethodSettings": [
                Match.object_like(
                    {"ThrottlingRateLimit": 100, "ThrottlingBurstLimit": 200, "MetricsEnabled": True}
                )
            ],
        },
    )


def test_webhook_secret_in_secrets_manager_read_by_the_api(dev):
    api_fn = dev.raw["Resources"][_logical(dev, dev.stack.api.function)]["Properties"]
    env = api_fn["Environment"]["Variables"]
    secret = _logical(dev, dev.stack.api.webhook_secret)
    assert env["PROPFIRM_WEBHOOK_SECRET_ARN"] == {"Ref": secret}
    assert "PROPFIRM_WEBHOOK_SECRET" not in env
    role = api_fn["Role"]["Fn::GetAtt"][0]
    # policies are minimized: the statement may name other secrets the API reads too (the cache's)
    assert "secretsmanager:GetSecretValue" in _actions(_policy_statements(dev, role), secret)


def test_the_public_routes_are_the_handlers_public_paths():
    """API Gateway lets through without a token exactly what the handler serves without one."""
    from propfirm.api.auth import PUBLIC_PATHS

    assert {f"/{path}" for path, method in PUBLIC_ROUTES if method != "OPTIONS"} == set(PUBLIC_PATHS)


def test_mt5_passwords_encrypted_with_the_stacks_kms_key(dev):
    key = _logical(dev, dev.stack.api.credentials_key)
    props = dev.raw["Resources"][key]
    assert props["Properties"]["EnableKeyRotation"] is True
    assert props["DeletionPolicy"] == "Retain"  # without the key the kept passwords are lost
    api_fn = dev.raw["Resources"][_logical(dev, dev.stack.api.function)]["Properties"]
    env = api_fn["Environment"]["Variables"]
    assert env["PROPFIRM_CREDENTIALS_KMS_KEY_ID"] == {"Fn::GetAtt": [key, "Arn"]}
    api_role = api_fn["Role"]["Fn::GetAtt"][0]
    actions = _actions(_policy_statements(dev, api_role), key)
    assert actions == {"kms:Encrypt", "kms:Decrypt"}
    # the poller decrypts the sealed copy a create_account command carries, nothing more
    poller_role = task_role_id(dev)
    assert _actions(_policy_statements(dev, poller_role), key) == {"kms:Decrypt"}
    container = next(iter(dev.resources("AWS::ECS::TaskDefinition").values()))["Properties"]
    poller_env = {e["Name"]: e["Value"] for e in container["ContainerDefinitions"][0]["Environment"]}
    assert poller_env["PROPFIRM_CREDENTIALS_KMS_KEY_ID"] == {"Fn::GetAtt": [key, "Arn"]}
    # both only under a challenge id as the encryption context
    for role in (api_role, poller_role):
        for statement in _policy_statements(dev, role):
            if key in str(statement["Resource"]):
                assert statement["Condition"]["Null"] == {"kms:EncryptionContext:challenge_id": "false"}
                assert statement["Condition"]["ForAllValues:StringEquals"] == {
                    "kms:EncryptionContextKeys": ["challenge_id"]
                }
    # and the key's own policy refuses every other principal
    [deny] = [s for s in props["Properties"]["KeyPolicy"]["Statement"] if s["Effect"] == "Deny"]
    assert {"kms:Decrypt", "kms:Encrypt"} <= set(deny["Action"]) and deny["Principal"] == {"AWS": "*"}
    allowed = deny["Condition"]["ArnNotEquals"]["aws:PrincipalArn"]
    assert sorted(str(a) for a in allowed) == sorted(
        str({"Fn::GetAtt": [r, "Arn"]}) for r in (api_role, poller_role)
    )
    for fn in dev.stack.schema_consumers:  # no other function can read the passwords
        if fn is not dev.stack.api.function:
            role = dev.stack.get_logical_id(fn.role.node.default_child)
            assert not _actions(_policy_statements(dev, role), key), fn.node.path


def test_the_api_gives_new_traders_a_login_in_its_own_user_pool_only(dev):
    pool = _logical(dev, dev.stack.api.user_pool)
    api_fn = dev.raw["Resources"][_logical(dev, dev.stack.api.function)]["Properties"]
    assert api_fn["Environment"]["Variables"]["COGNITO_USER_POOL_ID"] == {"Ref": pool}
    actions = _actions(_policy_statements(dev, api_fn["Role"]["Fn::GetAtt"][0]), pool)
    assert actions == {
        "cognito-idp:ListUsers",
        "cognito-idp:AdminListGroupsForUser",
        "cognito-idp:AdminCreateUser",
        "cognito-idp:AdminAddUserToGroup",
    }


def test_admin_system_view_reads_heartbeats_and_queue_depths(dev, production):
    api_fn = dev.raw["Resources"][_logical(dev, dev.stack.api.function)]["Properties"]
    env = api_fn["Environment"]["Variables"]
    # browsers from the dashboards' origin only (propfirm:apiCorsOrigins adds others)
    origin = {"Fn::Join": ["", ["https://", {"Fn::GetAtt": [_logical(dev, dev.stack.web.distribution), "DomainName"]}]]}
    assert env["POLLER_SERVERS"] == "default" and env["API_CORS_ORIGINS"] == origin
    queues = dev.stack.queues
    for name, queue in (("EVALUATION_QUEUE_URL", queues.evaluation), ("EVALUATION_DLQ_URL", queues.evaluation_dlq),
                        ("COMMAND_DLQ_URL", queues.command_dlq)):
        assert env[name] == {"Ref": _logical(dev, queue)}
    statements = _policy_statements(dev, api_fn["Role"]["Fn::GetAtt"][0])
    for queue in (queues.evaluation, queues.evaluation_dlq, queues.command_dlq):
        assert _actions(statements, _logical(dev, queue)) == {"sqs:GetQueueAttributes"}
    prod_fn = production.raw["Resources"][_logical(production, production.stack.api.function)]["Properties"]
    assert prod_fn["Environment"]["Variables"]["POLLER_SERVERS"] == "live-1,live-2"


def test_every_stage_limits_each_clients_rate_and_production_adds_the_managed_rules(dev, production):
    for stage, managed in ((dev, False), (production, True)):
        stage.template.resource_count_is("AWS::WAFv2::WebACLAssociation", 1)
        [acl] = stage.resources("AWS::WAFv2::WebACL").values()
        rules = {r["Name"]: r for r in acl["Properties"]["Rules"]}
        assert ("aws-common" in rules) is managed
        api = rules["rate-per-ip"]["Statement"]["RateBasedStatement"]
        hook = rules["webhook-rate-per-ip"]["Statement"]["RateBasedStatement"]
        assert api["AggregateKeyType"] == hook["AggregateKeyType"] == "IP" and hook["Limit"] < api["Limit"]
        assert hook["ScopeDownStatement"]["ByteMatchStatement"]["SearchString"] == "/webhooks/"
        for name in ("rate-per-ip", "webhook-rate-per-ip"):
            assert rules[name]["Action"]["Block"]["CustomResponse"]["ResponseCode"] == 429


def test_payouts_sweep_runs_every_minute_and_may_start_executions(dev):
    payouts = dev.stack.payouts
    sweeper, machine = _logical(dev, payouts.sweeper), _logical(dev, payouts.state_machine)
    props = dev.raw["Resources"][sweeper]["Properties"]
    assert props["Handler"] == "functions.payouts.handler.sweep_handler"
    assert props["ReservedConcurrentExecutions"] == 1
    dev.template.has_resource_properties(
        "AWS::Events::Rule",
        {
            "ScheduleExpression": "rate(1 minute)",
            "Targets": Match.array_with([Match.object_like({"Arn": {"Fn::GetAtt": [sweeper, "Arn"]}})]),
        },
    )
    sweeper_role = props["Role"]["Fn::GetAtt"][0]
    dev.template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "Roles": [{"Ref": sweeper_role}],
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [Match.object_like({"Action": Match.array_with(["states:StartExecution"]),
                                        "Resource": {"Ref": machine}})]
                )
            },
        },
    )
