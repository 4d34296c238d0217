"""Search bodies."""
import uuid

from pydantic import BaseModel, Field


class CandidateHit(BaseModel):
    id: uuid.UUID
    first_name: str
    last_name: str
    headline: str | None
    location: str | None
    tags: list[str]
    skills: list[str] = Field(description="Skills read from the candidate's resumes.")
    score: float = Field(description="Relevance to `q` (PostgreSQL ts_rank). Candidates with a searched word in "
                                     "their name, job titles (these weigh most), headline or skills come first, "
                                     "ranked on those; then candidates only their resume text matched, ranked on "
                                     "everything; 0 without words to rank by.")
    snippet: str | None = Field(None, description="Where the resume matches, matches in `<mark>…</mark>`; the rest "
                                                  "of the text is HTML-escaped, so it is safe to insert as HTML.")
