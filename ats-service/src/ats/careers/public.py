"""`/careers`: the public job board, job pages with their JSON-LD, and the apply form (CSRF token, per-address
rate limit, honeypot, resume checked by content, errors next to their fields and the input kept)."""
from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile
from talentkit.auth import Principal, RequestContext
from talentkit.clock import clock_of
from talentkit.errors import Conflict, ProblemError

from ats.candidates.schemas import CandidateCreate
from ats.careers import pages, service
from ats.careers.jsonld import job_posting
from ats.careers.models import JobPosting
from ats.eeo import public as self_identification
from ats.jobs.models import Job
from ats.public import pages as public
from ats.public import security
from ats.public.pages import esc
from ats.resumes.files import sniff

router = APIRouter(include_in_schema=False)
ACTOR = "careers-site"
MAX_ANSWER = 2000
MAX_RESUME_BYTES = 900_000  # the platform refuses request bodies over 1 MB; the form's other fields need the rest
UNREADABLE = "We could not read this file: upload a PDF, Word (.docx) or plain text file."


def _ctx(request: Request) -> RequestContext:
    return RequestContext(principal=Principal(id=ACTOR, scopes=frozenset()),
                          request_id=getattr(request.state, "request_id", None))


def _gone(request: Request) -> Response:
    return public.error(request, "This job is no longer open", "The position may have been filled. Have a look at "
                        "our other open positions.", 404)


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip().replace("\x00", "") if isinstance(value, str) else ""


@router.get("/careers")
async def job_board(request: Request, department: str | None = None, location: str | None = None) -> Response:
    async with request.app.state.uow_factory(_ctx(request)) as uow:
        jobs, departments, locations = await service.board(uow=uow, department=department or None,
                                                           location=location or None)
        return public.respond(request, "Open positions", pages.board(jobs, departments, locations, department, location))


@router.get("/careers/jobs/{job_id}")
async def job_page(job_id: uuid.UUID, request: Request) -> Response:
    async with request.app.state.uow_factory(_ctx(request)) as uow:
        found = await service.open_job(uow=uow, job_id=job_id, now=clock_of(request.app).now())
        if found is None:
            return _gone(request)
        job, posting = found
        s = request.app.state.settings
        data = job_posting(job, posting, company=s.company_name, company_url=s.company_url,
                           page_url=f"{s.public_base_url.rstrip('/')}/careers/jobs/{job.id}")
        body, head = pages.job_page(job, posting, data)
        return public.respond(request, f"{job.title} – {s.company_name}", body, head=head)


def _form(request: Request, job: Job, posting: JobPosting | None, values: dict[str, str], errors: dict[str, str],
          status: int = 200) -> Response:
    csrf, fresh = security.form_token(request)
    title = f"{'Error: ' if errors else ''}Apply for {job.title}"
    return public.respond(request, title, pages.apply_form(job, posting, csrf, values, errors), status, nonce=fresh)


@router.get("/careers/jobs/{job_id}/apply")
async def apply_page(job_id: uuid.UUID, request: Request) -> Response:
    async with request.app.state.uow_factory(_ctx(request)) as uow:
        found = await service.open_job(uow=uow, job_id=job_id, now=clock_of(request.app).now())
        return _gone(request) if found is None else _form(request, *found, {}, {})


