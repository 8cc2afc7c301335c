"""Seals on the audit log: each row's chain hash, MACed with a key the database cannot use.

The hash chain shows that rows fit together; it cannot show that they are the rows that were written,
because whoever may run SQL as the table's owner can disable the append-only trigger, rewrite rows and
recompute every hash after them. A seal is an HMAC-SHA-256 of `"{id}:{hash}"` made by the writer with a
key that lives outside PostgreSQL:

- in AWS a KMS HMAC key (`AUDIT_SEAL_KMS_KEY_ID`, GenerateMac/VerifyMac): the key never leaves KMS, and
  only the writers' IAM roles may use it;
- otherwise a local key (`PROPFIRM_AUDIT_KEY`, base64, or a key kept in `$PROPFIRM_HOME/audit.key`).

A rewritten row changes its hash, so its seal (and every later one) no longer verifies: `propfirm audit
verify` names the first such row. Rows written before sealing began (migration 0008) carry none; once one
row is sealed, every later row must be.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from typing import Any, Protocol

from propfirm.kept import kept_key, per_setting

AUDIT_KEY_FILE = "audit.key"
MAC_ALGORITHM = "HMAC_SHA_256"


def seal_message(row_id: int, row_hash: str) -> bytes:
    return f"{row_id}:{row_hash}".encode()


class Sealer(Protocol):
    key_ref: str

    def seal(self, message: bytes) -> str:
        """The seal (hex) of a message."""
        ...

    def check(self, message: bytes, seal: str) -> bool: ...


class HmacSealer:
    """HMAC-SHA-256 with a key held by this process (a local run, tests)."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 32:
            raise ValueError("the audit seal key must be at least 32 bytes")
        self._key = key
        self.key_ref = "local:" + hashlib.sha256(key).hexdigest()[:16]

    def seal(self, message: bytes) -> str:
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def check(self, message: bytes, seal: str) -> bool:
        return hmac.compare_digest(self.seal(message), seal)


class KmsMacSealer:
    """KMS GenerateMac/VerifyMac with an HMAC_256 key: one call per row written or verified."""

    def __init__(self, key_id: str, client: Any = None) -> None:
        import boto3

        self.key_id = key_id
        self.client = client or boto3.client("kms")
        self.key_ref = f"kms:{key_id}"

    def seal(self, message: bytes) -> str:
        answer = self.client.generate_mac(KeyId=self.key_id, Message=message, MacAlgorithm=MAC_ALGORITHM)
        return bytes(answer["Mac"]).hex()

    def check(self, message: bytes, seal: str) -> bool:
        try:
            answer = self.client.verify_mac(
                KeyId=self.key_id, Message=message, MacAlgorithm=MAC_ALGORITHM, Mac=bytes.fromhex(seal)
            )
        except self.client.exceptions.KMSInvalidMacException:
            return False
        except ValueError:  # not hex: not a seal
            return False
        return bool(answer.get("MacValid"))


def local_audit_key() -> bytes:
    return kept_key("PROPFIRM_AUDIT_KEY", AUDIT_KEY_FILE)


def sealer_from_environment(kms_client: Any = None) -> Sealer:
    """`AUDIT_SEAL_KMS_KEY_ID` (AWS), else the local key (never in a Lambda: a key made there would die
    with its container, and its seals with it)."""
    key_id = os.environ.get("AUDIT_SEAL_KMS_KEY_ID")
    if key_id:
        return KmsMacSealer(key_id, kms_client)
    if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        raise RuntimeError("AUDIT_SEAL_KMS_KEY_ID: required in AWS (the audit log's rows are sealed with KMS)")
    return HmacSealer(local_audit_key())


_defaults: dict[tuple[str | None, ...], Sealer] = {}


def default_sealer() -> Sealer:
    """The process's sealer, from the environment (a unit of work given none uses it): built once per
    setting of the variables that choose the key."""
    return per_setting(("AUDIT_SEAL_KMS_KEY_ID", "PROPFIRM_AUDIT_KEY", "PROPFIRM_HOME"), _defaults,
                       sealer_from_environment)
