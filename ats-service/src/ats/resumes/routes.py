"""`/v1/candidates/{id}/resumes`: upload (multipart), list, read, download."""
import uuid
from typing import Annotated, Any

from ats.resumes import service
from ats.resumes.files import MAX_FILE_BYTES
from ats.resumes.schemas import ResumeDetail, ResumeRead
from fastapi import APIRouter, Depends, Request, Response
from starlette.datastructures import UploadFile
from talentkit.apidocs import PROBLEM_ANSWER
from talentkit.auth import RequestContext, require
from talentkit.db import UoW
from talentkit.errors import ContentTooLarge, Unprocessable, field_error
from talentkit.pagination import Page, PageQuery
from talentkit.responses import resource_response

router = APIRouter(prefix="/v1/candidates/{candidate_id}/resumes", tags=["Resumes"])
Reader = Annotated[RequestContext, Depends(require("ats:read"))]
Writer = Annotated[RequestContext, Depends(require("ats:write"))]
P = PROBLEM_ANSWER
UPLOAD_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"],
    "properties": {"file": {"type": "string", "format": "binary",
                            "description": "The resume: PDF, DOCX or UTF-8 text, at most 10 MB."}}}}}}}


@router.post("", status_code=201, response_model=ResumeRead, summary="Upload a resume", openapi_extra=UPLOAD_BODY,
             responses={200: {"description": "The candidate already has this exact file: the stored resume.", "model": ResumeRead},
                        404: {"description": "No such candidate.", **P},
                        409: {"description": "The candidate was merged or erased.", **P},
                        413: {"description": "The body is over 10 MB (refused before it is read whole).", **P},
                        415: {"description": "Not a PDF, DOCX or text file, or not what its part's Content-Type says.", **P},
                        422: {"description": "Empty, encrypted, damaged, or a DOCX zip bomb; or no `file` part.", **P}})
async def upload(candidate_id: uuid.UUID, request: Request, ctx: Writer, uow: UoW) -> Response:
    """Send the file as the `file` part of a `multipart/form-data` body. Its type is decided from its content (the
    file name plays no part). The text is read, and with it emails, phones (normalised to E.164), links, skills
    (from the skills vocabulary), work history and years of experience, each with a confidence. Emails, phones
    and links not yet on the candidate are added to the profile (they reach the CRM through the sync). Emits
    `ats.resume.parsed.v1`. Uploading the same file again returns the stored resume (200), so a retry is safe."""
    form = await request.form(max_files=1, max_fields=2)
    upload_file = form.get("file")
    if not isinstance(upload_file, UploadFile):
        raise Unprocessable("Send the resume as the `file` part of a multipart/form-data body.",
                            errors=[field_error("file", "missing file part", "missing")])
    content = await upload_file.read(MAX_FILE_BYTES + 1)
    if len(content) > MAX_FILE_BYTES:
        raise ContentTooLarge(f"Resumes are limited to {MAX_FILE_BYTES // 2**20} MB.",
                              errors=[field_error("file", "larger than 10 MB", "too_large")])
    resume, created = await service.upload(
        uow=uow, candidate_id=candidate_id, content=content, filename=(upload_file.filename or None) and upload_file.filename[:255],
        declared_type=upload_file.content_type, phone_region=request.app.state.settings.resume_phone_region, ctx=ctx)
    return resource_response(ResumeRead, resume, status_code=201 if created else 200,
                             location=f"/v1/candidates/{candidate_id}/resumes/{resume.id}" if created else None)


@router.get("", response_model=Page[ResumeRead], summary="List a candidate's resumes", responses={404: {"description": "No such candidate.", **P}})
async def list_resumes(candidate_id: uuid.UUID, ctx: Reader, uow: UoW, paging: PageQuery) -> dict[str, Any]:
    """The candidate's resumes, oldest first, with what was read from each (without the text: get one for it)."""
    return await service.list_resumes(uow=uow, paging=paging, candidate_id=candidate_id)


@router.get("/{resume_id}", response_model=ResumeDetail, summary="Get a resume with its text",
            responses={404: {"description": "No such resume for this candidate.", **P}})
async def get_resume(candidate_id: uuid.UUID, resume_id: uuid.UUID, ctx: Reader, uow: UoW) -> Response:
    """One resume: the fields read from it and its full text."""
    return resource_response(ResumeDetail, await service.get(uow=uow, candidate_id=candidate_id, resume_id=resume_id, text=True))


@router.get("/{resume_id}/file", summary="Download the original file", response_class=Response,
            responses={200: {"description": "The file as uploaded.", "content": {"application/pdf": {}}},
                       404: {"description": "No such resume for this candidate.", **P}})
async def download(candidate_id: uuid.UUID, resume_id: uuid.UUID, ctx: Reader, uow: UoW) -> Response:
    """The file exactly as uploaded, as an attachment (never rendered inline by a browser)."""
    resume = await service.get(uow=uow, candidate_id=candidate_id, resume_id=resume_id, content=True)
    name = "".join(c for c in (resume.filename or f"resume-{resume.id}") if c.isalnum() or c in "._- ")[:100] or "resume"
    return Response(resume.content or b"", media_type=resume.content_type, headers={
        "Content-Disposition": f'attachment; filename="{name}"', "X-Content-Type-Options": "nosniff",
        "ETag": f'"{resume.sha256}"'})
