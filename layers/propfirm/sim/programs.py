"""The MT5 groups the simulator creates, taken from the program files.

Each program's phases name their MT5 group (`phases[].group`); the simulator
creates those groups with the program's currency and leverage, and gives new
accounts the program's account size. This reads the YAML directly (one program
per file, or a list under `programs:`, or a folder of such files); switch
`program_groups` to `propfirm.domain.programs`' loader once it exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import yaml

import propfirm

FALLBACK_GROUPS = (
    ("challenge\\phase1", "USD", 100, Decimal(100_000)),
    ("challenge\\phase2", "USD", 100, Decimal(100_000)),
    ("funded\\standard", "USD", 100, Decimal(100_000)),
)


@dataclass(frozen=True)
class GroupSpec:
    name: str
    currency: str
    leverage: int
    account_size: Decimal


def default_programs_path() -> Path | None:
    """The shipped example programs, if this build has them."""
    candidate = Path(propfirm.__file__).resolve().parent / "examples" / "programs"
    return candidate if candidate.exists() else None


def _documents(path: Path) -> list[dict]:
    files = (
        sorted(p for p in path.rglob("*") if p.suffix.lower() in (".yaml", ".yml", ".json"))
        if path.is_dir()
        else [path]
    )
    programs: list[dict] = []
    for file in files:
        with file.open(encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
        if isinstance(data, dict) and isinstance(data.get("programs"), list):
            programs.extend(p for p in data["programs"] if isinstance(p, dict))
        elif isinstance(data, dict):
            programs.append(data)
        elif data is not None:
            raise ValueError(f"{file}: expected a program or a `programs:` list")
    return programs


def program_groups(path: str | Path | None = None) -> list[GroupSpec]:
    """One GroupSpec per distinct group of the programs at `path` (default: the examples).

    Without programs (no path and no shipped examples) the three groups of the
    architecture's example are used, so the simulator always has somewhere to put accounts.
    """
    folder = Path(path) if path else default_programs_path()
    if folder is None:
        return [GroupSpec(*g) for g in FALLBACK_GROUPS]
    if not folder.exists():
        raise FileNotFoundError(f"programs path {folder} does not exist")
    seen: dict[str, GroupSpec] = {}
    for program in _documents(folder):
        currency = str(program.get("currency", "USD"))
        leverage = int(program.get("leverage", 100))
        size = Decimal(str(program.get("account_size", "100000")))
        for phase in program.get("phases") or []:
            group = phase.get("group") if isinstance(phase, dict) else None
            if group and group.lower() not in seen:
                seen[group.lower()] = GroupSpec(str(group), currency, leverage, size)
    if not seen:
        raise ValueError(f"no phase groups found in the programs at {folder}")
    return list(seen.values())
