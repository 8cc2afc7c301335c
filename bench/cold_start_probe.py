"""Run in a fresh interpreter by bench_evaluator's cold start: how long the evaluator's handler takes to
import, and to build its runtime, and which heavy modules came with it.

    python -X importtime bench/cold_start_probe.py   ->  "<import s> <import and runtime s> <heavy,modules>"
"""

from __future__ import annotations

import sys
import time

HEAVY = {"moto", "hypothesis", "aws_cdk", "yaml", "pytest"}
NOT_IN_A_COLD_START = ("propfirm.sim", "propfirm.api", "propfirm.local")

t0 = time.perf_counter()
from propfirm.evaluation import function  # noqa: E402, F401

t1 = time.perf_counter()
from propfirm.evaluation.bootstrap import runtime  # noqa: E402

runtime()
t2 = time.perf_counter()
heavy = sorted({m.split(".")[0] for m in sys.modules} & HEAVY | {m for m in sys.modules
                                                                  if m.startswith(NOT_IN_A_COLD_START)})
print(t1 - t0, t2 - t0, ",".join(heavy))
