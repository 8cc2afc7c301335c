"""Secrets kept in PostgreSQL, encrypted with a key the database cannot use (the outbound webhooks' signing
secrets: whoever reads the table, a backup or a replica must not be able to sign as the firm).

- in AWS a KMS symmetric key (`WEBHOOK_VAULT_KMS_KEY_ID`, Encrypt/Decrypt with an encryption context
  naming the purpose): the key never leaves KMS, and only the roles that write or sign may use it;
- otherwise AES-256-GCM with a local key (`PROPFIRM_WEBHOOK_KEY`, base64, or a key kept in
  `$PROPFIRM_HOME/webhooks.key`), from the `cryptography` library.

A stored value says how it was sealed: `enc:v1:kms:<base64 ciphertext blob>` or
`enc:v1:local:<key ref>:<base64 nonce and ciphertext>`. A value written before encryption (a bare
`whsec_…`) opens as itself, and `WebhookStore.seal_plain_secrets` (run by every migration) seals it.
Opening is cached per stored value, so a container asks KMS once per secret.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from typing import Any, Protocol

from propfirm.kept import kept_key, per_setting

PREFIX = "enc:v1:"
KEY_FILE = "webhooks.key"
PURPOSE = {"purpose": "propfirm-webhook-secret"}  # the KMS encryption context; the AES-GCM associated data
_AAD = b"propfirm-webhook-secret"


class VaultError(ValueError):
    """A stored value that cannot be opened here (another key, or not a sealed value)."""


class Vault(Protocol):
    key_ref: str

    def seal(self, plain: str) -> str:
        """The stored form of a secret."""
        ...

    def open(self, stored: str) -> str:
        """The secret a stored form stands for (a value stored before encryption is itself)."""
        ...


def is_sealed(stored: str) -> bool:
    return stored.startswith(PREFIX)


class _Opening:
    """`open` with a cache per stored value and the pass-through of values stored before encryption."""

    def __init__(self) -> None:
        self._opened: dict[str, str] = {}

    def open(self, stored: str) -> str:
        if not is_sealed(stored):
            return stored
        plain = self._opened.get(stored)
        if plain is None:
            plain = self._open(stored[len(PREFIX) :])
            if len(self._opened) >= 1024:
                self._opened.clear()
            self._opened[stored] = plain
        return plain

    def _open(self, sealed: str) -> str:  # pragma: no cover - each vault's own
        raise NotImplementedError


class LocalVault(_Opening):
    """AES-256-GCM with a key held by this process (a local run, tests)."""

    def __init__(self, key: bytes) -> None:
        super().__init__()
        if len(key) != 32:
            raise ValueError("the webhook secrets key must be 32 bytes")
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        self._aead = AESGCM(key)
        self.key_ref = "local:" + hashlib.sha256(key).hexdigest()[:16]

    def seal(self, plain: str) -> str:
        nonce = secrets.token_bytes(12)
        sealed = base64.b64encode(nonce + self._aead.encrypt(nonce, plain.encode(), _AAD)).decode()
        return f"{PREFIX}{self.key_ref}:{sealed}"

    def _open(self, sealed: str) -> str:
        from cryptography.exceptions import InvalidTag

        ref, _, body = sealed.rpartition(":")
        if ref != self.key_ref:
            raise VaultError(f"sealed with {ref or 'an unknown key'}, this process holds {self.key_ref}")
        raw = base64.b64decode(body)
        try:
            return self._aead.decrypt(raw[:12], raw[12:], _AAD).decode()
        except InvalidTag:
            raise VaultError("the sealed value does not open with this key (altered, or another key)") from None


class KmsVault(_Opening):
    """KMS Encrypt/Decrypt with a symmetric key: one call per secret written, one per secret first opened."""

    def __init__(self, key_id: str, client: Any = None) -> None:
        super().__init__()
        import boto3

        self.key_id = key_id
        self.client = client or boto3.client("kms")
        self.key_ref = f"kms:{key_id}"

    def seal(self, plain: str) -> str:
        answer = self.client.encrypt(KeyId=self.key_id, Plaintext=plain.encode(), EncryptionContext=PURPOSE)
        return f"{PREFIX}kms:{base64.b64encode(bytes(answer['CiphertextBlob'])).decode()}"

    def _open(self, sealed: str) -> str:
        kind, _, body = sealed.partition(":")
        if kind != "kms":
            raise VaultError(f"sealed with a {kind} key, this process uses KMS")
        answer = self.client.decrypt(
            KeyId=self.key_id, CiphertextBlob=base64.b64decode(body), EncryptionContext=PURPOSE
        )
        return bytes(answer["Plaintext"]).decode()


def local_webhook_key() -> bytes:
    return kept_key("PROPFIRM_WEBHOOK_KEY", KEY_FILE)


def vault_from_environment(kms_client: Any = None) -> Vault:
    """`WEBHOOK_VAULT_KMS_KEY_ID` (AWS), else the local key (never in a Lambda: a key made there would die
    with its container, and every secret sealed with it)."""
    key_id = os.environ.get("WEBHOOK_VAULT_KMS_KEY_ID")
    if key_id:
        return KmsVault(key_id, kms_client)
    if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        raise RuntimeError("WEBHOOK_VAULT_KMS_KEY_ID: required in AWS (webhook secrets are sealed with KMS)")
    return LocalVault(local_webhook_key())


_defaults: dict[tuple[str | None, ...], Vault] = {}


def default_vault() -> Vault:
    """The process's vault, from the environment: built once per setting of the variables that choose it."""
    return per_setting(("WEBHOOK_VAULT_KMS_KEY_ID", "PROPFIRM_WEBHOOK_KEY", "PROPFIRM_HOME"), _defaults,
                       vault_from_environment)
