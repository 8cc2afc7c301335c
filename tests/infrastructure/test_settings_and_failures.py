"""What fails synth, and how: settings from the context, the layer not built, the payouts ASL missing or
naming a placeholder the stack does not fill. None of these needs a synth (they fail while building)."""

import json
from pathlib import Path

import aws_cdk as cdk
import pytest

from infra.app import file_context
from infra.build_layer import pip_command
from infra.constants import PAYOUTS_ASL
from infra.constructs.payouts import UnknownPlaceholder, placeholders
from infra.constructs.shared_layer import LayerNotBuilt
from infra.settings import SettingsError, StackSettings
from infra.stacks.propfirm_stack import PropfirmStack


def _settings(**context) -> StackSettings:
    # the dashboards' settings are tested on their own below: elsewhere they stay off (no web/dist needed)
    return StackSettings.from_node(cdk.App(context={"propfirm:web": "false", **context}).node)


def test_the_dashboards_need_their_build_and_a_valid_hosted_ui_prefix(tmp_path):
    with pytest.raises(SettingsError, match="the dashboards are not built"):
        _settings(**{"propfirm:web": "true", "propfirm:webDir": str(tmp_path)})
    (tmp_path / "index.html").write_text("<!doctype html>")
    built = _settings(**{"propfirm:web": "true", "propfirm:webDir": str(tmp_path)})
    assert built.web and built.web_dir == tmp_path and built.auth_domain_prefix is None
    for bad in ("Propfirm", "my-aws-firm", "-x", "a" * 64):
        with pytest.raises(SettingsError, match="authDomainPrefix"):
            _settings(**{"propfirm:web": "true", "propfirm:webDir": str(tmp_path), "propfirm:authDomainPrefix": bad})
    assert _settings(**{"propfirm:web": "true", "propfirm:webDir": str(tmp_path),
                        "propfirm:authDomainPrefix": "acme-traders"}).auth_domain_prefix == "acme-traders"


def test_defaults_and_production_defaults():
    dev = _settings()
    assert (dev.production, dev.nat_gateways, dev.aurora_reader, dev.waf, dev.mfa_required) == (
        False,
        1,
        False,
        False,
        False,
    )
    assert [s.name for s in dev.mt5_servers] == ["default"]
    assert dev.cache_nodes == 1 and [s.api for s in dev.mt5_servers] == ["webapi"]
    assert dev.load_example_programs
    assert not _settings(**{"propfirm:loadExamplePrograms": "false"}).load_example_programs
    prod = _settings(**{"propfirm:environment": "prod"})
    assert (prod.nat_gateways, prod.aurora_reader, prod.waf, prod.mfa_required) == (2, True, True, True)
    assert prod.production and prod.cache_nodes == 2
    assert _settings(**{"propfirm:environment": "production"}) == prod  # the long name is the same stage
    # each production default can be set on its own, and -c values arrive as strings
    assert _settings(**{"propfirm:environment": "production", "propfirm:natGateways": "1"}).nat_gateways == 1
    assert _settings(**{"propfirm:waf": "true"}).waf is True


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("propfirm:environment", "Prod", r"propfirm:environment must be one of \['dev', 'prod', 'production'\]"),
        ("propfirm:environment", "staging", "must be one of"),
        ("propfirm:natGateways", "3", "natGateways must be 1 or 2"),
        ("propfirm:shards", "1", "shards must be between 2 and 1000"),
        ("propfirm:shards", "many", "propfirm:shards: not an integer"),
        ("propfirm:waf", "maybe", "propfirm:waf: not a boolean"),
        ("propfirm:mt5Servers", '[{"name": "a"}]', r"mt5Servers\[0\] needs name, url and managerLogin"),
        ("propfirm:mt5Servers", "not json", "mt5Servers: not valid JSON"),
        (
            "propfirm:mt5Servers",
            json.dumps([{"name": "a b", "url": "https://x", "managerLogin": 1}]),
            "letters",
        ),
        (
            "propfirm:mt5Servers",
            json.dumps([{"name": "a", "url": "https://x", "managerLogin": 1}] * 2),
            "unique",
        ),
        (
            "propfirm:mt5Servers",
            json.dumps([{"name": "a", "url": "x:443", "managerLogin": 1, "api": "windows"}]),
            r"mt5Servers\[0\]\.api must be one of \['webapi', 'manager'\]",
        ),
        (
            "propfirm:mt5Servers",
            json.dumps([{"name": "a", "url": "x:443", "managerLogin": 1, "api": "manager", "cpu": 512}]),
            "the manager poller needs at least cpu 1024 and memoryMib 2048",
        ),
        (
            "propfirm:mt5Servers",
            json.dumps([{"name": "a", "url": "https://x", "managerLogin": 1, "groups": [1]}]),
            r"mt5Servers\[0\]\.groups",
        ),
        (
            "propfirm:mt5Servers",
            json.dumps([{"name": "a", "url": "https://x", "managerLogin": 1, "egress": "internet"}]),
            r"mt5Servers\[0\]\.egress must be one of \['nat', 'public'\]",
        ),
        (
            "propfirm:mt5Servers",
            json.dumps([{"name": "a", "url": "https://x", "managerLogin": 1, "accountReads": "all"}]),
            r"mt5Servers\[0\]\.accountReads must be pages or group",
        ),
    ],
)
def test_bad_settings_name_the_key(key, value, message):
    with pytest.raises(SettingsError, match=message):
        _settings(**{key: value})


