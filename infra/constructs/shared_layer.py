"""The Lambda layer with the `propfirm` package and its dependencies, and the functions' code asset.

The layer is built beforehand, without Docker, by `python -m infra.build_layer` (pip with
`--platform manylinux2014_x86_64 --python-version 3.12 --only-binary=:all:` into `build/layer/python`);
this construct only points at the built directory: the context key `propfirm:layerDir`, or the
environment variable PROPFIRM_LAYER_DIR (the infrastructure tests point it at a small directory of
their own). A directory without `python/` fails synth with the command to run.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import RemovalPolicy
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.constants import REPO_ROOT

RUNTIME = lambda_.Runtime.PYTHON_3_12
ARCHITECTURE = lambda_.Architecture.X86_64  # matches the layer's manylinux2014_x86_64 wheels

# The functions' asset is the repository's `functions/` package (handlers import `functions.<name>...`);
# everything else of the repository is left out.
FUNCTION_ASSET_EXCLUDE = [
    "*",
    ".*",
    "!functions",
    "!functions/**",
    "functions/poller",
    "**/__pycache__",
    "**/*.pyc",
]


class LayerNotBuilt(FileNotFoundError):
    """The layer directory has no `python/` folder: the build has not been run."""


class SharedCode(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, layer_dir: Path) -> None:
        super().__init__(scope, construct_id)
        if not (layer_dir / "python").is_dir():
            raise LayerNotBuilt(
                f"the Lambda layer is not built: {layer_dir}/python does not exist. "
                "Run `.venv/bin/python -m infra.build_layer` (no Docker needed), or point "
                "PROPFIRM_LAYER_DIR / -c propfirm:layerDir=... at a built layer."
            )
        self.layer = lambda_.LayerVersion(
            self,
            "Layer",
            code=lambda_.Code.from_asset(str(layer_dir)),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            description="propfirm package and its dependencies",
            removal_policy=RemovalPolicy.RETAIN,  # functions being rolled back still reference old versions
        )
        self.function_code = lambda_.Code.from_asset(str(REPO_ROOT), exclude=FUNCTION_ASSET_EXCLUDE)
