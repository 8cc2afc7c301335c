"""Build the Lambda layer without Docker: the `propfirm` package and its dependencies as Linux wheels.

    .venv/bin/python -m infra.build_layer [--target build/layer] [--clean]

pip downloads manylinux2014_x86_64 / CPython 3.12 wheels only (`--only-binary=:all:`), whatever the
machine building it, into `<target>/python` (the layout Lambda expects); `cdk synth` then zips that
directory as the layer asset (infra/constructs/shared_layer.py). Boto3 is left out: the Lambda runtime
provides it, and it is most of the layer's size otherwise.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

from infra.constants import DEFAULT_LAYER_DIR, LAYER_PLATFORM, LAYER_PYTHON_VERSION, REPO_ROOT

PROVIDED_BY_RUNTIME = ("boto3", "botocore", "s3transfer", "jmespath")


def pip_command(target: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "pip",
        "install",
        str(REPO_ROOT),
        "--target",
        str(target / "python"),
        "--platform",
        LAYER_PLATFORM,
        "--implementation",
        "cp",
        "--python-version",
        LAYER_PYTHON_VERSION,
        "--only-binary=:all:",
        "--upgrade",
        "--no-compile",
        "--quiet",
    ]


def prune(python_dir: Path) -> None:
    """Remove what the runtime already has and what a layer never needs (caches, the package's metadata
    of the editable checkout)."""
    for name in PROVIDED_BY_RUNTIME:
        for path in python_dir.glob(f"{name}*"):
            shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink()
    for cache in python_dir.rglob("__pycache__"):
        shutil.rmtree(cache, ignore_errors=True)


def _remove_setuptools_scratch() -> None:
    """Building the project leaves build/lib behind; a stale copy there would ship deleted modules."""
    for scratch in (REPO_ROOT / "build").glob("bdist.*"):
        shutil.rmtree(scratch, ignore_errors=True)
    shutil.rmtree(REPO_ROOT / "build" / "lib", ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", type=Path, default=DEFAULT_LAYER_DIR)
    parser.add_argument("--clean", action="store_true", help="empty the target first")
    args = parser.parse_args(argv)
    if args.clean and args.target.exists():
        shutil.rmtree(args.target)
    _remove_setuptools_scratch()
    command = pip_command(args.target)
    print("+", " ".join(command), flush=True)
    result = subprocess.run(command, check=False)
    if result.returncode != 0:
        print(f"build_layer: pip failed with status {result.returncode}", file=sys.stderr)
        return result.returncode
    _remove_setuptools_scratch()
    prune(args.target / "python")
    size = sum(p.stat().st_size for p in (args.target / "python").rglob("*") if p.is_file())
    print(f"layer built in {args.target / 'python'}: {size / 1e6:.1f} MB unzipped (limit 250 MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
