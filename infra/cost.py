"""The monthly AWS cost of a deployment: the fixed part read from its synthesized CloudFormation template,
the variable part from the accounts watched and the benchmarks' measured rates, at `infra.prices`' list
prices.

    .venv/bin/python -m infra.cost [--template cdk.out/Propfirm.template.json ...] [--bench bench.json]
                                   [--accounts 1000,10000,100000] [--markdown]

Without `--template`, the development and the production stacks are synthesized (as `cdk synth` would,
with a stand-in for the built layer and the web app). `--bench` is `propfirm bench evaluator --json`'s
output: the evaluator's steady accounts per core-second and its wait per account come from it; without
it, the figures of `MEASURED` (a quick bench of this machine) are used. What is assumed rather than read
or measured is a field of `Workload`, each with its reason.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from infra.prices import HOURS_PER_MONTH, LIST_PRICES, Prices

SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600
LAMBDA_VCPU_MB = Decimal(1769)  # Lambda gives one full vCPU at 1,769 MB, a share of one below
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Measured:
    """From `propfirm bench evaluator`: the evaluator's steady cycles through the Lambda handler."""

    accounts_per_core_second: Decimal = Decimal(23_951)
    wait_seconds_per_account: Decimal = Decimal("0.0000078")  # (wall - CPU) / accounts: Redis and PostgreSQL


MEASURED = Measured()


@dataclass(frozen=True)
class Workload:
    accounts: int
    # share of accounts holding positions at any moment: their equity moves every cycle, so the poller sends
    # them every cycle; the others are sent at their heartbeat (an assumption: a firm reads its own share)
    holding_share: Decimal = Decimal("0.3")
    heartbeat_seconds: Decimal = Decimal(60)  # POLLER_HEARTBEAT_SECONDS' default
    # bytes of one account in `/api/user/account/get_batch`'s answer, as the simulator serves it (a test keeps
    # this within a tenth of the simulator's records); every account is read every cycle
    account_read_bytes: Decimal = Decimal(480)
    login_bytes_in_message: Decimal = Decimal(8)  # a claim check: the login in the shard's list
    message_max_bytes: Decimal = Decimal(60_000)  # POLLER_MESSAGE_MAX_BYTES
    log_bytes_per_invocation: Decimal = Decimal(1_200)  # Lambda's START/END/REPORT and the batch's one line
    log_bytes_per_cycle: Decimal = Decimal(400)  # the poller's cycle line
    database_gb_per_account: Decimal = Decimal("0.002")  # deals, daily rows, a month of equity points


@dataclass(frozen=True)
class Line:
    part: str
    item: str
    monthly: Decimal
    basis: str


@dataclass(frozen=True)
class Deployment:
    """What the cost reads from a synthesized template."""

    name: str
    aurora_instances: int
    aurora_min_acu: Decimal
    cache_node_type: str
    cache_engine: str
    cache_nodes: int
    fargate_tasks: list[tuple[Decimal, Decimal, bool, bool]]  # (vCPU, GB, windows, public address) per task
    nat_gateways: int
    public_ips: int
    interface_endpoint_azs: int
    secrets: int
    kms_keys: int
    alarms: int
    dashboards: int
    waf_rules: list[int]  # rules of each web ACL
    evaluator_memory_mb: Decimal
    shards: int
    cycle_seconds: Decimal


def _of_type(template: dict[str, Any], type_name: str) -> list[dict[str, Any]]:
    return [r.get("Properties", {}) for r in template["Resources"].values() if r["Type"] == type_name]


def _environment(task: dict[str, Any], name: str) -> str | None:
    for container in task.get("ContainerDefinitions", []):
        for pair in container.get("Environment", []):
            if pair.get("Name") == name and isinstance(pair.get("Value"), str):
                return pair["Value"]
    return None


