"""The API: Cognito for identities, API Gateway (REST) in front of the API Lambda.

- Cognito user pool with the groups trader, support and admin. No self sign-up, so no one can sign up
  into a role: the purchase webhook finds or creates each trader's user and puts it in the `trader`
  group (the API may call ListUsers, AdminListGroupsForUser, AdminCreateUser and AdminAddUserToGroup on
  this pool, nothing else: propfirm.operations.logins); staff are created by an
  administrator (admin-create-user, then the group). Strong password policy; MFA (TOTP)
  optional, or required with `propfirm:mfaRequired` (Cognito's MFA setting is per pool, not per group:
  production requires it).
- Every method has the Cognito authorizer except `GET /health`, `GET /openapi.json`, `GET /docs`, `GET /leaderboard`,
  `POST /webhooks/purchase` (HMAC-signed by the shop: PROPFIRM_WEBHOOK_SECRET, kept in Secrets
  Manager) and the browsers' CORS preflights (`OPTIONS /` and `OPTIONS /{proxy+}`, answered by the
  handler from API_CORS_ORIGINS). The authorizer authenticates; the handler checks the
  `cognito:groups` claim (roles).
- The MT5 passwords the API generates are kept encrypted with a KMS key of the stack's
  (PROPFIRM_CREDENTIALS_KMS_KEY_ID, yearly rotation, retained on deletion: without it the stored
  passwords cannot be read). The admin system page reads the pollers' heartbeats (POLLER_SERVERS)
  and the queues' depths (sqs:GetQueueAttributes only).
- Lambda proxy integration; access logs in JSON; stage throttling; WAF (managed common rules and a
  per-IP rate limit) when `propfirm:waf` is on.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from infra.constants import API_HANDLER, API_TIMEOUT_SECONDS, COGNITO_GROUPS
from infra.constructs.data import Data, retained_key
from infra.constructs.events import DomainEvents
from infra.constructs.functions import python_function
from infra.constructs.network import Network
from infra.constructs.queues import Queues
from infra.constructs.shared_layer import SharedCode

# (path, method) answered without a Cognito token ("" is the root).
PUBLIC_ROUTES = (
    ("health", "GET"),
    ("openapi.json", "GET"),
    ("docs", "GET"),
    ("webhooks/purchase", "POST"),
    ("leaderboard", "GET"),
    ("", "OPTIONS"),
    ("{proxy+}", "OPTIONS"),
)
THROTTLE_RATE = 100  # requests per second, steady
THROTTLE_BURST = 200
WAF_RATE_LIMIT_PER_5_MIN = 2000  # per client address, the whole API
WAF_WEBHOOK_RATE_LIMIT_PER_5_MIN = 300  # per client address, the purchase webhook (a shop's few servers)


class Api(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        shared: SharedCode,
        network: Network,
        data: Data,
        queues: Queues,
        domain_events: DomainEvents,
        mt5_server_name: str,
        poller_servers: list[str],
        cors_origins: str,
        mfa_required: bool,
        app_url: str | None,
        auth_domain_prefix: str | None,
        waf: bool,
        production: bool,
        log_retention: logs.RetentionDays,
    ) -> None:
        super().__init__(scope, construct_id)
        self.user_pool = self._build_user_pool(mfa_required, production)
        self.groups = {
            name: self._build_group(name, precedence)
            for precedence, name in enumerate(reversed(COGNITO_GROUPS))
        }
        # the dashboards sign in with the hosted UI: the authorization code flow with PKCE (a public client,
        # no secret), back to the app's own URL only; without the app, no OAuth flow at all
        self.domain = (
            self.user_pool.add_domain(
                "HostedUi", cognito_domain=cognito.CognitoDomainOptions(domain_prefix=auth_domain_prefix)
            )
            if app_url is not None and auth_domain_prefix is not None
            else None
        )
        oauth = (
            cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True),
                scopes=[cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
                callback_urls=[app_url],
                logout_urls=[app_url],
            )
            if app_url is not None
            else None
        )
        self.client = self.user_pool.add_client(
            "WebClient",
            auth_flows=cognito.AuthFlow(user_srp=True),
            generate_secret=False,
            o_auth=oauth,
            disable_o_auth=oauth is None,
            supported_identity_providers=[cognito.UserPoolClientIdentityProvider.COGNITO],
            # a user may change their name, never their email: the email is what purchases are matched
            # with, and a user who could set it could claim another trader's orders (the API knows traders
            # by their immutable sub; this keeps the email honest too)
            write_attributes=cognito.ClientAttributes().with_standard_attributes(fullname=True),
            prevent_user_existence_errors=True,
            id_token_validity=Duration.hours(1),
            access_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.days(30),
        )
        self.webhook_secret = secretsmanager.Secret(
            self,
            "WebhookSecret",
            description="PROPFIRM_WEBHOOK_SECRET: HMAC key of the purchase webhook (share it with the shop)",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                exclude_punctuation=True, password_length=48
            ),
        )
        self.credentials_key = retained_key(
            self, "CredentialsKey", "propfirm: encrypts the MT5 account passwords the API keeps"
        )
        self.function = self._build_function(
            shared, network, data, queues, domain_events, mt5_server_name, log_retention
        )
        self._grant_system_view(queues, poller_servers, cors_origins)
        self.rest_api = self._build_rest_api(log_retention)
        self.authorizer = apigw.CognitoUserPoolsAuthorizer(
            self, "Authorizer", cognito_user_pools=[self.user_pool]
        )
        self._build_routes()
        self.web_acl = self._build_waf(managed_rules=waf)

    def _build_user_pool(self, mfa_required: bool, production: bool) -> cognito.UserPool:
        return cognito.UserPool(
            self,
            "Users",
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(email=True),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            standard_attributes=cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=True, mutable=True)
            ),
            # a changed email takes effect only once verified; until then the original stays (an admin
            # change through the API is verified by Cognito's code to the new address)
            keep_original=cognito.KeepOriginalAttrs(email=True),
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            mfa=cognito.Mfa.REQUIRED if mfa_required else cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            feature_plan=cognito.FeaturePlan.PLUS if production else cognito.FeaturePlan.ESSENTIALS,
            standard_threat_protection_mode=(
                cognito.StandardThreatProtectionMode.FULL_FUNCTION if production else None
            ),
            deletion_protection=production,
            removal_policy=RemovalPolicy.RETAIN if production else RemovalPolicy.DESTROY,
        )

    def _build_group(self, name: str, precedence: int) -> cognito.CfnUserPoolGroup:
        # Lower precedence wins when a user is in several groups: admin 0, support 1, trader 2.
        return cognito.CfnUserPoolGroup(
            self,
            f"Group-{name}",
            user_pool_id=self.user_pool.user_pool_id,
            group_name=name,
            precedence=precedence,
            description=f"propfirm role: {name}",
        )

    def _build_function(
        self,
        shared: SharedCode,
        network: Network,
        data: Data,
        queues: Queues,
        domain_events: DomainEvents,
        mt5_server_name: str,
        log_retention: logs.RetentionDays,
    ) -> lambda_.Function:
        fn = python_function(
            self,
            "Function",
            shared=shared,
            network=network,
            security_group=network.consumer_groups["api"],
            handler=API_HANDLER,
            service="api",
            environment={
                **data.database_environment,
                **data.redis_environment,
                "COMMAND_QUEUE_URL": queues.commands.queue_url,
                "EVENT_BUS_NAME": domain_events.bus.event_bus_name,
                "MT5_SERVER_NAME": mt5_server_name,
                "PROPFIRM_WEBHOOK_SECRET_ARN": self.webhook_secret.secret_arn,
                "COGNITO_USER_POOL_ID": self.user_pool.user_pool_id,
                "PROPFIRM_CREDENTIALS_KMS_KEY_ID": self.credentials_key.key_arn,
            },
            timeout=Duration.seconds(API_TIMEOUT_SECONDS),
            log_retention=log_retention,
            description="trader and admin API, purchase webhook, payout approval",
        )
        data.allow_database(network.consumer_groups["api"], fn, "api")
        data.allow_cache(network.consumer_groups["api"], fn, "api")
        queues.commands.grant_send_messages(fn)
        domain_events.grant_put(fn)
        self.webhook_secret.grant_read(fn)
        for name, value in data.allow_webhook_secrets(fn, seal=True).items():
            fn.add_environment(name, value)
        grant_under_challenge_context(self.credentials_key, fn.role, "kms:Encrypt", "kms:Decrypt")
        # the purchase webhook binds each trader to a login (propfirm.operations.logins): these four calls only
        self.user_pool.grant(
            fn,
            "cognito-idp:ListUsers",
            "cognito-idp:AdminListGroupsForUser",
            "cognito-idp:AdminCreateUser",
            "cognito-idp:AdminAddUserToGroup",
        )
        return fn

    def _grant_system_view(self, queues: Queues, poller_servers: list[str], cors_origins: str) -> None:
        fn = self.function
        fn.add_environment("POLLER_SERVERS", ",".join(poller_servers))
        fn.add_environment("EVALUATION_QUEUE_URL", queues.evaluation.queue_url)
        fn.add_environment("EVALUATION_DLQ_URL", queues.evaluation_dlq.queue_url)
        fn.add_environment("COMMAND_DLQ_URL", queues.command_dlq.queue_url)
        fn.add_environment("API_CORS_ORIGINS", cors_origins)
        for queue in (queues.evaluation, queues.evaluation_dlq, queues.commands, queues.command_dlq):
            queue.grant(fn, "sqs:GetQueueAttributes")

    def _build_rest_api(self, log_retention: logs.RetentionDays) -> apigw.RestApi:
        access_logs = logs.LogGroup(
            self, "AccessLogs", retention=log_retention, removal_policy=RemovalPolicy.DESTROY
        )
        return apigw.RestApi(
            self,
            "RestApi",
            description="propfirm API",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            cloud_watch_role=True,
            cloud_watch_role_removal_policy=RemovalPolicy.DESTROY,
            deploy_options=apigw.StageOptions(
                stage_name="v1",
                access_log_destination=apigw.LogGroupLogDestination(access_logs),
                access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                    caller=False,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=True,
                ),
                logging_level=apigw.MethodLoggingLevel.ERROR,
                metrics_enabled=True,
                tracing_enabled=True,
                throttling_rate_limit=THROTTLE_RATE,
                throttling_burst_limit=THROTTLE_BURST,
            ),
        )

    def _build_routes(self) -> None:
        integration = apigw.LambdaIntegration(self.function, proxy=True)
        protected = {"authorizer": self.authorizer, "authorization_type": apigw.AuthorizationType.COGNITO}
        root = self.rest_api.root
        root.add_method("ANY", integration, **protected)
        root.add_resource("{proxy+}").add_method("ANY", integration, **protected)
        for path, method in PUBLIC_ROUTES:
            resource = root.resource_for_path(path) if path else root
            resource.add_method(method, integration, authorization_type=apigw.AuthorizationType.NONE)

    def _build_waf(self, managed_rules: bool) -> wafv2.CfnWebACL:
        """In every stage: a rate limit per client address on the whole API, a stricter one on the purchase
        webhook (answered without a token); with `propfirm:waf` (production's default) also AWS's common
        rule set."""
        rules = [
            _rate_rule("rate-per-ip", 1, WAF_RATE_LIMIT_PER_5_MIN),
            _rate_rule("webhook-rate-per-ip", 2, WAF_WEBHOOK_RATE_LIMIT_PER_5_MIN, path_prefix="/webhooks/"),
        ]
        if managed_rules:
            rules.insert(
                0,
                wafv2.CfnWebACL.RuleProperty(
                    name="aws-common",
                    priority=0,
                    override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
                    statement=wafv2.CfnWebACL.StatementProperty(
                        managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                            vendor_name="AWS", name="AWSManagedRulesCommonRuleSet"
                        )
                    ),
                    visibility_config=_visibility("aws-common"),
                ),
            )
        acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=_visibility("propfirm-api"),
            rules=rules,
            custom_response_bodies={
                "too-many": wafv2.CfnWebACL.CustomResponseBodyProperty(
                    content_type="APPLICATION_JSON",
                    content='{"type": "https://propfirm.dev/problems/too-many-requests", "title": '
                    '"Too many requests", "status": 429, "detail": "slow down, then try again"}',
                )
            },
        )
        wafv2.CfnWebACLAssociation(
            self,
            "WebAclAssociation",
            web_acl_arn=acl.attr_arn,
            resource_arn=self.rest_api.deployment_stage.stage_arn,
        )
        return acl


def _rate_rule(name: str, priority: int, limit: int, path_prefix: str | None = None) -> wafv2.CfnWebACL.RuleProperty:
    """Block a client address past `limit` requests in five minutes (on paths under `path_prefix`), with a
    429 and a problem body like the API's own."""
    scope_down = None
    if path_prefix is not None:
        scope_down = wafv2.CfnWebACL.StatementProperty(
            byte_match_statement=wafv2.CfnWebACL.ByteMatchStatementProperty(
                field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(uri_path={}),
                positional_constraint="STARTS_WITH",
                search_string=path_prefix,
                text_transformations=[wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")],
            )
        )
    return wafv2.CfnWebACL.RuleProperty(
        name=name,
        priority=priority,
        action=wafv2.CfnWebACL.RuleActionProperty(
            block=wafv2.CfnWebACL.BlockActionProperty(
                custom_response=wafv2.CfnWebACL.CustomResponseProperty(
                    response_code=429, custom_response_body_key="too-many"
                )
            )
        ),
        statement=wafv2.CfnWebACL.StatementProperty(
            rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                limit=limit, aggregate_key_type="IP", scope_down_statement=scope_down
            )
        ),
        visibility_config=_visibility(name),
    )


def _visibility(name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True
    )


CHALLENGE_CONTEXT = "kms:EncryptionContext:challenge_id"


def grant_under_challenge_context(key: kms.IKey, role: iam.IRole | None, *actions: str) -> None:
    """`actions` on the credentials key, only with a challenge id as the encryption context (what
    propfirm.sealing always gives): a caller cannot use the key for anything else."""
    assert role is not None
    role.add_to_principal_policy(
        iam.PolicyStatement(
            actions=list(actions),
            resources=[key.key_arn],
            conditions={
                "Null": {CHALLENGE_CONTEXT: "false"},
                "ForAllValues:StringEquals": {"kms:EncryptionContextKeys": ["challenge_id"]},
            },
        )
    )


def limit_credentials_key(key: kms.Key, users: list[iam.IRole]) -> None:
    """The key policy's own word: no principal but the API and the pollers may encrypt or decrypt with it
    (the account's administrators keep managing the key; IAM alone could be widened by any admin policy)."""
    key.add_to_resource_policy(
        iam.PolicyStatement(
            effect=iam.Effect.DENY,
            principals=[iam.AnyPrincipal()],
            actions=["kms:Decrypt", "kms:Encrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"],
            resources=["*"],
            conditions={"ArnNotEquals": {"aws:PrincipalArn": [role.role_arn for role in users]}},
        )
    )
