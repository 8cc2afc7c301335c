"""The evaluator handler's cold start imports only what it runs (a fresh interpreter, no timing)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

# Modules the evaluator never needs: test and infrastructure tooling, the other parts of the system, and
# the YAML parser (programs come from PostgreSQL) and boto3 (imported when the runtime is built).
HEAVY = ("moto", "hypothesis", "aws_cdk", "pytest", "yaml", "boto3", "fastapi", "uvicorn", "httpx")
OTHER_PARTS = ("propfirm.sim", "propfirm.api", "propfirm.local", "propfirm.replay", "propfirm.cli",
               "propfirm.mt5.webapi", "functions.api", "functions.payouts", "functions.poller")


def test_importing_the_handler_imports_nothing_heavy_it_does_not_use() -> None:
    code = (
        "import json, sys; import functions.evaluator.handler; "
        "print(json.dumps(sorted(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    loaded = json.loads(out.stdout)
    assert "functions.evaluator.handler" in loaded and "propfirm.evaluation.service" in loaded
    heavy = [m for m in loaded if m.split(".")[0] in HEAVY]
    others = [m for m in loaded if m.startswith(OTHER_PARTS)]
    assert heavy == [] and others == []
