"""`GET /v1/candidates/{id}/export`."""
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from talentkit.auth import RequestContext, require
from talentkit.db import UoW

from ats.exports import service

router = APIRouter(prefix="/v1/candidates", tags=["Candidates"])


@router.get("/{id}/export", summary="Everything the ATS holds about a candidate (access request)",
            responses={404: {"description": "Unknown candidate.", "content": {"application/problem+json": {}}}})
async def export(id: uuid.UUID, ctx: Annotated[RequestContext, Depends(require("ats:read"))], uow: UoW) -> dict[str, Any]:
    """One JSON document for a data-subject access request (the sync gateway's `/v1/data-subject-requests` puts it
    in its bundle): profile, applications with their stage history and HRIS hand-off status, careers-form answers,
    resumes (file name, type, size, sha256, upload time, the parsed fields and text; the file itself at its
    `download` path), background checks with their status history, interviews, scorecards (interviewers by
    number), offers, notes (`public` and `private`; `admin_only` withheld, see `notes_policy`) and the audit
    trail's entries about the candidate. EEO self-identification is not included: it is readable only with the
    `ats:eeo` scope (GET /v1/eeo-responses?application_id=…)."""
    return await service.export(uow=uow, candidate_id=id)
