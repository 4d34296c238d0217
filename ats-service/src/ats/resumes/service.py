"""Resume use cases: upload (check, dedupe, read, store, let the profile take the new contact points), list, read."""
from __future__ import annotations

import asyncio
import hashlib
import uuid
from typing import Any

from ats.candidates.models import Candidate
from ats.candidates.service import candidates
from ats.resumes import repository
from ats.resumes.blind import blind_text
from ats.resumes.extract import extract
from ats.resumes.files import sniff
from ats.resumes.models import Resume
from ats.resumes.parsing import normalise_phone, parse
from talentkit.auth import RequestContext
from talentkit.embeddings import embedder
from talentkit.errors import Conflict, NotFound
from talentkit.pagination import Paging
from talentkit.uow import UnitOfWork


async def upload(*, uow: UnitOfWork, candidate_id: uuid.UUID, content: bytes, filename: str | None,
                 declared_type: str | None, phone_region: str, ctx: RequestContext) -> tuple[Resume, bool]:
    """Store and read a resume; `(resume, False)` when the candidate already has this very file."""
    await _live(uow, candidate_id)
    kind = sniff(content, declared_type)
    sha256 = hashlib.sha256(content).hexdigest()
    if (existing := await repository.by_hash(uow.session, candidate_id, sha256)) is not None:
        return existing, False
    # Parsing and the model run in a worker thread: a slow file never stalls other requests.
    extracted = await asyncio.to_thread(extract, content, kind)
    fields = parse(extracted.text, phone_region=phone_region)
    blind = blind_text(extracted.text)
    vector = (await asyncio.to_thread(embedder().embed, [blind]))[0] if blind else None
    candidate = await candidates.get(uow.session, candidate_id, for_update=True)  # serialises uploads per person
    if (existing := await repository.by_hash(uow.session, candidate_id, sha256)) is not None:
        return existing, False
    resume = Resume.read(candidate_id=candidate.id, content=content, sha256=sha256, filename=filename,
                         content_type=kind.value, text=extracted.text, pages=extracted.pages, fields=fields,
                         embedding=vector, actor=ctx.actor)
    uow.session.add(resume)
    added = await candidates.add_contact_points(uow.session, candidate.id, {
        "emails": fields["emails"]["value"], "phones": fields["phones"]["value"], "links": fields["links"]["value"],
    }, ctx=ctx, same=lambda name, v: normalise_phone(v, phone_region) if name == "phones" else v.lower().rstrip("/"))
    resume.parsed(added)
    await uow.flush()
    return resume, True


async def _live(uow: UnitOfWork, candidate_id: uuid.UUID) -> Candidate:
    candidate = await candidates.get(uow.session, candidate_id)
    candidate.not_merged()
    if candidate.erased_at:
        raise Conflict("The candidate was erased; resumes cannot be added.")
    return candidate


async def list_resumes(*, uow: UnitOfWork, paging: Paging, candidate_id: uuid.UUID) -> dict[str, Any]:
    """A page of the candidate's resumes, oldest first."""
    await candidates.get(uow.session, candidate_id)
    return await paging.page(uow.session, repository.listing(candidate_id), model=Resume, filters={})


async def get(*, uow: UnitOfWork, candidate_id: uuid.UUID, resume_id: uuid.UUID, text: bool = False,
              content: bool = False) -> Resume:
    """One resume of the candidate (with its text or file when asked), or 404."""
    resume = await repository.get(uow.session, candidate_id, resume_id, text=text, content=content)
    if resume is None or resume.erased_at is not None:
        raise NotFound(f"Candidate {candidate_id} has no resume {resume_id}.")
    return resume
