"""`cdk synth` / `cdk deploy` entry point (see cdk.json)."""

from __future__ import annotations

import os

import aws_cdk as cdk

from infra.stacks.propfirm_stack import PropfirmStack


def build_app(outdir: str | None = None) -> cdk.App:
    app = cdk.App(outdir=outdir)
    env = None
    if os.environ.get("CDK_DEFAULT_ACCOUNT"):
        env = cdk.Environment(account=os.environ["CDK_DEFAULT_ACCOUNT"], region=os.environ.get("CDK_DEFAULT_REGION"))
    PropfirmStack(app, os.environ.get("PROPFIRM_STACK_NAME", "Propfirm"), env=env)
    return app


if __name__ == "__main__":
    build_app().synth()
