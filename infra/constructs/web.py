"""The dashboards' hosting: the built web app (`make web`, web/dist) in a private S3 bucket, read by
CloudFront through origin access control only, served under /app/ with security headers on every answer
(a strict Content-Security-Policy among them), access logs kept.

The app calls the API on its own origin (API Gateway; CORS there allows this distribution's origin) and
signs in with Cognito's hosted UI (authorization code with PKCE). Its `config.json` is written at deploy
time with the API's URL, the hosted UI's domain and the app client's id.

Built in two steps to keep the graph acyclic: the bucket and the distribution first (the API's CORS and the
app client's callback URLs name the distribution's domain), the files and their config after the API.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Aws, Duration, RemovalPolicy
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from constructs import Construct

# "/" goes to the app; "/app/" (and "/app") is its index: S3 has no directory index behind OAC
PATHS_FUNCTION = """
function handler(event) {
  var uri = event.request.uri;
  if (uri === "/" || uri === "/app") {
    return { statusCode: 301, statusDescription: "Moved Permanently", headers: { location: { value: "/app/" } } };
  }
  if (uri === "/app/") { event.request.uri = "/app/index.html"; }
  return event.request;
}
"""


def content_security_policy(auth_domain: str) -> str:
    """What the app may load and call: its own files, the API (API Gateway in this region) and the hosted
    UI's token endpoint. No inline script, no framing."""
    api = f"https://*.execute-api.{Aws.REGION}.amazonaws.com"
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
        f"connect-src 'self' {api} https://{auth_domain}; object-src 'none'; base-uri 'self'; "
        f"form-action 'self' https://{auth_domain}; frame-ancestors 'none'; upgrade-insecure-requests"
    )


class WebHosting(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, auth_domain: str, production: bool) -> None:
        super().__init__(scope, construct_id)
        removal = RemovalPolicy.RETAIN if production else RemovalPolicy.DESTROY
        self.logs = s3.Bucket(
            self,
            "AccessLogs",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            # CloudFront's standard logs are delivered with ACLs: the bucket owner keeps the objects
            object_ownership=s3.ObjectOwnership.OBJECT_WRITER,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(365 if production else 30))],
            removal_policy=removal,
            auto_delete_objects=not production,
        )
        # CloudFront's standard logs and S3's server access logs are delivered by ACL (LogDeliveryWrite): the
        # legacy property is the documented way for these two log deliveries, not an access control choice
        self.logs.node.default_child.add_metadata(  # type: ignore[union-attr]
            "cfn-lint", {"config": {"ignore_checks": ["W3045"]}}
        )
        self.bucket = s3.Bucket(
            self,
            "Assets",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            versioned=True,  # a bad deploy can be rolled back object by object
            server_access_logs_bucket=self.logs,
            server_access_logs_prefix="s3/",
            removal_policy=removal,
            auto_delete_objects=not production,
        )
        self.headers = cloudfront.ResponseHeadersPolicy(
            self,
            "SecurityHeaders",
            comment="propfirm dashboards: CSP, HSTS, no framing, no sniffing, no referrer",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=content_security_policy(auth_domain), override=True
                ),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.DENY, override=True
                ),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.NO_REFERRER, override=True
                ),
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=Duration.days(365), include_subdomains=True, override=True
                ),
            ),
        )
        paths = cloudfront.Function(
            self,
            "Paths",
            code=cloudfront.FunctionCode.from_inline(PATHS_FUNCTION),
            runtime=cloudfront.FunctionRuntime.JS_2_0,
            comment="/ -> /app/; /app/ -> /app/index.html",
        )
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment="propfirm dashboards",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=self.headers,
                function_associations=[
                    cloudfront.FunctionAssociation(
                        function=paths, event_type=cloudfront.FunctionEventType.VIEWER_REQUEST
                    )
                ],
                compress=True,
            ),
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            price_class=cloudfront.PriceClass.PRICE_CLASS_ALL if production else cloudfront.PriceClass.PRICE_CLASS_100,
            enable_logging=True,
            log_bucket=self.logs,
            log_file_prefix="cloudfront/",
        )

    @property
    def origin(self) -> str:
        """`https://<distribution domain>`: the app's origin (CORS, the hosted UI's callback)."""
        return f"https://{self.distribution.distribution_domain_name}"

    @property
    def app_url(self) -> str:
        return f"{self.origin}/app/"

    def deploy(self, dist: Path, *, api_url: str, auth_domain: str, client_id: str) -> s3deploy.BucketDeployment:
        """The built files under app/, with the config.json that tells the app where to sign in and call."""
        config = {
            "auth": "cognito",
            "apiBase": api_url.rstrip("/"),
            "cognito": {
                "domain": f"https://{auth_domain}",
                "clientId": client_id,
                "redirectUri": self.app_url,
                "logoutUri": self.app_url,
            },
        }
        self.deployment = s3deploy.BucketDeployment(
            self,
            "Files",
            sources=[s3deploy.Source.asset(str(dist)), s3deploy.Source.json_data("config.json", config)],
            destination_bucket=self.bucket,
            destination_key_prefix="app/",
            # revalidated by browsers (ETags): a new build is seen at once; hashed assets are cheap to check
            cache_control=[s3deploy.CacheControl.no_cache()],
            distribution=self.distribution,
            distribution_paths=["/app/*"],
            memory_limit=512,
        )
        return self.deployment
