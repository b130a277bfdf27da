"""Operations: liveness, readiness and Prometheus metrics (for load balancers, orchestrators, monitoring)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from faqbot.api.contract import errors
from faqbot.api.deps import ServicesDep
from faqbot.errors import ServiceError
from faqbot.security.compare import same_secret

router = APIRouter(tags=["operations"])


# the scrape's bearer token (FAQBOT_METRICS_TOKEN), declared as a security scheme of its own
METRICS_TOKEN = HTTPBearer(auto_error=False, scheme_name="MetricsToken",
                           description="FAQBOT_METRICS_TOKEN, when set: `Authorization: Bearer <token>`")


class Liveness(BaseModel):
    status: str


class CheckResult(BaseModel):
    ready: bool
    detail: str = ""


class ReadinessReport(BaseModel):
    ready: bool
    not_ready: list[str]
    checks: dict[str, CheckResult]


@router.get("/livez", response_model=Liveness)
async def livez() -> Liveness:
    """The process answers (no database, Redis or Rasa call: restarting it would not fix those)."""
    return Liveness(status="alive")


@router.get("/readyz", response_model=ReadinessReport,
            responses={503: {"model": ReadinessReport, "description": "something this process needs is not "
                             "ready; `not_ready` names it (database, redis, rasa, index)"}})
async def readyz(services: ServicesDep) -> JSONResponse:
    """Ready to serve: the database answers, Redis (when configured) answers, at least one Rasa instance has a
    model loaded, and the knowledge-base index is built. 503 otherwise, naming what is not."""
    checks = await services.readiness.check()
    report = ReadinessReport(ready=all(c.ready for c in checks.values()),
                             not_ready=[name for name, c in checks.items() if not c.ready],
                             checks={name: CheckResult(ready=c.ready, detail=c.detail) for name, c in checks.items()})
    return JSONResponse(report.model_dump(), status_code=200 if report.ready else 503)


def metrics_reader(request: Request,
                   credentials: HTTPAuthorizationCredentials | None = Depends(METRICS_TOKEN)) -> None:
    """With FAQBOT_METRICS_TOKEN set, the scrape must send it as a bearer token; without, /metrics is open
    (keep it off the public side: the nginx configuration serves it to local addresses only)."""
    token = request.app.state.services.core.settings.metrics_token
    if not token:
        return
    if credentials is None or not same_secret(credentials.credentials, token):
        error = ServiceError("the metrics token is missing or wrong", code="not_authenticated", status_code=401)
        error.headers = {"WWW-Authenticate": "Bearer"}
        raise error


@router.get("/metrics", response_class=Response, dependencies=[Depends(metrics_reader)],
            responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}},
                             "description": "Prometheus text format"},
                       **errors(401)})
async def metrics(services: ServicesDep) -> Response:
    """Prometheus metrics: of every service process on this machine in multi-process mode, else of this one."""
    body, content_type = services.metrics.exposition()
    return Response(body, media_type=content_type)
