"""`/v1/applications/{id}/background-checks`, `/v1/background-checks/{id}` with the adverse-action decisions, and
the provider's webhook."""
import uuid
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from talentkit.apidocs import PROBLEM_ANSWER, Responses
from talentkit.auth import Principal, RequestContext, require
from talentkit.clock import clock_of
from talentkit.db import UoW
from talentkit.errors import BadRequest
from talentkit.idempotency import IdempotencyGuard
from talentkit.responses import resource_response

from ats.background_checks import service, webhooks
from ats.background_checks.schemas import (
    CheckCreate,
    CheckRead,
    Decision,
    EngageDecision,
)

by_application = APIRouter(prefix="/v1/applications", tags=["Background checks"])
router = APIRouter(prefix="/v1/background-checks", tags=["Background checks"])
Reader = Annotated[RequestContext, Depends(require("ats:read"))]
Writer = Annotated[RequestContext, Depends(require("ats:write"))]
P = PROBLEM_ANSWER
DECISION_ERRORS: Responses = {404: {"description": "No such check.", **P},
                   409: {"description": "Not allowed now (see `detail`, `waiting_until`, `adjudication`).", **P}}


@by_application.post("/{application_id}/background-checks", status_code=201, response_model=CheckRead,
                     summary="Order a background check",
                     responses={404: {"description": "No such application.", **P},
                                409: {"description": "Application not active, or the candidate has no email.", **P},
                                422: {"description": "Invalid body (`consent.given` must be true).", **P}})
async def order_check(application_id: uuid.UUID, body: CheckCreate, request: Request, ctx: Writer, uow: UoW,
                      idem: IdempotencyGuard) -> Response:
    """Order a check of `package` with the candidate's recorded consent. After the commit the provider creates
    the candidate and emails them its invitation (`status: invited`); its webhooks then move the check (pending,
    completed with `result` clear or consider, suspended, cancelled). A `consider` result holds the hire until a
    decision: engage, or pre-adverse notice, waiting period, adverse action. Emits `ats.background_check.*.v1`."""
    async def run() -> Response:
        check = await service.order(uow=uow, application_id=application_id, package=body.package,
                                    consent_given_at=body.consent.given_at, consent_text_version=body.consent.text_version,
                                    now=clock_of(request.app).now(), ctx=ctx)
        return resource_response(CheckRead, check, status_code=201, location=f"/v1/background-checks/{check.id}")
    return await idem.run(run)


@by_application.get("/{application_id}/background-checks", response_model=list[CheckRead],
                    summary="An application's background checks", responses={404: {"description": "No such application.", **P}})
async def list_checks(application_id: uuid.UUID, ctx: Reader, uow: UoW) -> list[dict[str, Any]]:
    """Every check of the application, oldest first, with its status, result and decision."""
    return [CheckRead.model_validate(c).model_dump(mode="json")
            for c in await service.of_application(uow=uow, application_id=application_id)]


@router.get("/{check_id}", response_model=CheckRead, summary="Get a background check",
            responses={404: {"description": "No such check.", **P}})
async def get_check(check_id: uuid.UUID, ctx: Reader, uow: UoW) -> Response:
    """The check; `ETag` carries its version."""
    return resource_response(CheckRead, await service.get(uow=uow, check_id=check_id))


@router.post("/{check_id}/engage", response_model=CheckRead, summary="Decide to go on despite `consider`",
             responses=DECISION_ERRORS)
async def engage(check_id: uuid.UUID, body: EngageDecision, ctx: Writer, uow: UoW, idem: IdempotencyGuard) -> Response:
    """The hire is no longer held by this check. Not after an adverse action."""
    return await idem.run(lambda: _read(service.engage(uow=uow, check_id=check_id, reason=body.reason, ctx=ctx)))


@router.post("/{check_id}/pre-adverse-action", response_model=CheckRead, summary="Send the pre-adverse notice",
             responses=DECISION_ERRORS)
async def pre_adverse_action(check_id: uuid.UUID, body: Decision, request: Request, ctx: Writer, uow: UoW,
                             idem: IdempotencyGuard) -> Response:
    """Email the candidate the pre-adverse notice naming the report; `waiting_until` is
    `ATS_ADVERSE_ACTION_WAIT_DAYS` (default 5) days later, when the adverse action becomes possible."""
    wait = timedelta(days=request.app.state.settings.adverse_action_wait_days)
    return await idem.run(lambda: _read(service.pre_adverse(uow=uow, check_id=check_id, reason=body.reason,
                                                            now=clock_of(request.app).now(), wait=wait, ctx=ctx)))


@router.post("/{check_id}/adverse-action", response_model=CheckRead, summary="Take the adverse action",
             responses=DECISION_ERRORS)
async def adverse_action(check_id: uuid.UUID, body: Decision, request: Request, ctx: Writer, uow: UoW,
                         idem: IdempotencyGuard) -> Response:
    """The final decision, only after the waiting period (409 with `waiting_until` before); emails the adverse
    action notice. The hire stays held."""
    return await idem.run(lambda: _read(service.adverse(uow=uow, check_id=check_id, reason=body.reason,
                                                        now=clock_of(request.app).now(), ctx=ctx)))


@router.post("/webhooks", summary="The provider's status webhook", openapi_extra={"security": []},
             responses={400: {"description": "Not a webhook body we understand (`field`).", **P},
                        401: {"description": "Missing, wrong or stale signature (`reason`).", **P},
                        404: {"description": "No check for this provider candidate.", **P}})
async def provider_webhook(request: Request, uow: UoW) -> JSONResponse:
    """For the background-check provider, not for API clients: `X-Signature: t=<unix>,v1=<hex HMAC-SHA256 of
    "<t>.<body>" with ATS_BACKGROUND_CHECK_WEBHOOK_SECRET>`, accepted within
    `ATS_BACKGROUND_CHECK_WEBHOOK_TOLERANCE_SECONDS` (default 300). Body: `{"id", "type", "data": {"object":
    {"id", "candidate_id", "result"}}}` with `type` invitation.completed, report.created, report.completed,
    report.suspended or report.canceled. Each event id is applied once: a replay answers `duplicate`."""
    settings, body = request.app.state.settings, await request.body()
    uow.ctx = RequestContext(principal=Principal(id=service.PROVIDER_ACTOR, scopes=frozenset()),
                             request_id=getattr(request.state, "request_id", None))
    webhooks.verify(settings.background_check_webhook_secret.get_secret_value(), request.headers.get("x-signature"),
                    body, now=clock_of(request.app).now(), tolerance_seconds=settings.background_check_webhook_tolerance_seconds)
    try:
        payload = await request.json()
    except ValueError:
        raise BadRequest("The webhook body is not JSON.") from None
    outcome = await service.apply_webhook(uow=uow, update=webhooks.parse(payload))
    return JSONResponse({"status": outcome})


async def _read(coro):  # type: ignore[no-untyped-def]
    return resource_response(CheckRead, await coro)