def read_template(template: dict[str, Any], name: str) -> Deployment:
    clusters = _of_type(template, "AWS::RDS::DBCluster")
    scaling = clusters[0].get("ServerlessV2ScalingConfiguration", {}) if clusters else {}
    serverless = [i for i in _of_type(template, "AWS::RDS::DBInstance") if i.get("DBInstanceClass") == "db.serverless"]
    [cache] = _of_type(template, "AWS::ElastiCache::ReplicationGroup")
    nodes = cache.get("NumCacheClusters") or cache.get("NumNodeGroups", 1) * (1 + cache.get("ReplicasPerNodeGroup", 0))
    definitions = {k: r["Properties"] for k, r in template["Resources"].items()
                   if r["Type"] == "AWS::ECS::TaskDefinition"}
    tasks = list(definitions.values())
    running: list[tuple[Decimal, Decimal, bool, bool]] = []
    for service in _of_type(template, "AWS::ECS::Service"):  # each poller service runs its task definition
        task = definitions[service["TaskDefinition"]["Ref"]]
        windows = task.get("RuntimePlatform", {}).get("OperatingSystemFamily", "LINUX").startswith("WINDOWS")
        vpc = service.get("NetworkConfiguration", {}).get("AwsvpcConfiguration", {})
        public = vpc.get("AssignPublicIp") == "ENABLED"
        for _ in range(int(service.get("DesiredCount", 1))):
            running.append((Decimal(task["Cpu"]) / 1024, Decimal(task["Memory"]) / 1024, windows, public))
    interval = next((v for t in tasks if (v := _environment(t, "POLLER_INTERVAL_SECONDS"))), None)
    shards = next((v for t in tasks if (v := _environment(t, "POLLER_SHARD_COUNT"))), None)
    evaluator = [
        r["Properties"] for k, r in template["Resources"].items()
        if r["Type"] == "AWS::Lambda::Function" and k.startswith("EvaluatorFunction")
    ]
    return Deployment(
        name=name,
        aurora_instances=len(serverless),
        aurora_min_acu=Decimal(str(scaling.get("MinCapacity", 0))),
        cache_node_type=cache["CacheNodeType"],
        cache_engine=str(cache.get("Engine", "redis")),
        cache_nodes=int(nodes),
        fargate_tasks=running,
        nat_gateways=len(_of_type(template, "AWS::EC2::NatGateway")),
        public_ips=len(_of_type(template, "AWS::EC2::EIP")) + sum(1 for t in running if t[3]),
        interface_endpoint_azs=sum(
            len(e.get("SubnetIds", [])) for e in _of_type(template, "AWS::EC2::VPCEndpoint")
            if e.get("VpcEndpointType") == "Interface"
        ),
        secrets=len(_of_type(template, "AWS::SecretsManager::Secret")),
        kms_keys=len(_of_type(template, "AWS::KMS::Key")),
        alarms=len(_of_type(template, "AWS::CloudWatch::Alarm")),
        dashboards=len(_of_type(template, "AWS::CloudWatch::Dashboard")),
        waf_rules=[len(w.get("Rules", [])) for w in _of_type(template, "AWS::WAFv2::WebACL")],
        evaluator_memory_mb=Decimal(evaluator[0].get("MemorySize", 128)) if evaluator else Decimal(1024),
        shards=int(shards) if shards else 16,
        cycle_seconds=Decimal(interval) if interval else Decimal(2),
    )


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def fixed(d: Deployment, p: Prices = LIST_PRICES) -> list[Line]:
    """What the deployment costs with no account at all."""
    h = HOURS_PER_MONTH
    cache_price = p.cache_node_hour.get(d.cache_node_type)
    if cache_price is None:
        raise ValueError(f"no price for {d.cache_node_type}: add it to infra/prices.py")
    if d.cache_engine == "valkey":
        cache_price *= p.valkey_share
    lines = [
        Line("database", "Aurora Serverless v2 at its minimum",
             d.aurora_instances * d.aurora_min_acu * p.aurora_acu_hour * h,
             f"{d.aurora_instances} instance(s) × {d.aurora_min_acu} ACU"),
        Line("database", "RDS Proxy", p.proxy_min_acus * p.proxy_acu_hour * h,
             f"its minimum of {p.proxy_min_acus} ACUs"),
        Line("cache", f"ElastiCache {d.cache_node_type}", d.cache_nodes * cache_price * h,
             f"{d.cache_nodes} {d.cache_engine} node(s)"),
        Line("poller", "Fargate", sum((_fargate_hour(t, p) for t in d.fargate_tasks), Decimal(0)) * h,
             ", ".join(f"{t[0]} vCPU {t[1]} GB{' Windows' if t[2] else ''}{' public' if t[3] else ''}"
                       for t in d.fargate_tasks) or "no task"),
        Line("network", "NAT gateways", d.nat_gateways * p.nat_hour * h, f"{d.nat_gateways} gateway(s)"),
        Line("network", "public IPv4 addresses", d.public_ips * p.public_ipv4_hour * h, f"{d.public_ips} address(es)"),
        Line("network", "interface endpoints", d.interface_endpoint_azs * p.endpoint_az_hour * h,
             f"{d.interface_endpoint_azs} endpoint-zones"),
        Line("operations", "secrets, keys, alarms, dashboards",
             d.secrets * p.secret_month + d.kms_keys * p.kms_key_month + d.alarms * p.alarm_month
             + d.dashboards * p.dashboard_month,
             f"{d.secrets} secrets, {d.kms_keys} keys, {d.alarms} alarms, {d.dashboards} dashboard(s)"),
        Line("operations", "WAF", sum((p.waf_acl_month + n * p.waf_rule_month for n in d.waf_rules), Decimal(0)),
             f"{len(d.waf_rules)} web ACL(s), {sum(d.waf_rules)} rules"),
    ]
    return [replace(line, monthly=_money(line.monthly)) for line in lines]


