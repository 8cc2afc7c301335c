"""AWS list prices the cost model uses: us-east-1, on demand, in US dollars, as published on each service's
pricing page (`SOURCES`). One place to change when a price moves or the deployment goes to another region."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

HOURS_PER_MONTH = Decimal(730)  # AWS's own monthly figure: 24 × 365 / 12


def _d(text: str) -> Decimal:
    return Decimal(text)


@dataclass(frozen=True)
class Prices:
    aurora_acu_hour: Decimal = _d("0.12")  # Aurora Serverless v2, Aurora Standard
    aurora_storage_gb_month: Decimal = _d("0.10")
    aurora_io_million: Decimal = _d("0.20")
    proxy_acu_hour: Decimal = _d("0.015")  # RDS Proxy on Aurora Serverless v2 ...
    proxy_min_acus: Decimal = _d("8")  # ... billed for at least 8 ACUs
    cache_node_hour: dict[str, Decimal] = field(default_factory=lambda: {
        "cache.t4g.micro": _d("0.016"),
        "cache.t4g.small": _d("0.032"),
        "cache.t4g.medium": _d("0.065"),
        "cache.m7g.large": _d("0.158"),
        "cache.r7g.large": _d("0.219"),
    })  # Redis OSS nodes
    valkey_share: Decimal = _d("0.8")  # a Valkey node costs 20 % less than the same Redis OSS node
    fargate_vcpu_hour: Decimal = _d("0.04048")  # Linux, x86
    fargate_gb_hour: Decimal = _d("0.004445")
    fargate_windows_vcpu_hour: Decimal = _d("0.09148")  # Windows Server: compute ...
    fargate_windows_license_vcpu_hour: Decimal = _d("0.046")  # ... and its OS licence
    fargate_windows_gb_hour: Decimal = _d("0.01005")
    nat_hour: Decimal = _d("0.045")
    nat_gb: Decimal = _d("0.045")  # every byte through the gateway, either way
    public_ipv4_hour: Decimal = _d("0.005")
    endpoint_az_hour: Decimal = _d("0.01")  # interface endpoint, per availability zone
    endpoint_gb: Decimal = _d("0.01")
    sqs_fifo_million: Decimal = _d("0.50")  # per 64 KiB chunk of a request
    sqs_standard_million: Decimal = _d("0.40")
    lambda_gb_second: Decimal = _d("0.0000166667")  # x86_64
    lambda_million: Decimal = _d("0.20")
    logs_ingest_gb: Decimal = _d("0.50")
    logs_store_gb_month: Decimal = _d("0.03")
    alarm_month: Decimal = _d("0.10")
    dashboard_month: Decimal = _d("3.00")
    secret_month: Decimal = _d("0.40")
    kms_key_month: Decimal = _d("1.00")
    waf_acl_month: Decimal = _d("5.00")
    waf_rule_month: Decimal = _d("1.00")


SOURCES = {
    "Aurora, RDS Proxy": "https://aws.amazon.com/rds/aurora/pricing/ and https://aws.amazon.com/rds/proxy/pricing/",
    "ElastiCache": "https://aws.amazon.com/elasticache/pricing/",
    "Fargate": "https://aws.amazon.com/fargate/pricing/",
    "NAT gateway, public IPv4": "https://aws.amazon.com/vpc/pricing/",
    "Interface endpoints": "https://aws.amazon.com/privatelink/pricing/",
    "SQS": "https://aws.amazon.com/sqs/pricing/",
    "Lambda": "https://aws.amazon.com/lambda/pricing/",
    "CloudWatch (logs, alarms, dashboards)": "https://aws.amazon.com/cloudwatch/pricing/",
    "Secrets Manager, KMS": "https://aws.amazon.com/secrets-manager/pricing/ and https://aws.amazon.com/kms/pricing/",
    "WAF": "https://aws.amazon.com/waf/pricing/",
}

LIST_PRICES = Prices()
