"""In Lambda, the package's standard-library loggers write JSON through the function's Powertools Logger
(service, correlation keys); elsewhere they are left as the process configured them."""

from __future__ import annotations

import json
import os
import subprocess
import sys

SCRIPT = """
import logging
from propfirm.evaluation.function import logger
logger.append_keys(message_id="m-1")
logging.getLogger("propfirm.evaluation").warning("snapshot skipped")
"""


def _run(env_extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "AWS_LAMBDA_FUNCTION_NAME"} | env_extra
    return subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=60,
                          check=True)


def test_in_lambda_the_package_loggers_write_json_with_the_function_keys():
    done = _run({"AWS_LAMBDA_FUNCTION_NAME": "evaluator", "POWERTOOLS_LOG_LEVEL": "INFO"})
    [line] = [json.loads(text) for text in done.stdout.splitlines() if "snapshot skipped" in text]
    assert line["message"] == "snapshot skipped" and line["service"] == "evaluator"
    assert line["message_id"] == "m-1" and line["level"] == "WARNING"


def test_outside_lambda_they_are_left_alone():
    done = _run({})
    assert "snapshot skipped" not in done.stdout  # the standard library's last resort: stderr, plain text
    assert "snapshot skipped" in done.stderr and not done.stderr.lstrip().startswith("{")
