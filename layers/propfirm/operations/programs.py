"""An operator adds a program, or a new version of one, from a definition as in a program file.

The version is the store's to give (a `version` in the definition is ignored); the same definition again
is no new version (`added` False). Each version added is an audit row naming the operator. Raises
InvalidProgram (the field and the reason), ProgramExists (a new id that is taken), ProgramNotFound (a new
version of an id that is not).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from propfirm.domain.programs import ProgramError, parse_program
from propfirm.operations.errors import InvalidRequest, Missing, OperationConflict
from propfirm.store.audit import AuditEntry
from propfirm.store.errors import NotFound as StoreNotFound
from propfirm.store.errors import ProgramConflict
from propfirm.store.uow import UnitOfWork


class InvalidProgram(InvalidRequest):
    """The definition breaks the programs' format: `errors` locate the field as a form would."""


class ProgramExists(OperationConflict):
    pass


class ProgramNotFound(Missing):
    pass


@dataclass(frozen=True)
class ProgramAdded:
    program_id: str
    version: int
    added: bool  # False: this definition is the latest version already


def add_program(
    uow: UnitOfWork, definition: dict[str, Any], *, new_id: bool, operator: str, now: datetime
) -> ProgramAdded:
    """`new_id`: a program whose id must be new; else a new version of an existing one. Commits."""
    definition = {k: v for k, v in definition.items() if k != "version"}
    try:
        program = parse_program(definition, source="request")
    except ProgramError as exc:
        # the field as a location a form can put the message beside: phases[0].x -> phases, 0, x
        loc = [int(p) if p.isdigit() else p for p in re.findall(r"[^.\[\]]+", exc.field or "")]
        raise InvalidProgram(
            f"invalid program: {exc.field or 'body'}: {exc.reason}",
            errors=[{"loc": ["body", *loc], "message": exc.reason, "type": "program"}],
        ) from None
    try:
        exists = uow.programs.latest_version(program.id) > 0
    except StoreNotFound:
        exists = False
    if new_id and exists:
        raise ProgramExists(f"program {program.id} exists: POST /admin/programs/{program.id}/versions adds one")
    if not new_id and not exists:
        raise ProgramNotFound(f"no program {program.id}")
    try:
        result = uow.programs.add(program, source=f"api:{operator}")
    except ProgramConflict as exc:
        raise OperationConflict(str(exc)) from None
    if result.added:
        uow.audit.append(
            [
                AuditEntry(
                    kind="program.created" if new_id else "program.versioned",
                    payload={"id": result.program_id, "version": result.version, "operator": operator},
                    created_at=now,
                )
            ]
        )
    uow.commit()
    return ProgramAdded(result.program_id, result.version, result.added)
