"""The cost model reads the synthesized templates (the development and the production stack differ where
their settings do) and prices the workload as its formulas say; the bytes of an account read stay the
simulator's."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import orjson

from infra.cost import MEASURED, Measured, Workload, fixed, main, measured_from_bench, read_template, table, variable
from infra.prices import HOURS_PER_MONTH, LIST_PRICES
from tests.instants import MONDAY_MORNING


def test_the_template_says_what_runs(dev, production) -> None:
    d, p = read_template(dev.raw, "dev"), read_template(production.raw, "prod")
    assert (d.nat_gateways, p.nat_gateways) == (1, 2)
    assert (d.aurora_instances, p.aurora_instances) == (1, 2) and d.aurora_min_acu == Decimal("0.5")
    assert p.cache_nodes == 2 and p.cache_node_type in LIST_PRICES.cache_node_hour
    assert p.fargate_tasks == [(Decimal("0.5"), Decimal(1), False, False), (Decimal(1), Decimal(2), True, False)]
    assert d.evaluator_memory_mb == Decimal(1024) and d.cycle_seconds == Decimal(2) and d.shards == 16
    assert p.interface_endpoint_azs == 2 * len([
        r for r in production.raw["Resources"].values()
        if r["Type"] == "AWS::EC2::VPCEndpoint" and r["Properties"].get("VpcEndpointType") == "Interface"])


def test_fixed_lines_are_the_list_prices_times_what_runs(production) -> None:
    p = read_template(production.raw, "prod")
    lines = {line.item: line.monthly for line in fixed(p)}
    assert lines["NAT gateways"] == Decimal("65.70")  # 2 × 0.045 × 730
    assert lines["RDS Proxy"] == Decimal("87.60")  # its 8-ACU minimum
    windows = Decimal(1) * (LIST_PRICES.fargate_windows_vcpu_hour + LIST_PRICES.fargate_windows_license_vcpu_hour) \
        + Decimal(2) * LIST_PRICES.fargate_windows_gb_hour
    linux = Decimal("0.5") * LIST_PRICES.fargate_vcpu_hour + LIST_PRICES.fargate_gb_hour
    assert lines["Fargate"] == ((windows + linux) * HOURS_PER_MONTH).quantize(Decimal("0.01"))


def test_the_variable_part_grows_with_the_accounts_and_the_reads_dominate_at_scale(dev) -> None:
    d = read_template(dev.raw, "dev")
    small, large = variable(d, Workload(1_000)), variable(d, Workload(100_000))
    assert all(b.monthly >= a.monthly for a, b in zip(small, large, strict=True))
    reads = {x.item: x.monthly for x in large}["MT5 reads through the NAT gateway"]
    cycles = Decimal(730 * 3600) / 2
    assert reads == (Decimal(100_000) * 480 * cycles / 10**9 * LIST_PRICES.nat_gb).quantize(Decimal("0.01"))
    assert reads > sum(x.monthly for x in large) / 2  # most of the variable part: see docs/infrastructure.md
    faster = {x.item: x.monthly for x in variable(d, Workload(100_000), Measured(Decimal(50_000), Decimal(0)))}
    assert faster["Lambda duration"] < {x.item: x.monthly for x in large}["Lambda duration"]
    rows = table([d], [1_000, 10_000, 100_000])
    assert [r.per_thousand for r in rows] == sorted((r.per_thousand for r in rows), reverse=True)


def test_the_bytes_of_an_account_read_are_the_simulators() -> None:
    from propfirm.sim.testing import build_world
    from propfirm.sim.webapi.users import account_record_of

    world = build_world(50, seed=1, speed=0, start=MONDAY_MORNING)
    sizes = [len(orjson.dumps(account_record_of(world, a))) + 1 for a in world.accounts.values()]  # and a comma
    assert abs(Workload(1).account_read_bytes - Decimal(sum(sizes)) / len(sizes)) <= Decimal(48)


def test_the_command_reads_templates_and_a_bench_file(dev, tmp_path: Path, capsys) -> None:
    template = tmp_path / "Propfirm.template.json"
    template.write_text(json.dumps(dev.raw))
    bench = tmp_path / "bench.json"
    steady = {"accounts": 1000, "cpu_s": 0.05, "wall_s": 0.06, "per_core": 20000}
    bench.write_text(json.dumps({"evaluator": {"runs": [{"real": {"steady": steady}}]}}))
    assert measured_from_bench(bench) == Measured(Decimal(20000), Decimal("0.0000100"))
    assert main(["--template", str(template), "--bench", str(bench), "--accounts", "1000,5000", "--markdown"]) == 0
    out = capsys.readouterr().out
    assert "| Propfirm | 1,000 |" in out and "| Propfirm | 5,000 |" in out and "Lambda duration" in out
    assert main(["--template", str(template), "--accounts", "0"]) == 2
    assert MEASURED.accounts_per_core_second > 0


def test_a_poller_with_a_public_address_reads_past_the_nat_gateway(layer_dir, tmp_path: Path) -> None:
    from tests.infrastructure.conftest import synthesize

    servers = [{"name": "live-1", "url": "https://mt5-1.example.com:443", "managerLogin": 1001, "egress": "public",
                "accountReads": "group"}]
    public = synthesize(tmp_path / "public", layer_dir, **{"propfirm:mt5Servers": json.dumps(servers)})
    [service] = public.resources("AWS::ECS::Service").values()
    network = service["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"]
    assert network["AssignPublicIp"] == "ENABLED"
    [task] = public.resources("AWS::ECS::TaskDefinition").values()
    environment = {e["Name"]: e["Value"] for e in task["Properties"]["ContainerDefinitions"][0]["Environment"]}
    assert environment["MT5_ACCOUNT_READS"] == "group"
    public_subnets = {k for k, r in public.raw["Resources"].items()
                      if r["Type"] == "AWS::EC2::Subnet" and r["Properties"].get("MapPublicIpOnLaunch")}
    assert {s["Ref"] for s in network["Subnets"]} <= public_subnets
    d = read_template(public.raw, "public")
    assert d.public_ips == d.nat_gateways + 1
    reads = {x.item: x.monthly for x in variable(d, Workload(100_000))}["MT5 reads through the NAT gateway"]
    assert reads == 0