def _fargate_hour(task: tuple[Decimal, Decimal, bool, bool], p: Prices) -> Decimal:
    vcpu, gb, windows, _ = task
    if windows:
        licensed = p.fargate_windows_vcpu_hour + p.fargate_windows_license_vcpu_hour
        return vcpu * licensed + gb * p.fargate_windows_gb_hour
    return vcpu * p.fargate_vcpu_hour + gb * p.fargate_gb_hour


def variable(d: Deployment, w: Workload, m: Measured = MEASURED, p: Prices = LIST_PRICES) -> list[Line]:
    """What the accounts add: the evaluator's Lambda time and requests, the queue's requests, the poller's
    reads through the NAT gateway, logs, the database's storage."""
    cycles = SECONDS_PER_MONTH / d.cycle_seconds
    idle = Decimal(1) - w.holding_share
    evaluations = w.accounts * (w.holding_share * cycles + idle * SECONDS_PER_MONTH / w.heartbeat_seconds)
    sent_per_cycle = evaluations / cycles
    # one message per shard with accounts to send, split at the message's size
    per_shard = sent_per_cycle / d.shards
    parts = max(1, math.ceil(per_shard * w.login_bytes_in_message / w.message_max_bytes))
    messages = cycles * min(Decimal(d.shards * parts), max(Decimal(1), sent_per_cycle))
    # send in batches of ten, receive in batches of ten, delete in batches of ten
    requests = cycles * math.ceil(messages / cycles / 10) + 2 * messages / 10
    invocations = messages  # at worst one message an invocation (one per message group in flight)
    share = min(Decimal(1), d.evaluator_memory_mb / LAMBDA_VCPU_MB)
    seconds = evaluations * (1 / (m.accounts_per_core_second * share) + m.wait_seconds_per_account)
    gb_seconds = seconds * d.evaluator_memory_mb / 1024
    # the accounts spread evenly over the servers; a poller with a public address reads past the NAT gateway
    through_nat = Decimal(sum(1 for t in d.fargate_tasks if not t[3])) / max(1, len(d.fargate_tasks))
    read_gb = w.accounts * w.account_read_bytes * cycles / 10**9 * through_nat
    log_gb = (invocations * w.log_bytes_per_invocation + cycles * w.log_bytes_per_cycle) / 10**9
    lines = [
        Line("evaluator", "Lambda duration", gb_seconds * p.lambda_gb_second,
             f"{_count(evaluations)} evaluations at {m.accounts_per_core_second} per core-second, "
             f"{d.evaluator_memory_mb} MB ({_count(gb_seconds)} GB-s)"),
        Line("evaluator", "Lambda requests", invocations / 10**6 * p.lambda_million,
             f"{_count(invocations)} invocations"),
        Line("queue", "SQS FIFO requests", requests / 10**6 * p.sqs_fifo_million,
             f"{_count(messages)} messages, {_count(requests)} requests"),
        Line("poller", "MT5 reads through the NAT gateway", read_gb * p.nat_gb,
             f"{_count(read_gb)} GB: every account every {d.cycle_seconds} s"
             + ("" if through_nat == 1 else f", {through_nat:.0%} of the servers through NAT")),
        Line("operations", "CloudWatch Logs", log_gb * (p.logs_ingest_gb + p.logs_store_gb_month),
             f"{_count(log_gb)} GB ingested and kept a month"),
        Line("database", "Aurora storage", w.accounts * w.database_gb_per_account * p.aurora_storage_gb_month,
             f"{w.database_gb_per_account} GB per account"),
    ]
    return [replace(line, monthly=_money(line.monthly)) for line in lines]


def _count(value: Decimal | float | int) -> str:
    number = float(value)
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if number >= size:
            return f"{number / size:.3g}{unit}"
    return f"{number:.3g}"


