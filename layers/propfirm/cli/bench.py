"""`propfirm bench [NAME ...] [--quick] [--json FILE]`: run the benchmarks in `bench/`.

Each benchmark is `bench/bench_<name>.py` with `main(argv) -> dict`; this command finds them in the
source tree (the folder given by --dir, or `bench/` beside the package's source checkout), runs the
chosen ones in turn and prints their figures. The README's and docs/ figures come from this command.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path

DEFAULT_DIR = Path(__file__).resolve().parents[3] / "bench"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("bench", help="run the benchmarks and print their figures")
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all), e.g. replay poller api")
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="folder holding bench_*.py")
    parser.add_argument("--json", type=Path, help="also write every benchmark's figures to this file")
    parser.set_defaults(func=run)


def discover(folder: Path) -> dict[str, Path]:
    return {path.stem.removeprefix("bench_"): path for path in sorted(folder.glob("bench_*.py"))}


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(f"propfirm_bench_{name}", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(args: argparse.Namespace) -> int:
    available = discover(args.dir)
    if not available:
        print(f"propfirm bench: no bench_*.py in {args.dir}", file=sys.stderr)
        return 2
    unknown = [n for n in args.names if n not in available]
    if unknown:
        print(f"propfirm bench: unknown benchmark(s) {', '.join(unknown)}; "
              f"available: {', '.join(available)}", file=sys.stderr)
        return 2
    results: dict[str, dict] = {}
    for name in args.names or list(available):
        print(f"== {name} ==", flush=True)
        module = _load(name, available[name])
        results[name] = module.main(["--quick"] if args.quick else [])
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2, default=str))
    return 0
