"""cdk-nag (AwsSolutions pack, cdk-nag 3.x API) and the findings this design accepts, each with its reason.

cdk-nag 3 runs as a policy-validation plugin: `Validations.of(app).add_plugins(AwsSolutionsChecks(app))`,
and an unacknowledged error fails synth. An acknowledgement needs the pack prefix ("AwsSolutions::");
IAM findings name the exact policy, e.g. `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:...]`.
Each acknowledgement is scoped to the constructs it is about (a public API method, a secret, ...), so
the same finding elsewhere (say, a new method without the authorizer) still fails synth.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct

if TYPE_CHECKING:
    from infra.stacks.propfirm_stack import PropfirmStack

MANAGED = "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"


def add_checks(app: cdk.App) -> None:
    cdk.Validations.of(app).add_plugins(
        AwsSolutionsChecks(app, verbose=False, write_suppressions_to_cloud_formation=True)
    )


def acknowledge(scopes: Iterable[IConstruct], rule: str, reason: str) -> None:
    for scope in scopes:
        cdk.Validations.of(scope).acknowledge(cdk.Acknowledgment(id=f"AwsSolutions::{rule}", reason=reason))


Finding = tuple[Callable[["PropfirmStack"], list[IConstruct]], str, str]


def _functions(s: PropfirmStack) -> list[IConstruct]:
    return [*s.schema_consumers, s.migrations.function]


def _public_methods(s: PropfirmStack) -> list[IConstruct]:
    root = s.api.rest_api.root
    return [
        (root.resource_for_path(path) if path else root).node.find_child(method) for path, method in _public_routes()
    ]


def _public_routes() -> tuple[tuple[str, str], ...]:
    from infra.constructs.api import PUBLIC_ROUTES

    return PUBLIC_ROUTES


ACCEPTED: list[Finding] = [
    (
        _public_methods,
        "AwsSolutions-APIG4",
        "public by design: /health, /openapi.json and /docs carry no data; the purchase webhook is "
        "authenticated by its HMAC signature (X-Signature), checked by the handler before anything else; "
        "OPTIONS is the browsers' CORS preflight, which never carries a token (the handler answers it)",
    ),
    (_public_methods, "AwsSolutions-COG4", "same public routes as APIG4: no Cognito user calls them"),
    (
        lambda s: [s.api.rest_api],
        "AwsSolutions-APIG2",
        "the handler validates every request body against its pydantic model and answers 422 (problem+json)",
    ),
    (
        lambda s: [s.api.rest_api],
        f"AwsSolutions-IAM4[{MANAGED}AmazonAPIGatewayPushToCloudWatchLogs]",
        "the account-level role API Gateway uses to write logs; AWS's managed policy is the documented one",
    ),
    (
        _functions,
        f"AwsSolutions-IAM4[{MANAGED}AWSLambdaBasicExecutionRole]",
        "logs only, to the function's own log group; AWS's minimal managed policy",
    ),
    (
        _functions,
        f"AwsSolutions-IAM4[{MANAGED}AWSLambdaVPCAccessExecutionRole]",
        "network interfaces for a function in the VPC; AWS's minimal managed policy",
    ),
    (
        _functions,
        "AwsSolutions-IAM5[Resource::*]",
        "xray:PutTraceSegments/PutTelemetryRecords only, which take no resource",
    ),
    (
        lambda s: [s.payouts.state_machine],
        "AwsSolutions-IAM5[Resource::*]",
        "X-Ray and CloudWatch Logs delivery actions, which take no resource (Step Functions logging)",
    ),
    (
        lambda s: list(s.pollers.task_definitions.values()),
        "AwsSolutions-IAM5[Resource::*]",
        "ecr:GetAuthorizationToken for the image pull, which takes no resource",
    ),
    (
        _functions,
        "AwsSolutions-L1",
        "Python 3.12 on purpose: the layer's wheels are built for cp312 (infra/build_layer.py); "
        "move both together",
    ),
    (
        lambda s: list(s.pollers.task_definitions.values()),
        "AwsSolutions-ECS2",
        "the environment holds addresses and the secret's ARN only; the password is read from "
        "Secrets Manager",
    ),
    (
        lambda s: list(s.pollers.password_secrets.values()),
        "AwsSolutions-SMG4",
        "the MT5 manager password is set on the MT5 server; Secrets Manager cannot rotate it there",
    ),
    (
        lambda s: [s.api.webhook_secret],
        "AwsSolutions-SMG4",
        "the webhook key is shared with the shop, which must change it at the same time; rotated by hand",
    ),
    (
        lambda s: [s.notifications.channels] if s.notifications else [],
        "AwsSolutions-SMG4",
        "Telegram's bot token and Discord's webhook URL are issued by those services; an operator replaces them "
        "there and here together (docs/integrations.md)",
    ),
    (
        lambda s: list(s.data.cache_secrets),
        "AwsSolutions-SMG4",
        "the cache users' passwords live in ElastiCache too: a rotation must change the user and the secret "
        "together (two passwords at once, then a restart of the consumers), done by hand (docs/infrastructure.md)",
    ),
    (
        lambda s: [s.data.cache],
        "AwsSolutions-AEC6",
        "authenticated by RBAC instead of a single AUTH token (which is all AEC6 looks for): a user group with "
        "the application user, its password generated in Secrets Manager, and the default user switched off",
    ),
]

def _bucket_deployment(s: PropfirmStack) -> list[IConstruct]:
    """The dashboards' deployment function (a CDK singleton at the stack's root)."""
    return [c for c in s.node.children if c.node.id.startswith("Custom::CDKBucketDeployment")]


def _distribution(s: PropfirmStack) -> list[IConstruct]:
    return [s.web.distribution] if s.web is not None else []


DEPLOYMENT = "CDK's BucketDeployment function, which copies the built dashboards into their bucket at deploy time"

ACCEPTED += [
    (_bucket_deployment, f"AwsSolutions-IAM4[{MANAGED}AWSLambdaBasicExecutionRole]", f"{DEPLOYMENT}: its logs only"),
    *[
        (_bucket_deployment, f"AwsSolutions-IAM5[{finding}]", f"{DEPLOYMENT}: CDK's grant on the asset and bucket")
        for finding in (
            "Action::s3:GetBucket*",
            "Action::s3:GetObject*",
            "Action::s3:List*",
            "Action::s3:Abort*",
            "Action::s3:DeleteObject*",
            "Resource::<WebAssetsDD5BFD6C.Arn>/*",
            "Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*",
        )
    ],
    (_bucket_deployment, "AwsSolutions-IAM5[Resource::*]", f"{DEPLOYMENT}: CloudFront invalidations take no resource"),
    (_bucket_deployment, "AwsSolutions-L1", f"{DEPLOYMENT}: its runtime is CDK's choice, moved with aws-cdk-lib"),
    (
        _distribution,
        "AwsSolutions-CFR1",
        "traders buy challenges from anywhere the firm sells; sanctions screening is the shop's, at purchase",
    ),
    (
        _distribution,
        "AwsSolutions-CFR2",
        "static files only; the API they call has its own regional WAF (propfirm:waf), which a CloudFront "
        "web ACL (us-east-1) would not replace",
    ),
    (
        _distribution,
        "AwsSolutions-CFR4",
        "the default *.cloudfront.net certificate cannot pin a minimum TLS version; a firm's own domain "
        "(an ACM certificate) sets TLSv1.2_2021",
    ),
]

# Findings accepted only in development stacks: production turns each of these features on.
ACCEPTED_OUTSIDE_PRODUCTION: list[Finding] = [
    (lambda s: [s.data.cluster], "AwsSolutions-RDS10", "deletion protection in production only"),
    (
        lambda s: [s.data.cache],
        "AwsSolutions-AEC4",
        "a development cache may have one node (propfirm:cacheNodes 1, the dev default); production "
        "refuses fewer than two (Multi-AZ with automatic failover)",
    ),
    (
        lambda s: [s.api.user_pool],
        "AwsSolutions-COG2",
        "MFA is required in production (propfirm:mfaRequired)",
    ),
    (
        lambda s: [s.api.user_pool],
        "AwsSolutions-COG8",
        "the Plus feature plan (threat protection) in production only",
    ),
    (lambda s: [s.api.rest_api], "AwsSolutions-APIG3", "WAF in production only (propfirm:waf)"),
]


def acknowledge_findings(stack: PropfirmStack) -> None:
    findings = ACCEPTED + ([] if stack.settings.production else ACCEPTED_OUTSIDE_PRODUCTION)
    for scopes, rule, reason in findings:
        acknowledge(scopes(stack), rule, reason)
