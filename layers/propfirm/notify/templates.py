"""Each event's message per language, from `templates.yaml`: Python format strings over the event's data
(flattened, with `date`, `from_phase_no`, `reason_words` and `program_*` added). A field the event lacks
prints as `?`, never an error; an unknown language or event type in it falls back to English."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from string import Formatter
from typing import Any

import yaml

TEMPLATES_FILE = Path(__file__).with_name("templates.yaml")


@cache
def templates() -> dict[str, dict[str, Any]]:
    return dict(yaml.safe_load(TEMPLATES_FILE.read_text(encoding="utf-8")))


class _Lenient(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"


def fields(data: dict[str, Any], language: str) -> dict[str, Any]:
    """The event's data with the derived fields the templates use."""
    out = {k: v for k, v in data.items() if not isinstance(v, (dict, list))}
    out.update({f"program_{k}": v for k, v in (data.get("program") or {}).items()})
    time = str(data.get("time") or data.get("completed_at") or data.get("requested_at") or "")
    out["date"] = time[:10] or "?"
    if isinstance(data.get("from_phase"), int):
        out["from_phase_no"] = data["from_phase"] + 1
    reason = str(data.get("reason") or "")
    reasons = (templates().get(language) or {}).get("reasons") or templates()["en"]["reasons"]
    out["reason_words"] = reasons.get(reason, reason.replace("_", " ") or "?")
    return out


def render(event_type: str, data: dict[str, Any], language: str = "en") -> str | None:
    """The message, or None for an event type without a template."""
    template = (templates().get(language) or {}).get(event_type) or templates()["en"].get(event_type)
    if not isinstance(template, str):
        return None
    return Formatter().vformat(template, (), _Lenient(fields(data, language)))
