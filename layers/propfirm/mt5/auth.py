"""The pure hash functions of the MT5 Web API handshake (reference §1.2).

Every intermediate value is the raw 16-byte MD5 digest, never its hex text
(hashing hex strings is the classic mistake that yields HTTP 403):

    h1            = MD5(UTF-16LE(password))
    password_hash = MD5(h1 || b"WebAPI")
    answer        = hex(MD5(password_hash || rand))      # lowercase

The client answers the server's `srv_rand` this way, and checks that the
server's `cli_rand_answer` is the same function of the client's `cli_rand`
(proof that the server knows the password too). The simulator imports these
functions to check logins, so both sides share one implementation.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

WEBAPI_SALT = b"WebAPI"
RAND_BYTES = 16


def password_hash(password: str) -> bytes:
    """The 16-byte password hash both sides derive from the manager's API password."""
    h1 = hashlib.md5(password.encode("utf-16-le")).digest()
    return hashlib.md5(h1 + WEBAPI_SALT).digest()


def rand_answer(password_hash: bytes, rand: bytes) -> str:
    """The lowercase hex answer to a 16-byte random challenge."""
    if len(password_hash) != 16:
        raise ValueError("password_hash must be the 16 raw bytes of the digest")
    return hashlib.md5(password_hash + rand).hexdigest()


def new_cli_rand() -> bytes:
    """16 fresh random bytes for the client's challenge to the server."""
    return secrets.token_bytes(RAND_BYTES)


def parse_rand(hex_text: str) -> bytes:
    """A `srv_rand`/`cli_rand` from its hex text; ValueError unless it is 16 bytes of hex."""
    raw = bytes.fromhex(hex_text)
    if len(raw) != RAND_BYTES:
        raise ValueError(f"expected {RAND_BYTES} bytes of hex, got {len(raw)}")
    return raw


def answers_match(expected: str, received: str) -> bool:
    """Compare two hex answers in constant time, case-insensitively."""
    return hmac.compare_digest(expected.lower().encode(), received.strip().lower().encode())
