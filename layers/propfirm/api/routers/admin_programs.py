"""Programs under /admin/programs: every version listed (support and admin), a program or a new version
added (admin; `propfirm.operations.programs`)."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from propfirm.api import queries
from propfirm.api.auth import require_admin, require_reader
from propfirm.api.context import operator_name, principal
from propfirm.api.models import (
    ProgramAdded,
    ProgramList,
    documented,
)
from propfirm.api.problems import Unprocessable
from propfirm.api.runtime import runtime
from propfirm.operations.programs import add_program

router = Router()


# -- programs ----------------------------------------------------------------------------------------------
ProgramId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]
ProgramBody = Annotated[dict[str, Any], Body(description="a program definition, as in a program file")]


@router.get("/admin/programs", summary="Every program version", tags=["admin"], responses=documented(ProgramList))
def list_programs() -> ProgramList:
    require_reader(principal(router))
    with runtime().uow() as uow:
        return ProgramList.model_validate({"items": queries.programs(uow)})


def _add_program(definition: dict[str, Any], *, new_id: bool) -> Response[ProgramAdded]:
    require_admin(principal(router))
    rt = runtime()
    with rt.uow() as uow:
        result = add_program(uow, definition, new_id=new_id, operator=operator_name(router), now=rt.clock())
    body = ProgramAdded(id=result.program_id, version=result.version, added=result.added)
    return Response(status_code=201 if result.added else 200, content_type="application/json", body=body)


@router.post(
    "/admin/programs",
    summary="Create a program (version 1); 409 when the id exists",
    tags=["admin"],
    responses=documented(ProgramAdded, "created", 201),
)
def create_program(body: ProgramBody) -> Response[ProgramAdded]:
    return _add_program(body, new_id=True)


@router.post(
    "/admin/programs/<program_id>/versions",
    summary="A new version of a program (challenges keep the version they were sold with)",
    tags=["admin"],
    responses=documented(ProgramAdded, "created", 201),
)
def new_program_version(program_id: ProgramId, body: ProgramBody) -> Response[ProgramAdded]:
    if body.get("id", program_id) != program_id:
        raise Unprocessable(f"id: the body's id {body.get('id')!r} is not the path's {program_id!r}")
    return _add_program({**body, "id": program_id}, new_id=False)
