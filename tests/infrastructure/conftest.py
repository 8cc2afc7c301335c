"""One synthesized development template (and one production template) shared by every infrastructure
test: synth takes several seconds, so each variant is built once per session.

The Lambda layer is not built here (that is `python -m infra.build_layer`): the stack is pointed at a
small directory with an empty `python/` folder, which is all the construct needs to wire the layer.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")

pytest.importorskip("aws_cdk")
pytest.importorskip("cdk_nag")

from aws_cdk.assertions import Template  # noqa: E402

from infra.app import build_app, file_context  # noqa: E402
from infra.stacks.propfirm_stack import PropfirmStack  # noqa: E402


@dataclass
class Synthesized:
    stack: PropfirmStack
    template: Template
    raw: dict
    outdir: Path

    def resources(self, type_name: str) -> dict[str, dict]:
        return {k: v for k, v in self.raw["Resources"].items() if v["Type"] == type_name}

    def validation_report(self) -> dict:
        return json.loads((self.outdir / "validation-report.json").read_text())


@pytest.fixture(scope="session")
def layer_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("layer")
    (path / "python").mkdir()
    (path / "python" / "README").write_text("stand-in for the built layer\n")
    return path


def synthesize(outdir: Path, layer_dir: Path, **context: object) -> Synthesized:
    web = outdir.parent / f"{outdir.name}-web"
    web.mkdir(exist_ok=True)
    (web / "index.html").write_text("<!doctype html><title>stand-in for web/dist</title>\n")
    app = build_app(
        outdir=str(outdir),
        context={**file_context(), "propfirm:layerDir": str(layer_dir), "propfirm:webDir": str(web), **context},
    )
    stack = next(c for c in app.node.children if isinstance(c, PropfirmStack))
    app.synth()  # runs cdk-nag: an unacknowledged finding raises here
    raw = json.loads((outdir / f"{stack.artifact_id}.template.json").read_text())
    return Synthesized(stack, Template.from_json(raw), raw, outdir)


@pytest.fixture(scope="session")
def dev(tmp_path_factory: pytest.TempPathFactory, layer_dir: Path) -> Synthesized:
    return synthesize(tmp_path_factory.mktemp("cdk-dev"), layer_dir)


@pytest.fixture(scope="session")
def production(tmp_path_factory: pytest.TempPathFactory, layer_dir: Path) -> Synthesized:
    servers = [
        {
            "name": "live-1",
            "url": "https://mt5-1.example.com:443",
            "managerLogin": 1001,
            "groups": ["challenge\\phase1\\*", "challenge\\funded\\*"],
        },
        # the Manager API gateway: a Windows Server Core task
        {"name": "live-2", "url": "mt5-2.example.com:443", "managerLogin": 1002, "api": "manager"},
    ]
    return synthesize(
        tmp_path_factory.mktemp("cdk-prod"),
        layer_dir,
        **{
            "propfirm:environment": "prod",
            "propfirm:mt5Servers": json.dumps(servers),
            "propfirm:alarmEmail": "ops@example.com",
        },
    )


@pytest.fixture(scope="session")
def template(dev: Synthesized) -> Template:
    return dev.template
