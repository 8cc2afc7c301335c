"""MT5 group masks: comma-separated patterns, `*` matches anything, `!` excludes (case-insensitive).

`demo\\*,!demo\\forex` = every group under demo\\ except demo\\forex.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

WILDCARDS = ("*", "!", "?")


def split_masks(masks: Sequence[str]) -> list[str]:
    return [part.strip() for mask in masks for part in mask.split(",") if part.strip()]


def is_concrete(pattern: str) -> bool:
    return not any(w in pattern for w in WILDCARDS)


@lru_cache(maxsize=256)
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile("".join(".*" if ch == "*" else re.escape(ch) for ch in pattern), re.IGNORECASE)


def matches(name: str, masks: Sequence[str]) -> bool:
    parts = split_masks(masks)
    if any(p.startswith("!") and _regex(p[1:]).fullmatch(name) for p in parts):
        return False
    return any(not p.startswith("!") and _regex(p).fullmatch(name) for p in parts)


def select(names: Iterable[str], masks: Sequence[str]) -> list[str]:
    """The names the masks select, in the given order."""
    return [n for n in names if matches(n, masks)]
