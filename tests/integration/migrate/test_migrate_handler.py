"""The migration Lambda against real PostgreSQL: a fresh database gets every migration, a second run
applies nothing, a stale layer (other migrations than the stack's) is refused before touching the
database, and with DATABASE_IAM_AUTH the connection carries an RDS IAM token and requires TLS."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from urllib.parse import parse_qs, urlparse

import boto3
import psycopg
import pytest
from moto import mock_aws
from propfirm.queues.lambda_events import LocalContext
from propfirm.store.deploy import MigrateSettings, connection_url, migrate, migrations_digest
from propfirm.store.migrator import Migration, MigrationError, shipped_migrations
from psycopg import sql

from functions.migrate import handler
from tests.conftest import fresh_database


@pytest.fixture
def empty_database() -> Iterator[str]:
    """A database of this test's own, without any table."""
    with fresh_database("propfirm_migrate") as url:
        yield url


def _applied(url: str) -> list[tuple[int, str]]:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT version, name FROM schema_migrations ORDER BY version").fetchall()


def test_the_handler_applies_every_migration_once(empty_database, monkeypatch):
    shipped = shipped_migrations()
    assert shipped, "no migration shipped"
    monkeypatch.setenv("DATABASE_URL", empty_database)
    monkeypatch.setenv("DATABASE_IAM_AUTH", "false")
    monkeypatch.setenv("MIGRATIONS_SHA256", migrations_digest(shipped))

    first = handler.lambda_handler({}, LocalContext(function_name="migrate"))
    assert first["applied"] == [f"{m.version:04d}_{m.name}" for m in shipped]
    assert first["known"] == len(shipped) and first["sha256"] == migrations_digest(shipped)
    assert _applied(empty_database) == [(m.version, m.name) for m in shipped]
    with psycopg.connect(empty_database) as conn:  # the schema is really there
        assert conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").fetchone() == (True,)

    assert first["programs_added"] and len(first["programs_added"]) == _program_count(empty_database)

    second = handler.lambda_handler({}, LocalContext(function_name="migrate"))
    assert second["applied"] == [] and second["programs_added"] == []  # a redeploy with nothing new: no-op
    assert _applied(empty_database) == [(m.version, m.name) for m in shipped]


def _program_count(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT count(*) FROM programs").fetchone()[0]


def test_programs_are_left_alone_when_asked(empty_database, monkeypatch):
    monkeypatch.setenv("MIGRATE_LOAD_PROGRAMS", "false")
    result = migrate(MigrateSettings(database_url=empty_database, database_iam_auth=False))
    assert result["programs_added"] == [] and _program_count(empty_database) == 0


def test_a_new_migration_is_applied_by_the_next_deploy(empty_database):
    shipped = shipped_migrations()
    settings = MigrateSettings(database_url=empty_database, database_iam_auth=False, migrate_load_programs=False)
    migrate(settings, migrations=shipped)
    extra = Migration(9000, "deploy_check", "CREATE TABLE deploy_check (id integer PRIMARY KEY);")
    result = migrate(settings, migrations=[*shipped, extra])
    assert result["applied"] == ["9000_deploy_check"]
    assert _applied(empty_database)[-1] == (9000, "deploy_check")


def test_a_stale_layer_is_refused_before_touching_the_database(empty_database):
    shipped = shipped_migrations()
    settings = MigrateSettings(
        database_url=empty_database,
        database_iam_auth=False,
        migrations_sha256=migrations_digest([*shipped, Migration(9001, "not_in_layer", "SELECT 1;")]),
    )
    with pytest.raises(MigrationError, match="rebuild the layer"):
        migrate(settings, migrations=shipped)
    with psycopg.connect(empty_database) as conn:
        assert conn.execute("SELECT to_regclass('schema_migrations')").fetchone() == (None,)


def test_the_digest_follows_content_not_order():
    shipped = shipped_migrations()
    assert migrations_digest(reversed(shipped)) == migrations_digest(shipped)
    changed = [Migration(m.version, m.name, m.sql + "\n-- edited") for m in shipped]
    assert migrations_digest(changed) != migrations_digest(shipped)


@mock_aws
def test_iam_auth_puts_a_token_in_the_password_and_requires_tls(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    settings = MigrateSettings(
        database_url="postgresql://propfirm@proxy.example.internal:5432/propfirm?sslmode=require",
        database_iam_auth=True,
        aws_region="us-east-1",
    )
    url = connection_url(settings, boto3.client("rds", region_name="us-east-1"))
    info = psycopg.conninfo.conninfo_to_dict(url)
    assert (info["host"], info["port"], info["user"], info["dbname"]) == (
        "proxy.example.internal",
        "5432",
        "propfirm",
        "propfirm",
    )
    assert info["sslmode"] == "verify-full" and info["sslrootcert"].endswith(".pem")
    token = urlparse("https://" + info["password"])  # an RDS token is a presigned URL without scheme
    assert token.hostname == "proxy.example.internal" and token.port == 5432
    query = parse_qs(token.query)
    assert query["Action"] == ["connect"] and query["DBUser"] == ["propfirm"]
    assert "X-Amz-Signature" in query


def test_the_handler_makes_the_runtime_login_from_its_secret_in_the_application_role(empty_database, monkeypatch):
    login = f"propfirm_runtime_{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("DATABASE_URL", empty_database)
    monkeypatch.setenv("DATABASE_IAM_AUTH", "false")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    try:
        with mock_aws():
            secrets = boto3.client("secretsmanager", region_name="us-east-1")
            arn = secrets.create_secret(
                Name="runtime-db", SecretString=json.dumps({"username": login, "password": "first-Pass-123"})
            )["ARN"]
            monkeypatch.setenv("RUNTIME_DATABASE_SECRET_ARN", arn)
            first = handler.lambda_handler({}, LocalContext(function_name="migrate"))
            secrets.put_secret_value(  # a rotation: the next deploy sets the login's password again
                SecretId=arn, SecretString=json.dumps({"username": login, "password": "second-Pass-456"})
            )
            second = handler.lambda_handler({}, LocalContext(function_name="migrate"))
        assert (first["runtime_login"], second["runtime_login"]) == ("created", "updated")
        with psycopg.connect(empty_database) as conn:
            member = conn.execute(
                "SELECT r.rolcanlogin, r.rolsuper, pg_has_role(r.rolname, 'propfirm_app', 'MEMBER')"
                " FROM pg_roles r WHERE r.rolname = %s",
                (login,),
            ).fetchone()
        assert member == (True, False, True)
    finally:
        with psycopg.connect(empty_database, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(login)))
