"""Standard Webhooks signatures (https://www.standardwebhooks.com, "Signature scheme").

The signed content is `{webhook-id}.{webhook-timestamp}.{body}`; the signature is HMAC-SHA256 with the
secret's bytes, base64, prefixed `v1,`. A secret is `whsec_` and the base64 of 24 to 64 random bytes.
While a secret is rotated, each message is signed with the new and the previous secret, space-separated,
so that a receiver still holding the old one keeps verifying (the specification's rotation scheme).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets as random

PREFIX = "whsec_"
SECRET_BYTES = 32


class SecretError(ValueError):
    pass


def new_secret() -> str:
    return PREFIX + base64.b64encode(random.token_bytes(SECRET_BYTES)).decode()


def secret_bytes(secret: str) -> bytes:
    """The key a `whsec_…` secret stands for; a clear error for anything else."""
    if not secret.startswith(PREFIX):
        raise SecretError("a webhook secret starts with 'whsec_' followed by base64")
    try:
        key = base64.b64decode(secret[len(PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise SecretError("a webhook secret is 'whsec_' followed by base64: the rest is not base64") from None
    if not 24 <= len(key) <= 64:
        raise SecretError(f"a webhook secret holds 24 to 64 bytes, this one {len(key)}")
    return key


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """One `v1,<base64>` signature."""
    content = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_bytes(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_header(secrets: list[str], message_id: str, timestamp: int, body: bytes) -> str:
    """`webhook-signature`: one signature per secret (the current first), space-separated."""
    return " ".join(sign(s, message_id, timestamp, body) for s in secrets)


def headers(secrets: list[str], message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(secrets, message_id, timestamp, body),
        "content-type": "application/json",
    }
