"""``/healthz``, ``/readyz`` and ``/metrics``: for the council's monitoring and load balancer, not
people.  No sign-in, no personal data: counts, times and the schema revision only."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pepflow.service.readiness import readiness

router = APIRouter()


@router.get("/healthz")
def healthz() -> PlainTextResponse:
    """The process is alive and answering (it touches nothing else)."""
    return PlainTextResponse("ok\n")


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    """Ready to serve: the database answers and its schema is current (503 otherwise, with why);
    with the last sweep, the outbox backlog and the relay for whoever looks."""
    app = request.app.state.site.app
    state = readiness(app.engine, app.config, app.clock.now())
    return JSONResponse(state.as_json(), status_code=200 if state.ready else 503)


@router.get("/metrics")
def metrics(request: Request) -> Response:
    # imported here, not at the top: prometheus_client loads only for the work that needs it (start-up time, bench/startup.py)
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    return Response(generate_latest(request.app.state.metrics), media_type=CONTENT_TYPE_LATEST)
