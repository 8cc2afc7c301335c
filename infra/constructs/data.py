"""PostgreSQL and Redis, in the private subnets.

- Aurora PostgreSQL Serverless v2 (0.5–N ACU), a writer and optionally a reader, encrypted, backed up,
  with generated master credentials in Secrets Manager (rotated monthly).
- RDS Proxy in front of it: TLS required and IAM authentication, so a Lambda connects with a short-lived
  token (`rds:GenerateDBAuthToken`, granted by `grant_connect`) and never holds the database password.
  Lambdas' bursts of connections are pooled by the proxy instead of reaching Aurora.
- ElastiCache for Valkey, a replication group with cluster mode disabled: the poller and the evaluator
  use a plain (non-cluster) redis-py client, pipelines and scripts over many accounts' keys, which a
  cluster-mode or serverless cache would split by slot. TLS in transit (required) and at rest;
  a replica in the second zone with automatic failover when `cache_nodes >= 2` (always in production).
- Two database users: the master (`propfirm`) owns the schema and only the migration function signs in as
  it; every other function signs in as `propfirm_runtime`, a login of the `propfirm_app` role (migration
  0008), which may only insert and read the audit log. Its password is generated into Secrets Manager,
  which the proxy uses to reach Aurora and the migration function uses to create or update the login;
  the functions themselves sign in to the proxy with IAM tokens.
- The audit seal key: a KMS HMAC key the writers MAC each audit row's hash with (`AUDIT_SEAL_KMS_KEY_ID`,
  `propfirm.store.seals`). PostgreSQL cannot use it, so whoever owns the table can rewrite rows but not
  their seals; kept when the stack is deleted (without it no seal can be checked).
- The webhook secrets key: a KMS symmetric key the outbound webhooks' signing secrets are sealed with at rest
  (`WEBHOOK_VAULT_KMS_KEY_ID`, `propfirm.store.vault`), usable only under that purpose's encryption
  context: the API and the migration seal and open, the webhook senders only open. Rotated yearly by KMS;
  kept when the stack is deleted (without it no stored secret opens).
- Cache authentication (RBAC): a user group with the application user `propfirm`, whose password is
  generated into Secrets Manager (`REDIS_AUTH_SECRET_ARN`, read by `propfirm.live.connection`), and the
  `default` user every group must hold, switched off. The template carries only `{{resolve:...}}`
  references to the secrets, never a password.
"""

from __future__ import annotations

import json
import re

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticache as elasticache
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_rds as rds
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct
from propfirm.live.connection import CACHE_ACCESS_STRING
from propfirm.store.vault import PURPOSE

from infra.constants import APP_DB_USER, AURORA_MIN_ACU, CACHE_USER, DB_NAME, DB_PORT, DB_USER, REDIS_PORT
from infra.constructs.network import Network

AURORA_VERSION = rds.AuroraPostgresEngineVersion.VER_16_13  # 16.4 and older are deprecated for new clusters


def retained_key(scope: Construct, construct_id: str, description: str) -> kms.Key:
    """A symmetric KMS key, rotated yearly, kept when the stack is deleted (what it encrypted would not
    open without it)."""
    return kms.Key(
        scope, construct_id, description=description, enable_key_rotation=True, removal_policy=RemovalPolicy.RETAIN
    )


