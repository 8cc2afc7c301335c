"""Network and data stores: two zones, one NAT (two in production), Aurora Serverless v2 behind an RDS
proxy that requires TLS and IAM auth, Valkey with TLS in transit and at rest, each store admitting only
its consumers."""

from aws_cdk.assertions import Match


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
    dev.template.resource_count_is("AWS::SecretsManager::RotationSchedule", 1)


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
            "Auth": [Match.object_like({"IAMAuth": "REQUIRED", "AuthScheme": "SECRETS"})],
        },
    )


def test_valkey_encrypted_in_transit_and_at_rest(template):
    template.has_resource_properties(
        "AWS::ElastiCache::ReplicationGroup",
        {
            "Engine": "valkey",
            "TransitEncryptionEnabled": True,
            "TransitEncryptionMode": "required",
            "AtRestEncryptionEnabled": True,
            "NumCacheClusters": 2,
            "AutomaticFailoverEnabled": True,
            "MultiAZEnabled": True,
        },
    )


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
        dev, "evaluator", "relay", "api", "payouts"
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
            assert parts[0].startswith("postgresql://propfirm@")  # user, no ":password"
            assert parts[-1].endswith("/propfirm?sslmode=require")
            assert env["DATABASE_IAM_AUTH"] == "true"
