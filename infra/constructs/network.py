"""The VPC: two availability zones, public subnets for the NAT gateway(s), private subnets (with egress)
for every Lambda, the Fargate pollers and the data stores. One security group per consumer, so the data
stores admit exactly the consumers that need them (see `Data.allow_from`).

The pollers reach the MT5 server through the NAT gateway (its Elastic IP is the address to allow on the
MT5 firewall), or through a VPC peering / transit gateway route added next to this construct.
"""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from constructs import Construct

CONSUMERS = ("evaluator", "relay", "api", "payouts", "poller")


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

    def _build_consumer_group(self, name: str) -> ec2.SecurityGroup:
        # Outbound stays open: AWS APIs (SQS, Secrets Manager, Step Functions) and MT5 go out through NAT.
        return ec2.SecurityGroup(
            self,
            f"{name.capitalize()}Sg",
            vpc=self.vpc,
            description=f"propfirm {name}: reaches the RDS proxy and Redis",
            allow_all_outbound=True,
        )
