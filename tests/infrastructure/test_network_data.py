"""Network and data stores: two zones, one NAT (two in production), VPC endpoints, Aurora Serverless v2
behind an RDS proxy that requires TLS and IAM auth, Valkey with TLS in transit and at rest and RBAC
users, each store admitting only its consumers."""

import json

from aws_cdk.assertions import Match
from propfirm.live.connection import CACHE_ACCESS_STRING

from infra.constants import CACHE_USER
from infra.constructs.network import CONSUMERS


def test_vpc_two_zones_one_nat(dev, production):
    dev.template.resource_count_is("AWS::EC2::VPC", 1)
    dev.template.resource_count_is("AWS::EC2::NatGateway", 1)
    production.template.resource_count_is("AWS::EC2::NatGateway", 2)
    private = [s for k, s in dev.resources("AWS::EC2::Subnet").items() if "private" in k]
    assert len(private) == 2
    assert all(s["Properties"]["MapPublicIpOnLaunch"] is False for s in private)
    dev.template.resource_count_is("AWS::EC2::FlowLog", 1)


def test_aurora_serverless_v2_encrypted_recent_postgres(dev):
    dev.template.has_resource_properties(
        "AWS::RDS::DBCluster",
        {
            "Engine": "aurora-postgresql",
            "EngineVersion": Match.string_like_regexp(r"^(16\.(6|8|9|1\d)|17\.\d+)$"),
            "StorageEncrypted": True,
            "ServerlessV2ScalingConfiguration": {"MinCapacity": 0.5, "MaxCapacity": 4},
            "BackupRetentionPeriod": 7,
            "DeletionProtection": False,
            "EnableIAMDatabaseAuthentication": True,
        },
    )
    dev.template.resource_count_is("AWS::RDS::DBInstance", 1)  # the writer only
    dev.template.has_resource_properties(
        "AWS::SecretsManager::Secret",
        {"GenerateSecretString": Match.object_like({"SecretStringTemplate": '{"username":"propfirm"}'})},
    )
    # the master's and the runtime login's passwords, both rotated monthly
    dev.template.resource_count_is("AWS::SecretsManager::RotationSchedule", 2)


