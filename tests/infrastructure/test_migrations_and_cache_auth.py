"""Migrations on deploy (the migration Lambda and its CDK trigger, after the database and before the
functions that use the schema) and the cache's credentials reaching every Redis consumer."""

from pathlib import Path

from propfirm.store.deploy import migrations_digest
from propfirm.store.migrator import shipped_migrations

from infra.constructs.migrations import migrations_sha256
from tests.infrastructure.test_compute import _actions, _policy_statements, project_functions, task_role_id


def _logical(synthesized, construct) -> str:
    return synthesized.stack.get_logical_id(construct.node.default_child)


def _depends_on(synthesized, logical_id: str) -> set[str]:
    depends = synthesized.raw["Resources"][logical_id].get("DependsOn", [])
    return set([depends] if isinstance(depends, str) else depends)


def test_the_migration_function_reaches_the_proxy_with_iam_and_knows_the_migrations(dev):
    migrate = dev.stack.migrations.function
    props = dev.raw["Resources"][_logical(dev, migrate)]["Properties"]
    env = props["Environment"]["Variables"]
    assert props["Handler"] == "functions.migrate.handler.lambda_handler"
    assert env["DATABASE_IAM_AUTH"] == "true" and env["DATABASE_URL"]["Fn::Join"][1][0] == "postgresql://propfirm@"
    assert "REDIS_URL" not in env  # the database only
    # the digest the handler checks is the one of the migrations the layer is built from
    assert env["MIGRATIONS_SHA256"] == migrations_digest(shipped_migrations())
    assert env["MIGRATE_LOAD_PROGRAMS"] == "true"  # as `propfirm migrate`: the shipped examples
    assert props["Timeout"] == 600 and props["VpcConfig"]["SubnetIds"]
    statements = _policy_statements(dev, dev.stack.get_logical_id(migrate.role.node.default_child))
    assert any("rds-db:connect" in str(st["Action"]) for st in statements)


def test_the_trigger_runs_after_the_database_and_before_the_schemas_consumers(dev):
    [(trigger_id, trigger)] = dev.resources("Custom::Trigger").items()
    props = trigger["Properties"]
    version = props["HandlerArn"]["Ref"]  # the function's current version: a new version runs it again
    assert dev.raw["Resources"][version]["Type"] == "AWS::Lambda::Version"
    assert dev.raw["Resources"][version]["Properties"]["FunctionName"] == {
        "Ref": _logical(dev, dev.stack.migrations.function)
    }
    assert props["InvocationType"] == "RequestResponse" and props["ExecuteOnHandlerChange"] is True
    assert props["Timeout"] == "600000"
    data = dev.stack.data
    after = _depends_on(dev, trigger_id)
    assert {
        _logical(dev, data.cluster),
        _logical(dev, data.proxy),
        *(k for k in dev.raw["Resources"] if k.startswith("DataAurorawriter")),
        *(k for k in dev.raw["Resources"] if k.startswith("DataProxyProxyTargetGroup")),
        *(k for k in dev.raw["Resources"] if k.startswith("DataProxySgfromPropfirmNetworkMigrateSg")),
    } <= after
    assert len([k for k in after if k.startswith("DataProxySgfromPropfirmNetworkMigrateSg")]) == 1
    for fn in dev.stack.schema_consumers:
        assert trigger_id in _depends_on(dev, _logical(dev, fn)), fn.node.path
    # the event source mappings come with their functions: nothing consumes before the schema is there
    evaluator_mapping = next(
        k
        for k, v in dev.resources("AWS::Lambda::EventSourceMapping").items()
        if v["Properties"]["FunctionName"] == {"Ref": _logical(dev, dev.stack.evaluator.function)}
    )
    assert trigger_id in _depends_on(dev, evaluator_mapping)


def test_the_digest_changes_with_the_migrations(tmp_path: Path):
    for migration in shipped_migrations():
        (tmp_path / f"{migration.version:04d}_{migration.name}.sql").write_text(migration.sql, encoding="utf-8")
    (tmp_path / "README.md").write_text("not a migration")
    assert migrations_sha256(tmp_path) == migrations_sha256() == migrations_digest(shipped_migrations())
    (tmp_path / "9999_next.sql").write_text("SELECT 1;")
    assert migrations_sha256(tmp_path) != migrations_sha256()


def test_every_redis_consumer_gets_the_cache_secret(dev):
    secret = _logical(dev, dev.stack.data.cache_secret)
    consumers = {
        k: f for k, f in project_functions(dev).items() if "REDIS_URL" in f["Properties"]["Environment"]["Variables"]
    }
    assert len(consumers) == 5  # evaluator, relay, payouts worker and sweep, API
    for logical_id, fn in consumers.items():
        env = fn["Properties"]["Environment"]["Variables"]
        assert env["REDIS_AUTH_SECRET_ARN"] == {"Ref": secret}, logical_id
        assert env["REDIS_URL"]["Fn::Join"][1][0] == "rediss://"
        role = fn["Properties"]["Role"]["Fn::GetAtt"][0]
        assert "secretsmanager:GetSecretValue" in _actions(_policy_statements(dev, role), secret), logical_id
    task = next(iter(dev.resources("AWS::ECS::TaskDefinition").values()))
    env = {e["Name"]: e["Value"] for e in task["Properties"]["ContainerDefinitions"][0]["Environment"]}
    assert env["REDIS_AUTH_SECRET_ARN"] == {"Ref": secret}
    assert "secretsmanager:GetSecretValue" in _actions(_policy_statements(dev, task_role_id(dev)), secret)
    migrate_role = dev.stack.get_logical_id(dev.stack.migrations.function.role.node.default_child)
    assert not _actions(_policy_statements(dev, migrate_role), secret)  # no cache, no cache secret