def test_production_cache_keeps_its_second_zone():
    with pytest.raises(SettingsError, match="cacheNodes must be at least 2 in production"):
        _settings(**{"propfirm:environment": "prod", "propfirm:cacheNodes": "1"})
    assert _settings(**{"propfirm:cacheNodes": "3"}).cache_nodes == 3


def test_mt5_server_options():
    [server] = _settings(
        **{
            "propfirm:mt5Servers": json.dumps(
                [{"name": "w", "url": "10.0.0.5:443", "managerLogin": 7, "api": "manager", "groups": "a\\*, b\\*"}]
            )
        }
    ).mt5_servers
    assert server.windows and (server.cpu, server.memory_mib) == (1024, 2048)
    assert server.groups == ("a\\*", "b\\*")


def _stack(tmp_path: Path, layer: Path, asl: Path = PAYOUTS_ASL) -> PropfirmStack:
    app = cdk.App(outdir=str(tmp_path / "out"), context={**file_context(), "propfirm:layerDir": str(layer)})
    return PropfirmStack(app, "Test", payouts_asl=asl)


def test_layer_not_built_fails_with_the_command_to_run(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(LayerNotBuilt, match=r"python -m infra.build_layer"):
        _stack(tmp_path, tmp_path / "empty")


def test_payouts_asl_missing_fails(tmp_path, layer_dir):
    with pytest.raises(FileNotFoundError, match="payouts workflow definition missing"):
        _stack(tmp_path, layer_dir, asl=tmp_path / "nowhere.asl.json")


def test_unknown_asl_placeholder_fails_with_its_name(tmp_path, layer_dir):
    asl = tmp_path / "workflow.asl.json"
    asl.write_text(PAYOUTS_ASL.read_text().replace("${PayoutTasksQueueUrl}", "${PayoutQueue}", 1))
    assert placeholders(asl.read_text()) == {"PayoutQueue", "PayoutTasksQueueUrl"}
    with pytest.raises(UnknownPlaceholder, match=r"\['PayoutQueue'\]"):
        _stack(tmp_path, layer_dir, asl=asl)


def test_layer_build_command_targets_lambda_linux_wheels(tmp_path):
    command = pip_command(tmp_path)
    joined = " ".join(command)
    assert f"--target {tmp_path / 'python'}" in joined
    for flag in (
        "--platform manylinux2014_x86_64",
        "--implementation cp",
        "--python-version 3.12",
        "--only-binary=:all:",
    ):
        assert flag in joined


def test_app_entry_point_exits_2_with_the_reason(tmp_path, monkeypatch, capsys):
    from infra import app as infra_app

    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("PROPFIRM_LAYER_DIR", str(tmp_path / "empty"))
    monkeypatch.delenv("CDK_CONTEXT_JSON", raising=False)
    monkeypatch.delenv("CDK_OUTDIR", raising=False)
    monkeypatch.chdir(tmp_path)  # cdk.App's default outdir is relative: keep it out of the checkout
    assert infra_app.main() == 2
    assert "the Lambda layer is not built" in capsys.readouterr().err
