"""The VPC: two availability zones, public subnets for the NAT gateway(s), private subnets (with egress)
for every Lambda, the Fargate pollers and the data stores; VPC endpoints for SQS, Secrets Manager,
EventBridge, CloudWatch Logs, KMS, Step Functions and Cognito (interface) and S3 (gateway). One security
group per consumer, so the data stores admit exactly the consumers that need them (see `Data.allow_from`),
and each consumer may go only where it must: HTTPS to the endpoints, then the RDS proxy and the cache as
`Data` adds them; the pollers also reach the MT5 server (and ECR) on the Internet through the NAT gateway.
No function has a route to the Internet.

The pollers reach the MT5 server through the NAT gateway (its Elastic IP is the address to allow on the
MT5 firewall), or through a VPC peering / transit gateway route added next to this construct.
"""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from constructs import Construct

CONSUMERS = ("evaluator", "relay", "api", "payouts", "poller", "migrate", "webhooks", "abuse", "notifications")

# The poller's and functions' AWS calls: queues, secrets, domain events, logs (Lambda's own logs do not
# pass through the VPC; the pollers' awslogs driver and the EMF lines do).
INTERFACE_ENDPOINTS = {
    "Sqs": ec2.InterfaceVpcEndpointAwsService.SQS,
    "SecretsManager": ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
    "EventBridge": ec2.InterfaceVpcEndpointAwsService.EVENTBRIDGE,
    "Logs": ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
    # the functions' other calls, so that none of them needs a way out of the VPC: the credentials and
    # audit-seal keys, the payout workflow's starts and task tokens, the purchase webhook's logins
    "Kms": ec2.InterfaceVpcEndpointAwsService.KMS,
    "StepFunctions": ec2.InterfaceVpcEndpointAwsService.STEP_FUNCTIONS,
    "CognitoIdp": ec2.InterfaceVpcEndpointAwsService.COGNITO_IDP,
}


class Network(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, nat_gateways: int, log_retention: logs.RetentionDays
    ) -> None:
        super().__init__(scope, construct_id)
        self.vpc = self._build_vpc(nat_gateways, log_retention)
        self.consumer_groups: dict[str, ec2.SecurityGroup] = {
            name: self._build_consumer_group(name) for name in CONSUMERS
        }
        self.private_subnets = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)
        self.public_subnets = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC)
        self.endpoint_security_group = ec2.SecurityGroup(
            self,
            "EndpointsSg",
            vpc=self.vpc,
            description="propfirm VPC endpoints: HTTPS from the consumers",
            allow_all_outbound=False,
        )
        for name, group in self.consumer_groups.items():
            self.endpoint_security_group.add_ingress_rule(group, ec2.Port.tcp(443), f"{name} to AWS APIs")
            group.add_egress_rule(self.endpoint_security_group, ec2.Port.tcp(443), "to the AWS APIs' endpoints")
        self.endpoints = self._build_endpoints()

    def _build_vpc(self, nat_gateways: int, log_retention: logs.RetentionDays) -> ec2.Vpc:
        vpc = ec2.Vpc(
            self,
            "Vpc",
            max_azs=2,
            nat_gateways=nat_gateways,
            subnet_configuration=[
                ec2.SubnetConfiguration(name="public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24),
                ec2.SubnetConfiguration(
                    name="private", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS, cidr_mask=20
                ),
            ],
        )
        flow_logs = logs.LogGroup(self, "FlowLogs", retention=log_retention)
        vpc.add_flow_log("FlowLog", destination=ec2.FlowLogDestination.to_cloud_watch_logs(flow_logs))
        return vpc

    def _build_endpoints(self) -> dict[str, ec2.InterfaceVpcEndpoint]:
        """Interface endpoints for the AWS APIs every cycle or invocation calls, so that traffic stays off
        the NAT gateway (its per-GB charge, its bandwidth, a single zone's NAT going down); private DNS
        makes the SDKs' default endpoints resolve to them. S3 (image layers from ECR) is a free gateway."""
        self.vpc.add_gateway_endpoint("S3", service=ec2.GatewayVpcEndpointAwsService.S3)
        return {
            name: self.vpc.add_interface_endpoint(
                name,
                service=service,
                subnets=self.private_subnets,
                private_dns_enabled=True,
                security_groups=[self.endpoint_security_group],
                open=False,  # only the consumers' groups, not the whole VPC range
            )
            for name, service in INTERFACE_ENDPOINTS.items()
        }

    def _build_consumer_group(self, name: str) -> ec2.SecurityGroup:
        # no outbound but what is added: the endpoints here, the proxy and the cache in Data, MT5 in Pollers
        return ec2.SecurityGroup(
            self,
            f"{name.capitalize()}Sg",
            vpc=self.vpc,
            description=f"propfirm {name}: reaches the RDS proxy and Redis",
            allow_all_outbound=False,
        )
