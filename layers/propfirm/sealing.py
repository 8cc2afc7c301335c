"""Sealed MT5 passwords: encrypted where they are made (the purchase webhook), opened only where they are
used (the poller, just before it asks MT5 to create the account, and the trader's one-time reveal).

Between the two they travel and rest as ciphertext: in the `create_account` command kept in the outbox,
on the command queue and its dead-letter queue, and in `account_credentials`. The key:
- in AWS a KMS key (`PROPFIRM_CREDENTIALS_KMS_KEY_ID`), the challenge id bound as encryption context, so
  a ciphertext copied to another challenge does not open, and the key policy lets only the API encrypt
  and decrypt and the poller decrypt, under that context;
- otherwise a local AES-256-GCM key (`PROPFIRM_CREDENTIALS_KEY`, 32 bytes base64, or a key kept in
  `$PROPFIRM_HOME/credentials.key`), the challenge id bound as associated data. The API and the poller of
  one machine share it.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any, Protocol

import orjson
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from propfirm.kept import kept_key
from propfirm.queues.messages import SealedPasswords

CREDENTIALS_KEY_FILE = "credentials.key"
ENCRYPTION_CONTEXT_KEY = "challenge_id"


class Cipher(Protocol):
    key_ref: str

    def encrypt(self, plaintext: bytes, challenge_id: int) -> bytes: ...

    def decrypt(self, ciphertext: bytes, challenge_id: int, key_ref: str) -> bytes: ...


class LocalCipher:
    """AES-256-GCM with a local key: a 12-byte nonce, then the ciphertext and tag."""

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("the credentials key must be 32 bytes")
        self._aead = AESGCM(key)
        self.key_ref = "local:" + hashlib.sha256(key).hexdigest()[:16]

    def encrypt(self, plaintext: bytes, challenge_id: int) -> bytes:
        nonce = secrets.token_bytes(12)
        return nonce + self._aead.encrypt(nonce, plaintext, str(challenge_id).encode())

    def decrypt(self, ciphertext: bytes, challenge_id: int, key_ref: str) -> bytes:
        if key_ref != self.key_ref:
            raise ValueError(f"credentials encrypted with {key_ref}, this key is {self.key_ref}")
        return self._aead.decrypt(ciphertext[:12], ciphertext[12:], str(challenge_id).encode())


class KmsCipher:
    """AWS KMS Encrypt/Decrypt (the passwords are far below its 4 KB limit); the challenge id is the
    encryption context, so a ciphertext moved to another challenge's row does not decrypt."""

    def __init__(self, key_id: str, client: Any = None) -> None:
        import boto3

        self.key_id = key_id
        self.client = client or boto3.client("kms")
        self.key_ref = f"kms:{key_id}"

    def encrypt(self, plaintext: bytes, challenge_id: int) -> bytes:
        answer = self.client.encrypt(
            KeyId=self.key_id, Plaintext=plaintext, EncryptionContext={ENCRYPTION_CONTEXT_KEY: str(challenge_id)}
        )
        return bytes(answer["CiphertextBlob"])

    def decrypt(self, ciphertext: bytes, challenge_id: int, key_ref: str) -> bytes:
        answer = self.client.decrypt(
            CiphertextBlob=ciphertext, EncryptionContext={ENCRYPTION_CONTEXT_KEY: str(challenge_id)}
        )
        return bytes(answer["Plaintext"])


def local_key() -> bytes:
    """`PROPFIRM_CREDENTIALS_KEY` (base64 of 32 bytes), or a random key kept in $PROPFIRM_HOME (0600)."""
    return kept_key("PROPFIRM_CREDENTIALS_KEY", CREDENTIALS_KEY_FILE)


def build_cipher(kms_key_id: str | None, kms_client: Any = None) -> Cipher:
    return KmsCipher(kms_key_id, kms_client) if kms_key_id else LocalCipher(local_key())


@dataclass(frozen=True)
class Passwords:
    main: str
    investor: str


def seal_passwords(cipher: Cipher, challenge_id: int, passwords: Passwords) -> SealedPasswords:
    plaintext = orjson.dumps({"main": passwords.main, "investor": passwords.investor})
    ciphertext = cipher.encrypt(plaintext, challenge_id)
    return SealedPasswords(
        key_ref=cipher.key_ref, challenge_id=challenge_id, ciphertext=base64.b64encode(ciphertext).decode()
    )


def open_sealed(cipher: Cipher, sealed: SealedPasswords) -> Passwords:
    """The passwords a command carries sealed (ValueError when this key cannot open them)."""
    try:
        plain = cipher.decrypt(base64.b64decode(sealed.ciphertext), sealed.challenge_id, sealed.key_ref)
        data = orjson.loads(plain)
        return Passwords(str(data["main"]), str(data["investor"]))
    except Exception as exc:  # noqa: BLE001 - a wrong key, a tampered ciphertext, another challenge's context
        raise ValueError(f"the sealed passwords do not open with {cipher.key_ref}: {type(exc).__name__}") from None
