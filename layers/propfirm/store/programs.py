"""Programs in PostgreSQL: immutable versions of validated definitions.

A definition is stored as the validated program's canonical JSON (`model_dump`, without `version`),
and its SHA-256 is the content hash. Loading a definition equal to the id's latest version adds
nothing; a different one becomes version latest+1 (or the version the file names, which must be new
or hold the same content). A challenge keeps the (id, version) it was sold with.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from psycopg.types.json import Jsonb

from propfirm.domain.programs import (
    LATER_ABUSE_FIELDS,
    LATER_PHASE_FIELDS,
    LATER_PROGRAM_FIELDS,
    AbusePolicy,
    Phase,
    Program,
    load_example_programs,
    load_programs,
    parse_program,
)
from propfirm.store.errors import NotFound, ProgramConflict
from propfirm.store.jsonutil import canonical, plain

if TYPE_CHECKING:
    from propfirm.store.uow import UnitOfWork

# parsed programs by (id, version): versions never change, so a container keeps them
_PARSED: dict[tuple[str, int], Program] = {}


def definition_of(program: Program) -> dict[str, Any]:
    definition = plain(program.model_dump(mode="json", exclude={"version"}, exclude_none=True))
    # fields the format gained later are written only when set, so a program's content hash (and so its
    # version) does not change when the format grows
    _drop_defaults(definition, Program, LATER_PROGRAM_FIELDS)
    abuse = definition.get("abuse")  # a policy that is not the default: its later detectors only when set
    if isinstance(abuse, dict):
        _drop_defaults(abuse, AbusePolicy, LATER_ABUSE_FIELDS)
    for phase in definition.get("phases", ()):
        _drop_defaults(phase, Phase, LATER_PHASE_FIELDS)
    return definition


def _drop_defaults(
    data: dict[str, Any], model: type[Program] | type[Phase] | type[AbusePolicy], names: frozenset[str]
) -> None:
    for name in names:
        if name in data:
            default = model.model_fields[name].get_default(call_default_factory=True)
            if data[name] == plain(default.model_dump(mode="json") if hasattr(default, "model_dump") else default):
                del data[name]


def content_hash(definition: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(definition)).hexdigest()


@dataclass(frozen=True)
class LoadResult:
    program_id: str
    version: int
    added: bool  # False: this content is already the latest (or the named) version

    def describe(self) -> str:
        verb = "added" if self.added else "unchanged"
        return f"{self.program_id} v{self.version} {verb}"


class ProgramRepository:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def add(self, program: Program, source: str | None = None) -> LoadResult:
        definition = definition_of(program)
        digest = content_hash(definition)
        # one loader per program id at a time (two deploys loading the same file agree on versions)
        self.uow.execute("SELECT pg_advisory_xact_lock(hashtext('program:' || %s))", (program.id,))
        if program.version is not None:
            row = self.uow.fetchone(
                "SELECT content_hash FROM programs WHERE id = %s AND version = %s",
                (program.id, program.version),
            )
            if row is not None:
                if row[0] != digest:
                    raise ProgramConflict(
                        f"program {program.id} version {program.version} exists with another definition;"
                        " a version is never changed: give the new definition a new version"
                    )
                return LoadResult(program.id, program.version, False)
            version = program.version
        else:
            latest = self.uow.fetchone(
                "SELECT version, content_hash FROM programs WHERE id = %s ORDER BY version DESC LIMIT 1",
                (program.id,),
            )
            if latest is not None and latest[1] == digest:
                return LoadResult(program.id, latest[0], False)
            version = 1 if latest is None else latest[0] + 1
        self.uow.execute(
            "INSERT INTO programs (id, version, definition, content_hash, source)"
            " VALUES (%s, %s, %s, %s, %s)",
            (program.id, version, Jsonb(definition), digest, source),
        )
        return LoadResult(program.id, version, True)

    def get(self, program_id: str, version: int) -> Program:
        key = (program_id, version)
        cached = _PARSED.get(key)
        if cached is not None:
            return cached
        row = self.uow.fetchone("SELECT definition FROM programs WHERE id = %s AND version = %s", key)
        if row is None:
            raise NotFound(f"program {program_id} version {version} is not in the database")
        program = parse_program(row[0], source=f"programs:{program_id}:v{version}")
        _PARSED[key] = program
        return program

    def latest_version(self, program_id: str) -> int:
        row = self.uow.fetchone("SELECT max(version) FROM programs WHERE id = %s", (program_id,))
        if row is None or row[0] is None:
            raise NotFound(f"no program {program_id!r} in the database")
        return int(row[0])


def load_program_path(uow: UnitOfWork, path: str | Path) -> list[LoadResult]:
    """Validate every program under `path` (ProgramError on a bad file) and add new versions; no commit."""
    programs = load_programs(path)
    return [uow.programs.add(program, source=str(path)) for program in programs.values()]


def load_shipped_programs(uow: UnitOfWork) -> list[LoadResult]:
    return [uow.programs.add(program, source="examples") for program in load_example_programs().values()]