@dataclass(frozen=True)
class Row:
    deployment: str
    accounts: int
    fixed: Decimal
    variable: Decimal
    lines: list[Line]

    @property
    def total(self) -> Decimal:
        return self.fixed + self.variable

    @property
    def per_thousand(self) -> Decimal:
        return _money(self.total * 1000 / self.accounts)


def table(deployments: Iterable[Deployment], sizes: Sequence[int], m: Measured = MEASURED,
          p: Prices = LIST_PRICES) -> list[Row]:
    rows = []
    for d in deployments:
        base = fixed(d, p)
        for accounts in sizes:
            more = variable(d, Workload(accounts), m, p)
            rows.append(Row(d.name, accounts, sum((x.monthly for x in base), Decimal(0)),
                            sum((x.monthly for x in more), Decimal(0)), base + more))
    return rows


def measured_from_bench(path: Path) -> Measured:
    """`propfirm bench evaluator --json`'s last run's steady cycles."""
    steady = json.loads(path.read_text())["evaluator"]["runs"][-1]["real"]["steady"]
    wait = max(Decimal(0), Decimal(str(steady["wall_s"])) - Decimal(str(steady["cpu_s"]))) / steady["accounts"]
    return Measured(Decimal(steady["per_core"]), wait.quantize(Decimal("0.0000001")))


def synthesize(stages: Sequence[str] = ("dev", "prod")) -> dict[str, dict[str, Any]]:
    """The stacks' templates as `cdk synth` makes them (a stand-in for the built layer and web app)."""
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
    from infra.app import build_app, file_context

    templates = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "layer" / "python").mkdir(parents=True)
        (root / "layer" / "python" / "README").write_text("stand-in for the built layer\n")
        (root / "web").mkdir()
        (root / "web" / "index.html").write_text("<!doctype html><title>stand-in</title>\n")
        for stage in stages:
            out = root / f"out-{stage}"
            context = {**file_context(), "propfirm:layerDir": str(root / "layer"), "propfirm:webDir": str(root / "web"),
                       "propfirm:environment": stage}
            app = build_app(outdir=str(out), context=context, nag=False)
            app.synth()
            [path] = out.glob("*.template.json")
            templates[stage] = json.loads(path.read_text())
    return templates


def markdown(rows: list[Row]) -> str:
    out = ["| deployment | accounts | fixed $/month | variable $/month | total $/month | per 1,000 accounts |",
           "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        out.append(f"| {r.deployment} | {r.accounts:,} | {r.fixed:,} | {r.variable:,} | {r.total:,} "
                   f"| {r.per_thousand:,} |")
    return "\n".join(out)


def breakdown(row: Row) -> str:
    out = [f"{row.deployment}, {row.accounts:,} accounts:", "| part | item | $/month | basis |",
           "| --- | --- | ---: | --- |"]
    out += [f"| {x.part} | {x.item} | {x.monthly:,} | {x.basis} |" for x in row.lines]
    return "\n".join(out)


def _name(path: Path, every: Sequence[Path]) -> str:
    """A template's name in the table: its file's stem, or folder/stem where two stems are the same."""
    stem = path.name.removesuffix(".template.json")
    same = [p for p in every if p.name.removesuffix(".template.json") == stem]
    return f"{path.parent.name}/{stem}" if len(same) > 1 else stem


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.cost", description=__doc__.splitlines()[0])
    parser.add_argument("--template", type=Path, action="append", help="a synthesized template (repeatable)")
    parser.add_argument("--bench", type=Path, help="propfirm bench evaluator --json output")
    parser.add_argument("--accounts", default="1000,10000,100000", help="comma-separated account counts")
    parser.add_argument("--markdown", action="store_true", help="the tables as Markdown (the docs' form)")
    args = parser.parse_args(argv)
    try:
        sizes = [int(x) for x in args.accounts.split(",") if x]
        if not sizes or min(sizes) <= 0:
            raise ValueError("--accounts: positive counts, e.g. 1000,10000")
        if args.template:
            templates = {_name(path, args.template): json.loads(path.read_text()) for path in args.template}
        else:
            templates = synthesize()
        measured = measured_from_bench(args.bench) if args.bench else MEASURED
    except (OSError, ValueError, KeyError) as exc:
        print(f"infra.cost: {exc}", file=sys.stderr)
        return 2
    rows = table([read_template(t, name) for name, t in templates.items()], sizes, measured)
    print(markdown(rows))
    if args.markdown:
        for row in rows:
            if row.accounts == max(sizes):
                print()
                print(breakdown(row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
