"""What the migration Lambda runs (`functions/migrate/handler.py` exports `lambda_handler`): applies
`propfirm.store.migrator`'s migrations on every deploy, then loads the
shipped example programs (as `propfirm migrate` does; unchanged programs add nothing) unless
MIGRATE_LOAD_PROGRAMS is false. It also seals the webhook secrets written before they were sealed at rest
(`propfirm.store.vault`, with WEBHOOK_VAULT_KMS_KEY_ID).

A CDK trigger (`infra/constructs/migrations.py`) invokes it once the database and its proxy are up and
before the functions that use the schema are updated; it runs again whenever the migrations change
(their digest is in MIGRATIONS_SHA256, so a new migration is a new function version). A failure fails
the deployment, which CloudFormation rolls back.

Like the other functions it reaches Aurora through RDS Proxy with IAM authentication: DATABASE_URL has
no password, the token is made for the connection (`propfirm.store.db.iam_token_kwargs`). The
migrator's advisory lock pins the proxy connection for the run, which is what a migration wants.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

import psycopg
from pydantic import Field

from propfirm.observability import function_logger
from propfirm.settings import DatabaseSettings, load
from propfirm.store.db import DatabaseAuthSettings, iam_token_kwargs
from propfirm.store.migrator import Migration, MigrationError, apply_migrations, shipped_migrations
from propfirm.store.programs import load_shipped_programs
from propfirm.store.roles import ensure_runtime_login
from propfirm.store.uow import UnitOfWork
from propfirm.store.webhooks import WebhookStore

logger = function_logger("migrate")


class MigrateSettings(DatabaseSettings, DatabaseAuthSettings):
    migrations_sha256: str = Field(
        "", description="digest of the migrations the stack was built from (empty: not checked)"
    )
    migrate_load_programs: bool = Field(True, description="load the shipped example programs afterwards")
    runtime_database_secret_arn: str | None = Field(
        None, description="the runtime login's secret (username, password): created or updated after the migrations"
    )


def migrations_digest(migrations: Iterable[Migration]) -> str:
    """One SHA-256 over every migration's version, name and content (infra computes the same from the
    files; tests/infrastructure checks the two agree)."""
    digest = hashlib.sha256()
    for migration in sorted(migrations, key=lambda m: m.version):
        digest.update(f"{migration.version:04d}_{migration.name} {migration.checksum}\n".encode())
    return digest.hexdigest()


def connection_url(settings: MigrateSettings, rds_client: Any = None) -> str:
    """DATABASE_URL, plus a fresh IAM token as password and TLS when DATABASE_IAM_AUTH is on."""
    if not settings.database_iam_auth:
        return settings.database_url
    extra = iam_token_kwargs(settings.database_url, settings.aws_region, rds_client)()
    return psycopg.conninfo.make_conninfo(
        settings.database_url, password=extra["password"], sslmode=extra["sslmode"], sslrootcert=extra["sslrootcert"]
    )


def runtime_login(settings: MigrateSettings, url: str, secrets_client: Any = None) -> str | None:
    """The functions' own login (propfirm.store.roles), with the password of its secret."""
    if not settings.runtime_database_secret_arn:
        return None
    if secrets_client is None:
        import boto3

        secrets_client = boto3.client("secretsmanager", region_name=settings.aws_region)
    value = secrets_client.get_secret_value(SecretId=settings.runtime_database_secret_arn)["SecretString"]
    secret = json.loads(value)
    return ensure_runtime_login(url, secret["username"], secret["password"])


def migrate(
    settings: MigrateSettings,
    rds_client: Any = None,
    migrations: list[Migration] | None = None,
    secrets_client: Any = None,
) -> dict[str, Any]:
    migrations = shipped_migrations() if migrations is None else migrations
    digest = migrations_digest(migrations)
    if settings.migrations_sha256 and settings.migrations_sha256 != digest:
        # The layer carries other migrations than the ones the stack was synthesized from: a stale
        # build/layer. Applying them would leave the schema behind the code being deployed.
        raise MigrationError(
            f"the layer's migrations (sha256 {digest[:12]}) are not the repository's "
            f"({settings.migrations_sha256[:12]}): rebuild the layer (python -m infra.build_layer) and deploy again"
        )
    url = connection_url(settings, rds_client)
    applied = apply_migrations(url, migrations)
    login = runtime_login(settings, url, secrets_client)
    with UnitOfWork(url) as uow:  # webhook secrets written before they were sealed at rest
        sealed = WebhookStore(uow).seal_plain_secrets()
        uow.commit()
    programs = []
    if settings.migrate_load_programs:
        with UnitOfWork(url) as uow:
            programs = [r.describe() for r in load_shipped_programs(uow) if r.added]
            uow.commit()
    return {
        "applied": [f"{m.version:04d}_{m.name}" for m in applied],
        "known": len(migrations),
        "sha256": digest,
        "programs_added": programs,
        "runtime_login": login,
        "webhook_secrets_sealed": sealed,
    }


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    result = migrate(load(MigrateSettings))
    logger.info("migrations applied", extra=result)
    return result
