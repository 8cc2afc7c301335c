"""`cdk synth` / `cdk deploy` entry point (see cdk.json), also runnable as `python -m infra.app`.

The stack is env-agnostic unless the context names an account and region (`-c propfirm:account=...
-c propfirm:region=...`); cdk.context.json holds the availability-zone lookup of the placeholder account
123456789012 in us-east-1, so even an env-bound synth works offline. cdk-nag's AwsSolutions checks run
on every synth; an unacknowledged finding fails it (infra/nag.py).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import aws_cdk as cdk  # noqa: E402

from infra.constants import REPO_ROOT  # noqa: E402
from infra.nag import add_checks  # noqa: E402
from infra.settings import SettingsError  # noqa: E402
from infra.stacks.propfirm_stack import PropfirmStack  # noqa: E402


def file_context(root: Path = REPO_ROOT) -> dict:
    """cdk.json's context and cdk.context.json, which the CLI passes to the app itself; a direct
    `python -m infra.app` run reads them here."""
    context: dict = {}
    cdk_json = root / "cdk.json"
    if cdk_json.is_file():
        context.update(json.loads(cdk_json.read_text()).get("context", {}))
    pinned = root / "cdk.context.json"
    if pinned.is_file():
        context.update(json.loads(pinned.read_text()))
    return context


def build_app(outdir: str | None = None, context: dict | None = None, nag: bool = True) -> cdk.App:
    under_cli = "CDK_CONTEXT_JSON" in os.environ or "CDK_OUTDIR" in os.environ
    if context is None and not under_cli:
        context = file_context()
    app = cdk.App(outdir=outdir, context=context)
    if nag:
        add_checks(app)
    account = app.node.try_get_context("propfirm:account")
    region = app.node.try_get_context("propfirm:region")
    env = cdk.Environment(account=str(account), region=str(region)) if account and region else None
    PropfirmStack(app, app.node.try_get_context("propfirm:stackName") or "Propfirm", env=env)
    return app


def main() -> int:
    try:
        build_app().synth()
    except (SettingsError, FileNotFoundError) as exc:
        print(f"infra: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
