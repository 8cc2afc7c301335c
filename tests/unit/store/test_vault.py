"""Webhook secrets sealed at rest: the local AES-GCM vault and the KMS one (moto), what they refuse, and
the pass-through of secrets stored before sealing began."""

from __future__ import annotations

import base64

import boto3
import pytest
from moto import mock_aws
from propfirm.store.vault import KmsVault, LocalVault, VaultError, default_vault, is_sealed, vault_from_environment

SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()


def test_a_local_vault_seals_and_opens_and_refuses_another_key_or_an_altered_value() -> None:
    vault = LocalVault(b"a" * 32)
    stored = vault.seal(SECRET)
    assert is_sealed(stored) and SECRET not in stored and stored.startswith(f"enc:v1:{vault.key_ref}:")
    assert vault.seal(SECRET) != stored  # a fresh nonce each time
    assert vault.open(stored) == SECRET
    assert vault.open(SECRET) == SECRET  # written before sealing began: itself
    with pytest.raises(VaultError, match="this process holds"):
        LocalVault(b"b" * 32).open(stored)
    body = base64.b64decode(stored.rpartition(":")[2])
    altered = stored.rpartition(":")[0] + ":" + base64.b64encode(body[:-1] + bytes([body[-1] ^ 1])).decode()
    with pytest.raises(VaultError, match="does not open"):
        LocalVault(b"a" * 32).open(altered)
    with pytest.raises(ValueError, match="32 bytes"):
        LocalVault(b"short")


def test_a_kms_vault_binds_the_purpose_and_asks_kms_once_per_secret(monkeypatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        kms = boto3.client("kms", region_name="us-east-1")
        key_id = kms.create_key()["KeyMetadata"]["KeyId"]
        vault = KmsVault(key_id, kms)
        stored = vault.seal(SECRET)
        assert stored.startswith("enc:v1:kms:") and SECRET not in stored
        calls = []
        kms.meta.events.register("before-call.kms.Decrypt", lambda **kw: calls.append(kw))
        assert vault.open(stored) == vault.open(stored) == SECRET
        assert len(calls) == 1  # opened once, then from the container's cache
        blob = base64.b64decode(stored.removeprefix("enc:v1:kms:"))
        with pytest.raises(kms.exceptions.InvalidCiphertextException):  # without the purpose: refused
            kms.decrypt(CiphertextBlob=blob)
        with pytest.raises(VaultError, match="uses KMS"):
            vault.open(LocalVault(b"a" * 32).seal(SECRET))


def test_the_environment_chooses_the_vault_and_a_lambda_never_makes_a_local_key(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("WEBHOOK_VAULT_KMS_KEY_ID", raising=False)
    monkeypatch.setenv("PROPFIRM_HOME", str(tmp_path))
    monkeypatch.delenv("PROPFIRM_WEBHOOK_KEY", raising=False)
    first = default_vault()
    assert isinstance(first, LocalVault) and default_vault() is first
    assert (tmp_path / "webhooks.key").exists()  # kept for the machine's other processes
    monkeypatch.setenv("PROPFIRM_WEBHOOK_KEY", base64.b64encode(b"c" * 32).decode())
    assert default_vault().key_ref == LocalVault(b"c" * 32).key_ref
    monkeypatch.setenv("WEBHOOK_VAULT_KMS_KEY_ID", "alias/propfirm-webhooks")
    assert isinstance(vault_from_environment(kms_client=object()), KmsVault)
    monkeypatch.delenv("WEBHOOK_VAULT_KMS_KEY_ID")
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "propfirm-api")
    with pytest.raises(RuntimeError, match="WEBHOOK_VAULT_KMS_KEY_ID"):
        vault_from_environment()
