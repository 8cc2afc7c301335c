"""Keep the terminal for the run's own output; everything else goes to the run's log file.

The parts log JSON to standard output (Powertools' Logger and its metrics' EMF lines, written straight
to file descriptor 1 or to a `sys.stdout` captured at import time). `divert_output` points file
descriptor 1 (and Python's stdout/stderr logging) at `dev.log` in the run's directory and returns the
original standard output, where the run prints its URLs, status lines and the summary: with `--json`,
that is exactly one JSON object and nothing else.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import TextIO


def divert_output(log_path: Path, level: int) -> TextIO:
    """Returns a text stream on the original stdout; from now on fd 1 writes to `log_path`."""
    sys.stdout.flush()
    console = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    log_file = open(log_path, "a", buffering=1, encoding="utf-8")  # noqa: SIM115 - lives as long as the run
    os.dup2(log_file.fileno(), 1)
    sys.stdout = log_file
    handler = logging.StreamHandler(log_file)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(threadName)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)
    logging.captureWarnings(True)  # e.g. Powertools' "no application metrics" on an idle flush
    for noisy in ("werkzeug", "botocore", "urllib3", "httpx"):  # a line per moto request otherwise
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    return console


def quiet_powertools(level: str) -> None:
    """Powertools loggers read their level when created: set it before the parts are imported."""
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", level)
    os.environ.setdefault("POWERTOOLS_DEV", "false")
