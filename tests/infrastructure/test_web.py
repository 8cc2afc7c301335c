"""The dashboards' hosting: a private bucket read by CloudFront through origin access control only,
security headers on every answer, the built files and their config deployed, the hosted UI's domain."""

from __future__ import annotations

import json

from aws_cdk.assertions import Match

from tests.infrastructure.conftest import synthesize


def _logical(synth, construct) -> str:
    return synth.stack.get_logical_id(construct.node.default_child)


def test_the_bucket_is_private_and_only_cloudfront_reads_it(dev):
    bucket = _logical(dev, dev.stack.web.bucket)
    props = dev.raw["Resources"][bucket]["Properties"]
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True
    }
    assert props["LoggingConfiguration"]["DestinationBucketName"] == {"Ref": _logical(dev, dev.stack.web.logs)}
    [oac] = dev.resources("AWS::CloudFront::OriginAccessControl").values()
    assert oac["Properties"]["OriginAccessControlConfig"]["SigningBehavior"] == "always"
    policies = [
        p for p in dev.resources("AWS::S3::BucketPolicy").values() if p["Properties"]["Bucket"] == {"Ref": bucket}
    ]
    statements = [s for p in policies for s in p["Properties"]["PolicyDocument"]["Statement"]]
    reads = [s for s in statements if s["Effect"] == "Allow" and "s3:GetObject" in json.dumps(s["Action"])]
    assert reads and all(s["Principal"] == {"Service": "cloudfront.amazonaws.com"} for s in reads)
    insecure = {"Bool": {"aws:SecureTransport": "false"}}
    assert any(s["Effect"] == "Deny" and s["Condition"] == insecure for s in statements)


def test_every_answer_carries_the_security_headers(dev):
    [policy] = dev.resources("AWS::CloudFront::ResponseHeadersPolicy").values()
    headers = policy["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    csp = json.dumps(headers["ContentSecurityPolicy"]["ContentSecurityPolicy"])
    for directive in ("default-src 'self'", "script-src 'self'", "object-src 'none'", "frame-ancestors 'none'",
                      "base-uri 'self'", "https://*.execute-api."):
        assert directive in csp, directive
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert headers["FrameOptions"]["FrameOption"] == "DENY"
    assert headers["StrictTransportSecurity"]["AccessControlMaxAgeSec"] == 31536000
    assert headers["ReferrerPolicy"]["ReferrerPolicy"] == "no-referrer"
    [distribution] = dev.resources("AWS::CloudFront::Distribution").values()
    config = distribution["Properties"]["DistributionConfig"]
    behavior = config["DefaultCacheBehavior"]
    assert behavior["ViewerProtocolPolicy"] == "redirect-to-https"
    assert behavior["ResponseHeadersPolicyId"] == {"Ref": _logical(dev, dev.stack.web.headers)}
    assert behavior["FunctionAssociations"][0]["EventType"] == "viewer-request"
    assert config["Logging"]["Bucket"] == {"Fn::GetAtt": [_logical(dev, dev.stack.web.logs), "RegionalDomainName"]}


def test_the_files_and_their_config_are_deployed_and_the_cache_invalidated(dev):
    [deployment] = dev.resources("Custom::CDKBucketDeployment").values()
    props = deployment["Properties"]
    assert props["DestinationBucketKeyPrefix"] == "app/"
    assert props["DistributionPaths"] == ["/app/*"]
    assert len(props["SourceBucketNames"]) == 2  # the built files, and config.json with deploy-time values
    markers = json.dumps(props.get("SourceMarkers", []))
    for value in ("RestApi", "WebClient"):  # the API's URL and the app client's id, resolved at deploy
        assert value in markers, value


def test_the_hosted_ui_has_its_domain_and_outputs_name_the_app(dev):
    dev.template.has_resource_properties("AWS::Cognito::UserPoolDomain", {"Domain": Match.any_value()})
    assert "DashboardsUrl" in dev.raw["Outputs"]


def test_without_the_dashboards_there_is_no_distribution_and_no_oauth(tmp_path_factory, layer_dir):
    plain = synthesize(tmp_path_factory.mktemp("cdk-noweb"), layer_dir, **{"propfirm:web": "false"})
    assert plain.resources("AWS::CloudFront::Distribution") == {}
    assert plain.resources("AWS::Cognito::UserPoolDomain") == {}
    [client] = plain.resources("AWS::Cognito::UserPoolClient").values()
    assert client["Properties"]["AllowedOAuthFlowsUserPoolClient"] is False
    env = plain.raw["Resources"][_logical(plain, plain.stack.api.function)]["Properties"]["Environment"]["Variables"]
    assert env["API_CORS_ORIGINS"] == "*"


def test_production_keeps_the_buckets(production):
    for bucket in (production.stack.web.bucket, production.stack.web.logs):
        resource = production.raw["Resources"][_logical(production, bucket)]
        assert resource["DeletionPolicy"] == "Retain"
    assert production.resources("Custom::S3AutoDeleteObjects") == {}
