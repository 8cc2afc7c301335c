"""Database migrations applied on every deploy: the migration Lambda (`functions/migrate/handler.py`)
and a CDK trigger that invokes it during the deployment. Like `propfirm migrate`, it then loads the
shipped example programs (unchanged ones add nothing) unless `propfirm:loadExamplePrograms` is false.

- The trigger runs after everything in `Data` (Aurora, its instances, the proxy and the proxy's
  security-group rules) and before the functions that use the schema, so new code never meets an old
  schema. A failed migration fails the deployment, and CloudFormation rolls the stack back.
- It runs when the trigger is created and whenever the function's version changes
  (`execute_on_handler_change`): the digest of the migration files is in the function's environment
  (MIGRATIONS_SHA256), so a new migration makes a new version and runs again; the handler refuses a
  layer whose migrations have another digest (the layer was not rebuilt).
- The function reaches the proxy like the others: its own security group, IAM authentication
  (`rds-db:connect`), no password anywhere.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path

from aws_cdk import Duration, triggers
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.constants import DB_USER, MIGRATE_HANDLER, MIGRATE_TIMEOUT_SECONDS, MIGRATIONS_DIR
from infra.constructs.data import Data
from infra.constructs.functions import python_function
from infra.constructs.network import Network
from infra.constructs.shared_layer import SharedCode

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")  # propfirm.store.migrator's file names


def migrations_sha256(directory: Path = MIGRATIONS_DIR) -> str:
    """The digest `propfirm.store.deploy.migrations_digest` computes from the shipped migrations."""
    found = []
    for path in directory.iterdir():
        match = _NAME.match(path.name)
        if match:
            content = hashlib.sha256(path.read_text(encoding="utf-8").encode()).hexdigest()
            found.append((int(match.group(1)), match.group(2), content))
    if not found:
        raise FileNotFoundError(f"no migration in {directory}")
    digest = hashlib.sha256()
    for version, name, content in sorted(found):
        digest.update(f"{version:04d}_{name} {content}\n".encode())
    return digest.hexdigest()


class Migrations(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        shared: SharedCode,
        network: Network,
        data: Data,
        log_retention: logs.RetentionDays,
        load_example_programs: bool = True,
        migrations_dir: Path = MIGRATIONS_DIR,
    ) -> None:
        super().__init__(scope, construct_id)
        self.digest = migrations_sha256(migrations_dir)
        self.function = python_function(
            self,
            "Function",
            shared=shared,
            network=network,
            security_group=network.consumer_groups["migrate"],
            handler=MIGRATE_HANDLER,
            service="migrate",
            environment={
                **data.migration_database_environment,
                "MIGRATIONS_SHA256": self.digest,
                "MIGRATE_LOAD_PROGRAMS": str(load_example_programs).lower(),
            },
            timeout=Duration.seconds(MIGRATE_TIMEOUT_SECONDS),
            reserved_concurrency=None,
            log_retention=log_retention,
            description="applies the database migrations on deploy (CDK trigger)",
        )
        data.allow_database(network.consumer_groups["migrate"], self.function, "migrate", user=DB_USER)
        data.app_database_secret.grant_read(self.function)  # to create the runtime login with its password
        for name, value in data.allow_webhook_secrets(self.function, seal=True).items():  # seals older ones
            self.function.add_environment(name, value)
        self.trigger = triggers.Trigger(
            self,
            "OnDeploy",
            handler=self.function,
            timeout=Duration.seconds(MIGRATE_TIMEOUT_SECONDS),
            invocation_type=triggers.InvocationType.REQUEST_RESPONSE,
            execute_on_handler_change=True,
            execute_after=[data],
        )

    def before(self, consumers: Sequence[lambda_.IFunction]) -> None:
        """The schema is migrated before these functions (and their event sources) are updated."""
        self.trigger.execute_before(*consumers)
