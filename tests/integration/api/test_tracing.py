"""No function records a secret in its traces: the API Lambda with X-Ray on (the real SDK, what it would
send to the daemon captured) shows a trader their one-time MT5 passwords, and neither the passwords nor
the response bodies appear in any recorded segment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_the_api_records_no_response_argument_or_secret_in_its_traces(migrated_url: str, redis_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": migrated_url, "REDIS_URL": redis_url, "REDIS_NAMESPACE": "traced:"}
    done = subprocess.run(
        [sys.executable, "-m", "tests.integration.api.traced_handler"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["statuses"] == [202, 200, 409]
    main, investor = report["passwords"]
    assert main and investor
    recorded = "\n".join(report["entities"])
    handler_segments = [json.loads(e) for e in report["entities"] if '"## lambda_handler"' in e]
    assert len(handler_segments) == 3  # tracing really was on: one subsegment per invocation
    assert main not in recorded and investor not in recorded
    for segment in handler_segments:
        assert "metadata" not in segment or not any(
            "response" in key or "error" in key for values in segment["metadata"].values() for key in values
        )
