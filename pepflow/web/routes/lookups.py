"""Matches for the pickers as a name is typed (where script runs: static/pepflow.js): the same
search as the no-script step (reports/lookups.py), as JSON.  For people who record events only;
a person field says which roles it takes, so a look-up finds nobody else."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from pepflow.engine.events import registry
from pepflow.errors import NotFound
from pepflow.reports.lookups import Match, person_matches, school_matches
from pepflow.web.site import DatabaseDep, VisitorDep, require

router = APIRouter()
SHORTEST = 2  # letters typed before any match is offered


def _json(matches: list[Match]) -> JSONResponse:
    return JSONResponse([{"ref": m.ref, "name": m.name, "detail": m.detail} for m in matches],
                        headers={"Cache-Control": "no-store"})


@router.get("/lookup/schools")
def schools(s: DatabaseDep, visitor: VisitorDep, q: str = ""):
    require(visitor, "records_events")
    return _json(school_matches(s, q[:100]) if len(q.strip()) >= SHORTEST else [])


@router.get("/lookup/people")
def people(s: DatabaseDep, visitor: VisitorDep, event: str = "", field: str = "", q: str = ""):
    require(visitor, "records_events")
    spec = registry().get(event)
    param = spec.param(field) if spec else None
    if param is None or not param.person:
        raise NotFound("person field", f"{event}/{field}"[:60])
    return _json(person_matches(s, q[:100], param.person) if len(q.strip()) >= SHORTEST else [])