async def _read(form: FormData, posting: JobPosting | None, now: Any) -> tuple[service.Applicant | None, dict[str, str], dict[str, str]]:
    """The applicant the form describes, or the errors by field; and the values to show again."""
    values = {k: _text(form, k) for k in ("first_name", "last_name", "email", "phone", "talent_pool")}
    errors: dict[str, str] = {}
    for name, label in (("first_name", "first name"), ("last_name", "last name"), ("email", "email address")):
        if not values[name]:
            errors[name] = f"Enter your {label}."
    try:
        CandidateCreate.model_validate({"first_name": values["first_name"] or "x", "last_name": values["last_name"] or "x",
                                        "emails": [values["email"] or "x@example.com"],
                                        "phones": [values["phone"]] if values["phone"] else []})
    except ValidationError as exc:
        for e in exc.errors():
            field = {"emails": "email", "phones": "phone"}.get(str(e["loc"][0]), str(e["loc"][0]))
            errors.setdefault(field, {"email": "Enter a valid email address, like name@example.com.",
                                      "phone": "Enter a phone number with digits, like +44 20 7946 0958."}.get(
                field, "Use at most 100 characters."))
    answers: dict[str, str] = {}
    for q in posting.questions if posting else []:
        name, answer = f"q_{q['id']}", _text(form, f"q_{q['id']}")
        values[name] = answer
        allowed = ["yes", "no"] if q["kind"] == "yes_no" else q.get("choices") or None
        if not answer:
            if q.get("required"):
                errors[name] = "Answer this question." if q["kind"] == "text" else "Choose an answer."
        elif allowed is not None and answer not in allowed:
            errors[name] = "Choose one of the answers."
        elif len(answer) > MAX_ANSWER:
            errors[name] = f"Use at most {MAX_ANSWER} characters."
        else:
            answers[q["id"]] = answer
    upload = form.get("resume")
    content = await upload.read(MAX_RESUME_BYTES + 1) if isinstance(upload, UploadFile) else b""
    declared = upload.content_type if isinstance(upload, UploadFile) else None
    if not content:
        errors["resume"] = "Choose your resume file."
    elif len(content) > MAX_RESUME_BYTES:
        errors["resume"] = "The file is larger than 900 KB: please upload a smaller one."
    else:
        try:  # the cheap check by content now, with the other fields; the resumes feature reads it on apply
            sniff(content, declared)
        except ProblemError:
            errors["resume"] = UNREADABLE
    if errors:
        if "resume" not in errors and content:
            errors["resume"] = "Please choose your resume file again."  # a browser never re-sends a file
        return None, values, errors
    consent = None
    if values["talent_pool"] == "yes" and _text(form, "consent_version") == pages.CONSENT_TEXT_VERSION:
        consent = {"given_at": now, "text_version": pages.CONSENT_TEXT_VERSION}
    filename = (upload.filename if isinstance(upload, UploadFile) and upload.filename else "resume")[:200]
    return service.Applicant(first_name=values["first_name"], last_name=values["last_name"], email=values["email"].lower(),
                             phone=values["phone"] or None, answers=answers, resume_filename=filename,
                             resume_content_type=declared, resume=content, talent_pool_consent=consent), values, {}


@router.post("/careers/jobs/{job_id}/apply")
async def apply_submit(job_id: uuid.UUID, request: Request) -> Response:
    if (refused := await public.guard_post(request)) is not None:
        return refused
    form = await request.form()
    try:
        async with request.app.state.uow_factory(_ctx(request)) as uow:
            found = await service.open_job(uow=uow, job_id=job_id, now=clock_of(request.app).now())
            if found is None:
                return _gone(request)
            job, posting = found
            applicant, values, errors = await _read(form, posting, clock_of(request.app).now())
            if _text(form, "website"):  # the honeypot: only bots fill it; they see success and nothing is stored
                return public.respond(request, "Thank you", pages.thanks(values["first_name"] or "there", job.title,
                                                                         values["email"], None))
            if applicant is None:
                return _form(request, job, posting, values, errors, 422)
            try:
                app = await service.apply(uow=uow, job=job, posting=posting, applicant=applicant, ctx=_ctx(request),
                                          phone_region=request.app.state.settings.resume_phone_region)
            except service.ResumeRefused as unreadable:  # leaving the unit of work uncommitted rolls it all back
                return _form(request, job, posting, values, {"resume": unreadable.reason}, 422)
            await uow.commit()
            if app is None:
                return public.respond(request, "You have already applied", pages.ALREADY.substitute(title=esc(job.title)))
            return public.respond(request, "Thank you", pages.thanks(
                applicant.first_name, job.title, applicant.email, self_identification.link(request, app.id),
                talent_pool=applicant.talent_pool_consent is not None))
    except Conflict:  # closed between the page and the post
        return _gone(request)
