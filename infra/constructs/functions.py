"""One way to build the project's Lambdas: Python 3.12 with the shared layer, in the private subnets
behind the consumer's security group, X-Ray tracing, and a log group of its own with retention."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.constants import LAMBDA_MEMORY_MB, METRICS_NAMESPACE
from infra.constructs.network import Network
from infra.constructs.shared_layer import ARCHITECTURE, RUNTIME, SharedCode


def python_function(
    scope: Construct,
    construct_id: str,
    *,
    shared: SharedCode,
    network: Network,
    security_group: ec2.ISecurityGroup,
    handler: str,
    service: str,
    environment: dict[str, str],
    timeout: Duration,
    log_retention: logs.RetentionDays,
    memory_mb: int = LAMBDA_MEMORY_MB,
    reserved_concurrency: int | None = None,
    description: str = "",
) -> lambda_.Function:
    log_group = logs.LogGroup(
        scope, f"{construct_id}Logs", retention=log_retention, removal_policy=RemovalPolicy.DESTROY
    )
    return lambda_.Function(
        scope,
        construct_id,
        runtime=RUNTIME,
        architecture=ARCHITECTURE,
        code=shared.function_code,
        handler=handler,
        layers=[shared.layer],
        memory_size=memory_mb,
        timeout=timeout,
        vpc=network.vpc,
        vpc_subnets=network.private_subnets,
        security_groups=[security_group],
        environment={
            "POWERTOOLS_SERVICE_NAME": service,
            "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
            # traces keep timings and the call graph, never a response or an exception (either can carry
            # a password, a token or personal data): the default for every tracer a function makes
            "POWERTOOLS_TRACER_CAPTURE_RESPONSE": "false",
            "POWERTOOLS_TRACER_CAPTURE_ERROR": "false",
            **environment,
        },
        tracing=lambda_.Tracing.ACTIVE,
        log_group=log_group,
        reserved_concurrent_executions=reserved_concurrency,
        description=description,
    )
