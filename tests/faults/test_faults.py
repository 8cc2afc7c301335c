"""The whole local stack under faults (`propfirm dev --faults`): each fault alone, then all of them in one
run. A run passes when every fault was injected and recovered from, and every invariant holds.

Each run is a subprocess, as an operator would start it, judged by its JSON summary only."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from propfirm.local.faults.spec import FaultName

pytestmark = pytest.mark.slow

_SCRIPT = Path(sys.executable).with_name("propfirm")
PROPFIRM = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "propfirm.cli"]
START = "2026-01-05T09:00:00Z"  # a Monday: the scripted traders trade whatever day the suite runs
INVARIANTS = {
    "transitions_once", "payouts_paid_once", "failed_accounts_closed", "outbox_settled", "audit_chain",
    "same_decisions",
}

# what each fault must leave in the summary besides the invariants: proof that it really happened
EVIDENCE = {
    FaultName.DUPLICATE: lambda s: s["fault_run"]["sqs"]["redelivered"] > 0,
    FaultName.REORDER: lambda s: s["fault_run"]["sqs"]["held"] > 0,
    FaultName.EVALUATOR_CRASH: lambda s: s["fault_run"]["evaluator_restarts"] == 1,
    FaultName.POLLER_CRASH: lambda s: s["fault_run"]["poller_restarts"] == 1,
    FaultName.REDIS_FLUSH: lambda s: int(s["faults"][0]["detail"].split()[0]) > 0,
    FaultName.POSTGRES_OUTAGE: lambda s: s["fault_run"]["postgres_proxy"]["reset"] > 0,
    # the poller could not see MT5 for seconds, said so, and checked the gap against MT5 afterwards
    FaultName.MT5_RESTART: lambda s: ("refused" in s["faults"][0]["detail"] and s["fault_run"]["blind_intervals"]
                                      and s["fault_run"]["gap_reviews"]),
    FaultName.MT5_SLOW: lambda s: "late" in s["faults"][0]["detail"],
    FaultName.MT5_BUSY: lambda s: "retcode 12" in s["faults"][0]["detail"],
    FaultName.SQS_OUTAGE: lambda s: s["fault_run"]["sqs"]["refused_sends"] > 0,
}


def run_with_faults(spec: str, duration: int, database_url: str, redis_url: str, tmp: Path) -> dict[str, Any]:
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "TMPDIR": str(tmp)}
    done = subprocess.run(
        [*PROPFIRM, "dev", "--start", START, "--headless", "--json", "--duration", str(duration),
         "--accounts", "40", "--api-port", "0", "--faults", spec, "--run-dir", str(tmp / "run")],
        cwd=tmp, env=env, capture_output=True, text=True, timeout=duration + 240,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    (tmp / "summary.json").write_text(done.stdout)  # kept with the test's folder for a look afterwards
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, done.stdout[-2000:]
    return dict(json.loads(lines[0]))


def assert_recovered_and_whole(summary: dict[str, Any], names: list[str]) -> None:
    assert [f["name"] for f in summary["faults"]] == names
    for fault in summary["faults"]:
        assert not fault["detail"].startswith(("injection failed", "armed", "not injected")), fault
        assert fault["recovered"], f"{fault['name']} never recovered: {fault}"
        assert fault["recovery_seconds"] is not None and fault["recovery_seconds"] >= 0
    assert summary["invariants"].keys() == INVARIANTS
    broken = {name: check["detail"] for name, check in summary["invariants"].items() if not check["ok"]}
    if broken:  # in full: each detail says what the live decision stood on and where the truth was
        pytest.fail("invariants broken:\n" + "\n".join(f"{name}: {detail}" for name, detail in broken.items()),
                    pytrace=False)
    assert summary["fault_run"]["settled_seconds"] is not None, "the run never settled"
    assert not summary.get("failure")
    assert summary["threads_left"] == []


@pytest.mark.parametrize("fault", list(FaultName), ids=lambda f: f.value)
def test_each_fault_alone_is_recovered_from_with_nothing_lost(
    fault: FaultName, database_url: str, redis_url: str, tmp_path: Path
) -> None:
    summary = run_with_faults(f"{fault.value}@8", 30, database_url, redis_url, tmp_path)
    assert_recovered_and_whole(summary, [fault.value])
    assert EVIDENCE[fault](summary), summary["fault_run"]
    assert summary["failed"] >= 1 and summary["passed"] + summary["phase_passes"] >= 1  # decisions were made


def test_all_faults_in_one_run(database_url: str, redis_url: str, tmp_path: Path) -> None:
    summary = run_with_faults("all", 90, database_url, redis_url, tmp_path)
    assert_recovered_and_whole(summary, sorted((f.value for f in FaultName), key=[f.value for f in FaultName].index))
    assert summary["payouts_paid"] >= 1  # payouts went through the faults too
    for fault in FaultName:
        own = {**summary, "faults": [f for f in summary["faults"] if f["name"] == fault.value]}
        assert EVIDENCE[fault](own), (fault.value, own["faults"], summary["fault_run"])
