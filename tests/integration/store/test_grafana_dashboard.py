"""The Grafana dashboard (infra/grafana/propfirm-risk.json) checked against what it reads: every SQL panel
is planned by PostgreSQL on the migrated schema (Grafana's macros expanded as Grafana would), and every
CloudWatch panel names a metric something here emits."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from propfirm.store.uow import UnitOfWork

REPO = Path(__file__).resolve().parents[3]
DASHBOARD = json.loads((REPO / "infra" / "grafana" / "propfirm-risk.json").read_text())
TARGETS = [(panel["title"], target) for panel in DASHBOARD["panels"] for target in panel["targets"]]


def expand(sql: str) -> str:
    """Grafana's PostgreSQL macros, as its data source expands them (a 24-hour range, an hour's buckets)."""
    sql = re.sub(r"\$__timeGroupAlias\((\w+), '1h'\)", r"date_trunc('hour', \1) AS time", sql)
    sql = re.sub(r"\$__timeFilter\((\w+)\)", r"\1 BETWEEN now() - interval '24 hours' AND now()", sql)
    assert "$__" not in sql, f"a macro this test does not expand: {sql}"
    return sql


@pytest.mark.parametrize(("title", "target"), [t for t in TARGETS if "rawSql" in t[1]], ids=lambda v: str(v)[:40])
def test_every_sql_panel_is_planned_on_the_schema(migrated_url: str, title: str, target: dict) -> None:
    with UnitOfWork(migrated_url) as uow:
        uow.fetchall("EXPLAIN " + expand(target["rawSql"]))  # a missing table or column fails here
        uow.fetchall(expand(target["rawSql"]))  # and it runs


def test_every_cloudwatch_panel_names_a_metric_that_is_emitted() -> None:
    code = "\n".join(p.read_text() for p in (REPO / "layers" / "propfirm").rglob("*.py"))
    ours = set(re.findall(r'add_metric\(name="(\w+)"', code))
    aws = {"AWS/SQS": {"ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage"},
           "AWS/Lambda": {"Errors", "Throttles", "Duration"}}
    cloudwatch = [t for _, t in TARGETS if "metricName" in t]
    assert cloudwatch
    for target in cloudwatch:
        known = ours if target["namespace"] == "PropFirm" else aws.get(target["namespace"], set())
        assert target["metricName"] in known, target


def test_panels_use_the_dashboards_data_source_variables() -> None:
    names = {v["name"] for v in DASHBOARD["templating"]["list"]}
    for panel in DASHBOARD["panels"]:
        assert panel["datasource"]["uid"] in {"${postgres}", "${cloudwatch}"} and {"postgres", "cloudwatch"} <= names
    assert len({p["id"] for p in DASHBOARD["panels"]}) == len(DASHBOARD["panels"])
