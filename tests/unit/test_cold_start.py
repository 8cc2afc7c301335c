"""Each Lambda handler's cold start imports only what it runs (a fresh interpreter per handler, no timing)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# never in a Lambda: test and infrastructure tooling, and the parts that run elsewhere (the poller in its
# container, the simulator, the local stack, the command line, the benchmarks' kit)
NEVER = ("moto", "hypothesis", "aws_cdk", "pytest", "fastapi", "uvicorn")
ELSEWHERE = ("propfirm.sim", "propfirm.local", "propfirm.replay", "propfirm.cli", "propfirm.poller",
             "propfirm.benchkit", "propfirm.mt5.webapi")
FUNCTIONS = ("evaluator", "api", "payouts", "notifications", "webhooks", "abuse", "migrate")

# what each handler does without, beyond the above: boto3 comes when its runtime is built, the YAML parser
# only where templates are read (programs come from PostgreSQL), httpx only where HTTP is sent
WITHOUT: dict[str, tuple[str, ...]] = {
    "evaluator": ("boto3", "yaml", "httpx", "propfirm.api", "propfirm.webhooks", "propfirm.notify"),
    "api": ("boto3", "yaml", "httpx", "propfirm.notify", "propfirm.abuse"),
    "payouts": ("boto3", "yaml", "httpx", "propfirm.api", "propfirm.webhooks", "propfirm.notify"),
    "notifications": ("boto3", "propfirm.api", "propfirm.evaluation", "propfirm.payouts"),
    "webhooks": ("boto3", "yaml", "propfirm.api", "propfirm.evaluation", "propfirm.payouts", "propfirm.notify"),
    "abuse": ("boto3", "yaml", "httpx", "propfirm.api", "propfirm.evaluation", "propfirm.payouts"),
    "migrate": ("boto3", "yaml", "httpx", "propfirm.api", "propfirm.evaluation", "propfirm.payouts"),
}


def _loaded_by(function: str) -> list[str]:
    code = f"import json, sys; import functions.{function}.handler; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return list(json.loads(out.stdout))


def _under(module: str, names: tuple[str, ...]) -> bool:
    return any(module == n or module.startswith(n + ".") for n in names)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_a_handler_imports_nothing_heavy_it_does_not_use(function: str) -> None:
    loaded = _loaded_by(function)
    assert f"functions.{function}.handler" in loaded
    other_functions = tuple(f"functions.{f}" for f in FUNCTIONS if f != function)
    unwanted = [
        m for m in loaded if _under(m, NEVER + ELSEWHERE + WITHOUT[function] + other_functions)
    ]
    assert unwanted == []


def test_the_evaluator_loads_its_own_service() -> None:
    assert "propfirm.evaluation.service" in _loaded_by("evaluator")