class Data(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        network: Network,
        production: bool,
        max_acu: float,
        reader: bool,
        cache_node_type: str,
        cache_nodes: int,
    ) -> None:
        super().__init__(scope, construct_id)
        self._network = network
        self.db_security_group = self._security_group("Db", "Aurora: the RDS proxy only")
        self.proxy_security_group = self._security_group("Proxy", "RDS proxy: the database consumers")
        self.cache_security_group = self._security_group("Cache", "Valkey: the Redis consumers")
        self.cluster = self._build_cluster(production, max_acu, reader)
        self.app_database_secret = secretsmanager.Secret(
            self,
            "RuntimeDatabaseUser",
            description=f"the {APP_DB_USER} database login (propfirm_app role): used by the RDS proxy",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                secret_string_template=json.dumps({"username": APP_DB_USER}),
                generate_string_key="password",
                exclude_punctuation=True,
                password_length=40,
            ),
        )
        self.audit_seal_key = kms.Key(
            self,
            "AuditSealKey",
            description="propfirm: seals each audit log row (HMAC), a key the database cannot use",
            key_spec=kms.KeySpec.HMAC_256,
            key_usage=kms.KeyUsage.GENERATE_VERIFY_MAC,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.webhook_secrets_key = retained_key(
            self, "WebhookSecretsKey", "propfirm: seals the outbound webhooks' signing secrets at rest"
        )
        # rotated monthly by Secrets Manager's own PostgreSQL single-user rotation (the login changes its
        # password; its name stays, which IAM sign-in to the proxy relies on)
        self.app_database_secret_attached = self.app_database_secret.attach(self.cluster)
        secretsmanager.SecretRotation(
            self,
            "RuntimeDatabaseUserRotation",
            application=secretsmanager.SecretRotationApplication.POSTGRES_ROTATION_SINGLE_USER,
            secret=self.app_database_secret_attached,
            target=self.cluster,
            vpc=self._network.vpc,
            vpc_subnets=self._network.private_subnets,
            automatically_after=Duration.days(30),
            exclude_characters=" %+~`#$&*()|[]{}:;<>?!'/@\"\\",
        )
        self.proxy = self._build_proxy()
        self.cache_secret, self.cache_user_group = self._build_cache_auth()
        self.cache = self._build_cache(cache_node_type, cache_nodes, production)

    def database_url_for(self, user: str) -> str:
        """No password: the consumer adds an IAM token (RDS Proxy requires TLS and IAM auth)."""
        return f"postgresql://{user}@{self.proxy.endpoint}:{DB_PORT}/{DB_NAME}?sslmode=verify-full"

    @property
    def database_url(self) -> str:
        return self.database_url_for(APP_DB_USER)

    @property
    def redis_url(self) -> str:
        return (
            f"rediss://{self.cache.attr_primary_end_point_address}:{self.cache.attr_primary_end_point_port}/0"
        )

    def allow_database(
        self, consumer: ec2.ISecurityGroup, grantee: iam.IGrantable, name: str, user: str = APP_DB_USER
    ) -> None:
        """The consumer may reach the proxy and sign in as `user` (the runtime login; the master user is
        the migration function's only); a writer of the audit log may seal its rows."""
        self.proxy_security_group.add_ingress_rule(
            consumer, ec2.Port.tcp(DB_PORT), f"{name} to the RDS proxy"
        )
        consumer.add_egress_rule(self.proxy_security_group, ec2.Port.tcp(DB_PORT), "to the RDS proxy")
        self.proxy.grant_connect(grantee, user)
        self.audit_seal_key.grant(grantee, "kms:GenerateMac")

    @property
    def database_environment(self) -> dict[str, str]:
        """What a consumer needs to reach PostgreSQL: the proxy's URL, signed in with IAM tokens (no password)
        as the runtime login; the key that seals the audit rows it writes."""
        return {
            "DATABASE_URL": self.database_url,
            "DATABASE_IAM_AUTH": "true",
            "AUDIT_SEAL_KMS_KEY_ID": self.audit_seal_key.key_arn,
        }

    @property
    def migration_database_environment(self) -> dict[str, str]:
        """The migration function's: the master user (it owns the schema), and the runtime login's secret
        (it creates the login, or sets its password again)."""
        return {
            "DATABASE_URL": self.database_url_for(DB_USER),
            "DATABASE_IAM_AUTH": "true",
            "AUDIT_SEAL_KMS_KEY_ID": self.audit_seal_key.key_arn,
            "RUNTIME_DATABASE_SECRET_ARN": self.app_database_secret.secret_arn,
        }

    def allow_webhook_secrets(self, grantee: iam.IGrantable, *, seal: bool) -> dict[str, str]:
        """The grantee may open (and, with `seal`, seal) webhook secrets, only under their purpose's
        encryption context; the environment that names the key."""
        actions = ["kms:Decrypt", "kms:Encrypt"] if seal else ["kms:Decrypt"]
        [(name, value)] = PURPOSE.items()
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=actions,
                resources=[self.webhook_secrets_key.key_arn],
                conditions={"StringEquals": {f"kms:EncryptionContext:{name}": value}},
            )
        )
        return {"WEBHOOK_VAULT_KMS_KEY_ID": self.webhook_secrets_key.key_arn}

    @property
    def redis_environment(self) -> dict[str, str]:
        """What a consumer needs to reach the cache: the TLS URL and the secret with its user."""
        return {"REDIS_URL": self.redis_url, "REDIS_AUTH_SECRET_ARN": self.cache_secret.secret_arn}

    def allow_cache(self, consumer: ec2.ISecurityGroup, grantee: iam.IGrantable, name: str) -> None:
        self.cache_security_group.add_ingress_rule(consumer, ec2.Port.tcp(REDIS_PORT), f"{name} to Valkey")
        consumer.add_egress_rule(self.cache_security_group, ec2.Port.tcp(REDIS_PORT), "to Valkey")
        self.cache_secret.grant_read(grantee)

    def _security_group(self, construct_id: str, description: str) -> ec2.SecurityGroup:
        return ec2.SecurityGroup(
            self,
            f"{construct_id}Sg",
            vpc=self._network.vpc,
            description=description,
            allow_all_outbound=False,
        )

    def _build_cluster(self, production: bool, max_acu: float, reader: bool) -> rds.DatabaseCluster:
        insights = {"enable_performance_insights": production}  # the same on the cluster and its instances
        readers = (
            [rds.ClusterInstance.serverless_v2("reader", scale_with_writer=True, **insights)]
            if reader
            else []
        )
        cluster = rds.DatabaseCluster(
            self,
            "Aurora",
            engine=rds.DatabaseClusterEngine.aurora_postgres(version=AURORA_VERSION),
            credentials=rds.Credentials.from_generated_secret(DB_USER),
            default_database_name=DB_NAME,
            writer=rds.ClusterInstance.serverless_v2("writer", **insights),
            readers=readers,
            serverless_v2_min_capacity=AURORA_MIN_ACU,
            serverless_v2_max_capacity=max_acu,
            vpc=self._network.vpc,
            vpc_subnets=self._network.private_subnets,
            security_groups=[self.db_security_group],
            storage_encrypted=True,
            iam_authentication=True,
            backup=rds.BackupProps(retention=Duration.days(14 if production else 7)),
            deletion_protection=production,
            removal_policy=RemovalPolicy.SNAPSHOT,
            cloudwatch_logs_exports=["postgresql"],
            enable_performance_insights=production,
        )
        cluster.add_rotation_single_user(automatically_after=Duration.days(30))
        return cluster

    def _build_proxy(self) -> rds.DatabaseProxy:
        assert self.cluster.secret is not None
        proxy = rds.DatabaseProxy(
            self,
            "Proxy",
            proxy_target=rds.ProxyTarget.from_cluster(self.cluster),
            secrets=[self.cluster.secret, self.app_database_secret],
            vpc=self._network.vpc,
            vpc_subnets=self._network.private_subnets,
            security_groups=[self.proxy_security_group],
            require_tls=True,
            iam_auth=True,
            client_password_auth_type=rds.ClientPasswordAuthType.POSTGRES_SCRAM_SHA_256,
            idle_client_timeout=Duration.minutes(30),
            max_connections_percent=90,
        )
        # ProxyTarget.from_cluster opens proxy -> cluster on the cluster's port (both directions' rules)
        return proxy

    def _build_cache_auth(self) -> tuple[secretsmanager.Secret, elasticache.CfnUserGroup]:
        # RBAC ids are unique per account and region: derived from the stack name (lower case, a-z0-9-)
        prefix = re.sub(r"[^a-z0-9-]", "-", Stack.of(self).stack_name.lower())
        prefix = prefix if prefix[:1].isalpha() else f"p{prefix}"
        app_secret = secretsmanager.Secret(
            self,
            "CacheUserSecret",
            description=f"Valkey user {CACHE_USER}: REDIS_AUTH_SECRET_ARN of every cache consumer",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                secret_string_template=json.dumps({"username": CACHE_USER}),
                generate_string_key="password",
                exclude_punctuation=True,  # ElastiCache passwords: 16-128 printable, no spaces or quotes
                password_length=64,
            ),
        )
        default_secret = secretsmanager.Secret(
            self,
            "CacheDefaultUserSecret",
            description="Valkey 'default' user (switched off; a group must hold it, with a password)",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                exclude_punctuation=True, password_length=64
            ),
        )
        app_user = elasticache.CfnUser(
            self,
            "CacheUser",
            engine="valkey",
            user_id=f"{prefix}-app",
            user_name=CACHE_USER,
            access_string=CACHE_ACCESS_STRING,  # the live state's commands only (propfirm.live.connection)
            authentication_mode={
                "Type": "password",
                "Passwords": [app_secret.secret_value_from_json("password").unsafe_unwrap()],
            },
        )
        default_user = elasticache.CfnUser(
            self,
            "CacheDefaultUser",
            engine="valkey",
            user_id=f"{prefix}-default",
            user_name="default",
            access_string="off -@all",
            authentication_mode={"Type": "password", "Passwords": [default_secret.secret_value.unsafe_unwrap()]},
        )
        group = elasticache.CfnUserGroup(
            self,
            "CacheUsers",
            engine="valkey",
            user_group_id=f"{prefix}-users",
            user_ids=[default_user.user_id, app_user.user_id],
        )
        group.node.add_dependency(default_user, app_user)  # the ids above are plain strings, not references
        self.cache_secrets = (app_secret, default_secret)
        return app_secret, group

    def _build_cache(self, node_type: str, nodes: int, production: bool) -> elasticache.CfnReplicationGroup:
        subnets = elasticache.CfnSubnetGroup(
            self,
            "CacheSubnets",
            description="propfirm Valkey: private subnets",
            subnet_ids=self._network.vpc.select_subnets(
                subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS
            ).subnet_ids,
        )
        return elasticache.CfnReplicationGroup(
            self,
            "Cache",
            replication_group_description="propfirm live state (snapshots, floors, poller state)",
            engine="valkey",
            engine_version="8.0",
            cache_parameter_group_name="default.valkey8",
            cache_node_type=node_type,
            num_cache_clusters=nodes,
            automatic_failover_enabled=nodes >= 2,
            multi_az_enabled=nodes >= 2,
            cache_subnet_group_name=subnets.ref,
            security_group_ids=[self.cache_security_group.security_group_id],
            port=REDIS_PORT,
            transit_encryption_enabled=True,
            transit_encryption_mode="required",
            user_group_ids=[self.cache_user_group.ref],
            at_rest_encryption_enabled=True,
            snapshot_retention_limit=7 if production else 1,
            auto_minor_version_upgrade=True,
        )
