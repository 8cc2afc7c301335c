"""The pollers: one ECS Fargate service per MT5 server, each with exactly one task.

A poller owns its server's deal cursor and carries out its commands exactly once, which assumes a
single poller per server: so `desired_count=1`, and a deployment stops the old task before starting the
new one (`min_healthy_percent=0, max_healthy_percent=100`): a few seconds without polling rather than
two pollers at once. A deployment whose task does not stay up is rolled back (circuit breaker).

The image is built from `functions/poller/Dockerfile` at deploy time (an image asset: synth never calls
Docker). A server with `"api": "manager"` (MetaQuotes' Manager API, a Windows-only package) gets a
Windows Server Core 2022 task instead (1 vCPU, 2 GiB at least), its image built from
`functions/poller/Dockerfile.windows` by a Docker engine in Windows-containers mode; that asset exists
only when such a server is configured.

The task runs in the private subnets and reaches MT5 through the NAT gateway (or a peering), or, for a
server with `"egress": "public"`, in the public subnets with a public address (the NAT gateway charges for
every byte of every read: most of the bill at scale, docs/infrastructure.md, "Costs"); it reaches
Redis (signed in with the cache user's secret; not the database), sends to the evaluation queue,
consumes the command queue and reads its MT5 manager password from Secrets Manager
(`MT5_MANAGER_PASSWORD_SECRET_ID`: the secret's ARN is in the environment, the password never is).
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.constants import (
    METRICS_NAMESPACE,
    POLLER_CYCLE_METRIC,
    POLLER_DOCKERFILE,
    POLLER_WINDOWS_DOCKERFILE,
    REPO_ROOT,
)
from infra.constructs.data import Data
from infra.constructs.network import Network
from infra.constructs.queues import Queues
from infra.settings import Mt5Server

# The image's build context is the repository root; only what the Dockerfile copies is sent.
IMAGE_CONTEXT_EXCLUDE = [
    "*",
    ".*",
    "!pyproject.toml",
    "!layers",
    "!layers/**",
    "!functions",
    "!functions/poller",
    "!functions/poller/**",
    "**/__pycache__",
    "**/*.pyc",
    "layers/*.egg-info",
]


def cycle_flush_metric_name(server: str) -> str:
    return f"PollerCycleFlushes-{server}"


class Pollers(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        network: Network,
        data: Data,
        queues: Queues,
        servers: tuple[Mt5Server, ...],
        shards: int,
        log_retention: logs.RetentionDays,
    ) -> None:
        super().__init__(scope, construct_id)
        self._network, self._data, self._queues = network, data, queues
        self._shards = shards
        self.security_group = network.consumer_groups["poller"]
        # the trade servers (their URLs' ports) and ECR's image layers, through the NAT gateway
        for port in sorted({_port_of(server.url) for server in servers} | {443}):
            self.security_group.add_egress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(port), "to MT5 and ECR (HTTPS)")
        self.cluster = ecs.Cluster(
            self, "Cluster", vpc=network.vpc, container_insights_v2=ecs.ContainerInsights.ENABLED
        )
        self._images: dict[bool, ecs.ContainerImage] = {}
        self._log_retention = log_retention
        self.log_groups: dict[str, logs.LogGroup] = {}
        self.password_secrets: dict[str, secretsmanager.ISecret] = {}
        self.task_definitions: dict[str, ecs.FargateTaskDefinition] = {}
        self.services: dict[str, ecs.FargateService] = {
            server.name: self._build_service(server) for server in servers
        }

    def _build_log_group(self, server: Mt5Server) -> logs.LogGroup:
        """One log group per server, and a metric counting its EMF flushes (a line naming CycleDuration,
        every few cycles): the poller's own metrics carry no server dimension, this one tells which
        server's poller went silent."""
        group = logs.LogGroup(
            self, f"Logs-{server.name}", retention=self._log_retention, removal_policy=RemovalPolicy.DESTROY
        )
        group.add_metric_filter(
            "CycleFlushes",
            filter_pattern=logs.FilterPattern.all_terms(POLLER_CYCLE_METRIC),
            metric_namespace=METRICS_NAMESPACE,
            metric_name=cycle_flush_metric_name(server.name),
            metric_value="1",
        )
        self.log_groups[server.name] = group
        return group

    def cycle_flushes(self, server: str) -> cw.Metric:
        return cw.Metric(
            namespace=METRICS_NAMESPACE,
            metric_name=cycle_flush_metric_name(server),
            statistic="Sum",
            period=Duration.minutes(1),
        )

    def image(self, windows: bool) -> ecs.ContainerImage:
        """The poller image for the platform, made once (a Windows asset only if a server needs it)."""
        if windows not in self._images:
            self._images[windows] = ecs.ContainerImage.from_asset(
                str(REPO_ROOT),
                file=POLLER_WINDOWS_DOCKERFILE if windows else POLLER_DOCKERFILE,
                # a Windows image is built for its host's platform (Windows containers have no --platform)
                platform=None if windows else ecr_assets.Platform.LINUX_AMD64,
                exclude=IMAGE_CONTEXT_EXCLUDE,
            )
        return self._images[windows]

    def _build_password_secret(self, server: Mt5Server) -> secretsmanager.ISecret:
        if server.password_secret_arn:
            return secretsmanager.Secret.from_secret_complete_arn(
                self, f"Mt5Password-{server.name}", server.password_secret_arn
            )
        # Created empty-handed (a random placeholder): the operator puts the real manager password in it
        # (docs/infrastructure.md). The MT5 server owns the password, so Secrets Manager cannot rotate it.
        return secretsmanager.Secret(
            self,
            f"Mt5Password-{server.name}",
            description=f"MT5 manager password for server {server.name} (login {server.manager_login})",
            generate_secret_string=secretsmanager.SecretStringGenerator(exclude_punctuation=True),
        )

    def _build_task(self, server: Mt5Server, secret: secretsmanager.ISecret) -> ecs.FargateTaskDefinition:
        task = ecs.FargateTaskDefinition(
            self,
            f"Task-{server.name}",
            cpu=server.cpu,
            memory_limit_mib=server.memory_mib,
            runtime_platform=ecs.RuntimePlatform(
                operating_system_family=(
                    ecs.OperatingSystemFamily.WINDOWS_SERVER_2022_CORE
                    if server.windows
                    else ecs.OperatingSystemFamily.LINUX
                ),
                cpu_architecture=ecs.CpuArchitecture.X86_64,
            ),
        )
        optional = {"POLLER_GROUPS": ",".join(server.groups)} if server.groups else {}
        if server.account_reads != "pages":
            optional["MT5_ACCOUNT_READS"] = server.account_reads
        task.add_container(
            "poller",
            image=self.image(server.windows),
            essential=True,
            logging=ecs.LogDriver.aws_logs(stream_prefix="poller", log_group=self._build_log_group(server)),
            environment={
                "MT5_URL": server.url,
                "MT5_API": server.api,
                "MT5_MANAGER_LOGIN": str(server.manager_login),
                "MT5_SERVER_NAME": server.name,
                "MT5_MANAGER_PASSWORD_SECRET_ID": secret.secret_arn,
                "EVALUATION_QUEUE_URL": self._queues.evaluation.queue_url,
                "COMMAND_QUEUE_URL": self._queues.commands.queue_url,
                **self._data.redis_environment,
                "POLLER_SHARD_COUNT": str(self._shards),
                "POWERTOOLS_SERVICE_NAME": "poller",
                "POWERTOOLS_METRICS_NAMESPACE": "PropFirm",
                **optional,
            },
        )
        # Least privilege: send evaluations, consume commands, read this server's password.
        self._queues.evaluation.grant_send_messages(task.task_role)
        self._queues.commands.grant_consume_messages(task.task_role)
        secret.grant_read(task.task_role)
        self._data.allow_cache(self.security_group, task.task_role, "poller")
        return task

    def open_sealed_passwords_with(self, key: kms.IKey) -> list[iam.IRole]:
        """Each poller may decrypt (only) the sealed MT5 passwords a create_account command carries, just
        before it creates the account (propfirm.sealing); returns the task roles, for the key's policy."""
        from infra.constructs.api import grant_under_challenge_context

        roles = []
        for task in self.task_definitions.values():
            container = task.default_container
            assert container is not None
            container.add_environment("PROPFIRM_CREDENTIALS_KMS_KEY_ID", key.key_arn)
            grant_under_challenge_context(key, task.task_role, "kms:Decrypt")
            roles.append(task.task_role)
        return roles

    def _build_service(self, server: Mt5Server) -> ecs.FargateService:
        secret = self._build_password_secret(server)
        self.password_secrets[server.name] = secret
        task = self.task_definitions[server.name] = self._build_task(server, secret)
        return ecs.FargateService(
            self,
            f"Service-{server.name}",
            cluster=self.cluster,
            task_definition=task,
            desired_count=1,
            min_healthy_percent=0,
            max_healthy_percent=100,
            circuit_breaker=ecs.DeploymentCircuitBreaker(enable=True, rollback=True),
            # "public": the reads skip the NAT gateway's per-GB charge; the security group admits nothing inbound
            vpc_subnets=self._network.public_subnets if server.egress == "public" else self._network.private_subnets,
            security_groups=[self.security_group],
            assign_public_ip=server.egress == "public",
            enable_execute_command=False,
        )


def _port_of(url: str) -> int:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.port or (80 if parts.scheme == "http" else 443)
