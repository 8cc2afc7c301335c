"""MT5 passwords of a purchased account: generated to MT5's rules, kept encrypted, shown to the trader once.

The purchase webhook generates the main and investor passwords (`propfirm.mt5.passwords`: 8 to 16
characters, lower and upper case, digits and symbols), gives them to the `create_account` command and
keeps them in `account_credentials`, encrypted:
- in AWS with KMS (`PROPFIRM_CREDENTIALS_KMS_KEY_ID`), the challenge id bound as encryption context;
- otherwise with a local AES-256-GCM key (`PROPFIRM_CREDENTIALS_KEY`, 32 bytes base64, or a key kept in
  `$PROPFIRM_HOME/credentials.key`), the challenge id bound as associated data.

`reveal` decrypts them once, for the owner, after MT5 made the account; it marks the row revealed in the
same transaction (a second reveal is a 409) and removes the passwords from the command kept in the
outbox once that command is done.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import orjson
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from propfirm.api.problems import Conflict
from propfirm.api.tokens import kept_secret
from propfirm.mt5.passwords import generate_password
from propfirm.store.uow import UnitOfWork

CREDENTIALS_KEY_FILE = "credentials.key"
PASSWORD_LENGTH = 12


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
            KeyId=self.key_id, Plaintext=plaintext, EncryptionContext={"challenge_id": str(challenge_id)}
        )
        return answer["CiphertextBlob"]

    def decrypt(self, ciphertext: bytes, challenge_id: int, key_ref: str) -> bytes:
        answer = self.client.decrypt(
            CiphertextBlob=ciphertext, EncryptionContext={"challenge_id": str(challenge_id)}
        )
        return answer["Plaintext"]


def local_key() -> bytes:
    """`PROPFIRM_CREDENTIALS_KEY` (base64 of 32 bytes), or a random key kept in $PROPFIRM_HOME (0600)."""
    value = os.environ.get("PROPFIRM_CREDENTIALS_KEY")
    if value:
        return base64.b64decode(value)
    kept = kept_secret(CREDENTIALS_KEY_FILE, lambda: base64.b64encode(secrets.token_bytes(32)).decode())
    return base64.b64decode(kept)


def build_cipher(kms_key_id: str | None, kms_client: Any = None) -> Cipher:
    return KmsCipher(kms_key_id, kms_client) if kms_key_id else LocalCipher(local_key())


@dataclass(frozen=True)
class Passwords:
    main: str
    investor: str


def new_passwords() -> Passwords:
    return Passwords(generate_password(PASSWORD_LENGTH), generate_password(PASSWORD_LENGTH))


def store(uow: UnitOfWork, cipher: Cipher, challenge_id: int, passwords: Passwords) -> None:
    """Keep the passwords encrypted (no commit: the purchase's transaction)."""
    plaintext = orjson.dumps({"main": passwords.main, "investor": passwords.investor})
    uow.execute(
        "INSERT INTO account_credentials (challenge_id, key_ref, ciphertext) VALUES (%s, %s, %s)",
        (challenge_id, cipher.key_ref, cipher.encrypt(plaintext, challenge_id)),
    )


def reveal(uow: UnitOfWork, cipher: Cipher, challenge: dict[str, Any], who: str, now: datetime) -> dict[str, Any]:
    """The account's login and passwords, once; commits. 409 before MT5 made the account, and after the
    first reveal."""
    challenge_id = challenge["id"]
    row = uow.fetchone(
        "SELECT key_ref, ciphertext, revealed_at FROM account_credentials WHERE challenge_id = %s FOR UPDATE",
        (challenge_id,),
    )
    if row is None:
        raise Conflict("this challenge has no credentials kept by the API", code="no_credentials")
    if row[2] is not None:
        raise Conflict(
            "the credentials were shown once already; ask support to reset the password", code="already_shown"
        )
    if challenge["login"] is None:
        raise Conflict("the MT5 account is being created; try again shortly", code="account_pending")
    secret = orjson.loads(cipher.decrypt(bytes(row[1]), challenge_id, row[0]))
    uow.execute(
        "UPDATE account_credentials SET revealed_at = %s, revealed_to = %s WHERE challenge_id = %s",
        (now, who, challenge_id),
    )
    # the command kept in the outbox needs its passwords no more once MT5 carried it out
    uow.execute(
        "UPDATE outbox SET command = command - 'password_main' - 'password_investor'"
        " WHERE challenge_id = %s AND kind = 'create_account' AND status = 'done'",
        (challenge_id,),
    )
    uow.commit()
    return {
        "challenge_id": challenge_id,
        "server": challenge["server"],
        "login": challenge["login"],
        "password_main": secret["main"],
        "password_investor": secret["investor"],
        "shown_at": now,
    }