def test_functions_sign_in_as_the_runtime_login_and_only_the_migrations_as_the_schemas_owner(dev):
    """Separate roles: the master user owns the schema (migrations); everything else is propfirm_runtime,
    a login in propfirm_app, which may only insert and read the audit log (migration 0008)."""
    dev.template.has_resource_properties(
        "AWS::SecretsManager::Secret",
        {"GenerateSecretString": Match.object_like({"SecretStringTemplate": '{"username": "propfirm_runtime"}'})},
    )
    [proxy] = dev.resources("AWS::RDS::DBProxy").values()
    assert len(proxy["Properties"]["Auth"]) == 2  # the proxy can reach Aurora as either user
    functions = {
        f["Properties"]["Handler"]: f["Properties"]["Environment"]["Variables"]
        for f in dev.resources("AWS::Lambda::Function").values()
        if f["Properties"]["Handler"].startswith("functions.")
    }
    for handler, env in functions.items():
        url = str(env["DATABASE_URL"])
        if handler == "functions.migrate.handler.lambda_handler":
            assert "postgresql://propfirm@" in url and "RUNTIME_DATABASE_SECRET_ARN" in env, handler
        else:
            assert "postgresql://propfirm_runtime@" in url and "RUNTIME_DATABASE_SECRET_ARN" not in env, handler
        assert "AUDIT_SEAL_KMS_KEY_ID" in env, handler  # every writer seals the audit rows it appends
    # rds-db:connect: the migration function as propfirm, every other function as propfirm_runtime only
    connects = [
        (str(policy["Properties"]["Roles"]), str(statement["Resource"]))
        for policy in dev.resources("AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement["Action"] == "rds-db:connect"
    ]
    owner = [roles for roles, resource in connects if resource.endswith("/propfirm']}") or "/propfirm'" in resource]
    assert len(owner) == 1 and "Migrations" in owner[0]


def test_the_audit_seal_key_is_an_hmac_key_kept_on_deletion(dev):
    [(key_id, key)] = [
        (k, r) for k, r in dev.resources("AWS::KMS::Key").items() if r["Properties"].get("KeySpec") == "HMAC_256"
    ]
    assert key["Properties"]["KeyUsage"] == "GENERATE_VERIFY_MAC" and key["DeletionPolicy"] == "Retain"
    macs = [
        statement
        for policy in dev.resources("AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if key_id in str(statement["Resource"])
    ]
    assert macs and all(statement["Action"] == "kms:GenerateMac" for statement in macs)  # seal, never verify


def test_webhook_secrets_are_sealed_with_their_own_key_under_their_purpose_only(dev):
    """The API and the migration seal and open, the webhook senders only open; nothing else may use the key,
    and never without the purpose's encryption context."""
    [(key_id, key)] = [
        (k, r) for k, r in dev.resources("AWS::KMS::Key").items()
        if "webhooks' signing secrets" in r["Properties"].get("Description", "")
    ]
    assert key["Properties"]["EnableKeyRotation"] is True and key["DeletionPolicy"] == "Retain"
    uses = {}
    for policy in dev.resources("AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if key_id in str(statement["Resource"]):
                assert statement["Condition"] == {
                    "StringEquals": {"kms:EncryptionContext:purpose": "propfirm-webhook-secret"}
                }, statement
                actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                for role in policy["Properties"]["Roles"]:
                    uses[role["Ref"]] = sorted(actions)
    sealers = sorted(role for role, actions in uses.items() if "kms:Encrypt" in actions)
    openers = sorted(role for role, actions in uses.items() if actions == ["kms:Decrypt"])
    assert len(sealers) == 2 and all(("Api" in r) or ("Migrat" in r) for r in sealers), sealers
    assert len(openers) == 2 and all("Webhooks" in r for r in openers), openers
    named = {
        name: fn["Properties"].get("Environment", {}).get("Variables", {}).get("WEBHOOK_VAULT_KMS_KEY_ID")
        for name, fn in dev.resources("AWS::Lambda::Function").items()
    }
    assert sum(1 for value in named.values() if value) == 4


def test_production_protects_and_adds_a_reader(production):
    production.template.has_resource_properties(
        "AWS::RDS::DBCluster", {"DeletionProtection": True, "BackupRetentionPeriod": 14}
    )
    production.template.resource_count_is("AWS::RDS::DBInstance", 2)


def test_rds_proxy_requires_tls_and_iam(template):
    template.resource_count_is("AWS::RDS::DBProxy", 1)
    template.has_resource_properties(
        "AWS::RDS::DBProxy",
        {
            "EngineFamily": "POSTGRESQL",
            "RequireTLS": True,
            "Auth": [Match.object_like({"IAMAuth": "REQUIRED", "AuthScheme": "SECRETS"})] * 2,
        },
    )


def test_valkey_encrypted_in_transit_and_at_rest_multi_az_in_production(dev, production):
    encrypted = {
        "Engine": "valkey",
        "TransitEncryptionEnabled": True,
        "TransitEncryptionMode": "required",
        "AtRestEncryptionEnabled": True,
    }
    production.template.has_resource_properties(
        "AWS::ElastiCache::ReplicationGroup",
        {**encrypted, "NumCacheClusters": 2, "AutomaticFailoverEnabled": True, "MultiAZEnabled": True},
    )
    dev.template.has_resource_properties(  # one node in development
        "AWS::ElastiCache::ReplicationGroup",
        {**encrypted, "NumCacheClusters": 1, "AutomaticFailoverEnabled": False, "MultiAZEnabled": False},
    )


def _dynamic_reference(value, secret_logical_id: str) -> bool:
    """`{{resolve:secretsmanager:<the secret>:...}}`: CloudFormation reads the secret, the template has none."""
    parts = value["Fn::Join"][1]
    return parts[0] == "{{resolve:secretsmanager:" and parts[1] == {"Ref": secret_logical_id}


def test_valkey_requires_a_user_whose_password_is_in_secrets_manager(dev):
    data = dev.stack.data
    users = {u["Properties"]["UserName"]: u["Properties"] for u in dev.resources("AWS::ElastiCache::User").values()}
    assert set(users) == {CACHE_USER, "default"}
    app_secret, default_secret = (dev.stack.get_logical_id(s.node.default_child) for s in data.cache_secrets)
    assert users[CACHE_USER]["AccessString"] == CACHE_ACCESS_STRING  # run for real in tests/integration/redis_auth
    assert "+@all" not in CACHE_ACCESS_STRING and "-@dangerous" in CACHE_ACCESS_STRING
    assert users["default"]["AccessString"].startswith("off")  # the unauthenticated user is switched off
    for props, secret in ((users[CACHE_USER], app_secret), (users["default"], default_secret)):
        assert props["Engine"] == "valkey" and props["AuthenticationMode"]["Type"] == "password"
        assert "NoPasswordRequired" not in props and "Passwords" not in props
        [password] = props["AuthenticationMode"]["Passwords"]
        assert _dynamic_reference(password, secret)
    generated = dev.raw["Resources"][app_secret]["Properties"]["GenerateSecretString"]
    assert json.loads(generated["SecretStringTemplate"]) == {"username": CACHE_USER}
    assert generated["GenerateStringKey"] == "password" and generated["PasswordLength"] >= 32
    [group] = dev.resources("AWS::ElastiCache::UserGroup").values()
    assert sorted(group["Properties"]["UserIds"]) == sorted(u["UserId"] for u in users.values())
    group_id = dev.stack.get_logical_id(data.cache_user_group)
    dev.template.has_resource_properties(
        "AWS::ElastiCache::ReplicationGroup", {"UserGroupIds": [{"Ref": group_id}]}
    )


def test_vpc_endpoints_for_the_apis_on_the_hot_path(dev):
    endpoints = dev.resources("AWS::EC2::VPCEndpoint").values()
    services = {}
    for endpoint in endpoints:
        props = endpoint["Properties"]
        name = props["ServiceName"]
        name = name if isinstance(name, str) else "".join(p if isinstance(p, str) else "" for p in name["Fn::Join"][1])
        services[name.rsplit(".", 1)[-1]] = props
    interface = {"sqs", "secretsmanager", "events", "logs", "kms", "states", "cognito-idp"}
    assert set(services) == interface | {"s3"}
    for name in interface:
        assert services[name]["VpcEndpointType"] == "Interface" and services[name]["PrivateDnsEnabled"] is True
        assert len(services[name]["SubnetIds"]) == 2
    assert services["s3"]["VpcEndpointType"] == "Gateway"
    # HTTPS from the consumers' groups only, not from the VPC range
    network = dev.stack.network
    assert _ingress_sources(dev, network.endpoint_security_group) == _ids(dev, *CONSUMERS)
    sg = dev.raw["Resources"][dev.stack.get_logical_id(network.endpoint_security_group.node.default_child)]
    assert "SecurityGroupIngress" not in sg["Properties"]


def _ingress_sources(dev, target_group) -> set[str]:
    target = dev.stack.get_logical_id(target_group.node.default_child)
    sources = set()
    for rule in dev.resources("AWS::EC2::SecurityGroupIngress").values():
        props = rule["Properties"]
        if props["GroupId"]["Fn::GetAtt"][0] == target:
            sources.add(props["SourceSecurityGroupId"]["Fn::GetAtt"][0])
    return sources


def _ids(dev, *names) -> set[str]:
    groups = dev.stack.network.consumer_groups
    return {dev.stack.get_logical_id(groups[n].node.default_child) for n in names}


def test_each_store_admits_only_its_consumers(dev):
    data = dev.stack.data
    assert _ingress_sources(dev, data.proxy_security_group) == _ids(
        dev, "evaluator", "relay", "api", "payouts", "migrate", "webhooks", "abuse", "notifications"
    )
    assert _ingress_sources(dev, data.cache_security_group) == _ids(
        dev, "evaluator", "relay", "api", "payouts", "poller"
    )
    assert _ingress_sources(dev, data.db_security_group) >= {
        dev.stack.get_logical_id(data.proxy_security_group.node.default_child)
    }
    assert _ids(dev, "poller").isdisjoint(_ingress_sources(dev, data.db_security_group))


def test_database_url_carries_no_password(dev):
    for fn in dev.resources("AWS::Lambda::Function").values():
        env = fn["Properties"].get("Environment", {}).get("Variables", {})
        if "DATABASE_URL" in env:
            parts = env["DATABASE_URL"]["Fn::Join"][1]
            assert parts[0] in ("postgresql://propfirm@", "postgresql://propfirm_runtime@")  # no ":password"
            assert parts[-1].endswith("/propfirm?sslmode=verify-full")
            assert env["DATABASE_IAM_AUTH"] == "true"



def _egress(dev, group) -> list[tuple[str, int]]:
    """Where a group may go: (the peer: a security group's logical id or a CIDR, the port)."""
    gid = dev.stack.get_logical_id(group.node.default_child)
    found = []
    for rule in dev.resources("AWS::EC2::SecurityGroupEgress").values():
        props = rule["Properties"]
        if props["GroupId"]["Fn::GetAtt"][0] == gid:
            peer = props.get("DestinationSecurityGroupId", {}).get("Fn::GetAtt", [props.get("CidrIp")])[0]
            found.append((peer, props["FromPort"]))
    inline = dev.raw["Resources"][gid]["Properties"].get("SecurityGroupEgress", [])
    found += [(r.get("CidrIp"), r.get("FromPort")) for r in inline if r.get("CidrIp") != "255.255.255.255/32"]
    return sorted(found, key=str)


def test_each_consumer_goes_only_where_it_must(dev):
    """No function may reach the Internet but the webhooks' (HTTPS to the subscribers): HTTPS to the
    endpoints, the proxy and the cache as each needs; the pollers also reach the MT5 server and ECR (HTTPS,
    through the NAT gateway)."""
    network, data = dev.stack.network, dev.stack.data

    def sg(group) -> str:
        return dev.stack.get_logical_id(group.node.default_child)

    endpoints, proxy, cache = (
        sg(network.endpoint_security_group), sg(data.proxy_security_group), sg(data.cache_security_group)
    )
    expected = {
        "evaluator": {(endpoints, 443), (proxy, 5432), (cache, 6379)},
        "relay": {(endpoints, 443), (proxy, 5432), (cache, 6379)},
        "api": {(endpoints, 443), (proxy, 5432), (cache, 6379)},
        "payouts": {(endpoints, 443), (proxy, 5432), (cache, 6379)},
        "migrate": {(endpoints, 443), (proxy, 5432)},
        "poller": {(endpoints, 443), (cache, 6379), ("0.0.0.0/0", 443)},
        "webhooks": {(endpoints, 443), (proxy, 5432), ("0.0.0.0/0", 443)},
        "abuse": {(endpoints, 443), (proxy, 5432)},
        "notifications": {(endpoints, 443), (proxy, 5432), ("0.0.0.0/0", 443)},
    }
    for name, group in network.consumer_groups.items():
        assert set(_egress(dev, group)) == expected[name], name
