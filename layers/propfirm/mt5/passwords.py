"""Passwords MT5 accepts: 8–16 characters from four classes (reference §1.6, §4.2.12)."""

from __future__ import annotations

import secrets
import string

_CLASSES = (string.ascii_lowercase, string.ascii_uppercase, string.digits, "#@!$%&*+-=?")


def generate_password(length: int = 12) -> str:
    """A random password with at least one character of each class."""
    if not 8 <= length <= 16:
        raise ValueError("MT5 passwords are 8 to 16 characters long")
    chars = [secrets.choice(c) for c in _CLASSES]
    alphabet = "".join(_CLASSES)
    chars += [secrets.choice(alphabet) for _ in range(length - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)


def is_acceptable(password: str) -> bool:
    return (
        8 <= len(password) <= 16
        and all(any(ch in c for ch in password) for c in _CLASSES[:3])
        and any(not ch.isalnum() for ch in password)
    )
