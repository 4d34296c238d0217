"""The search document of each candidate, kept by the database itself: triggers on `candidates` and `resumes`
rebuild a candidate's rows in the same statement that changed them (see the migrations `candidate search` and
`candidate search profiles`), so the index can never lag behind or disagree with what it indexes. Read-only for the
application."""
import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Text, text
from sqlalchemy.dialects.postgresql import ARRAY, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from ats.db import Base


class CandidateSearch(Base):
    """Weights: A name and job titles, B headline and skills, C the resume text."""

    __tablename__ = "candidate_search"
    __table_args__ = (
        Index("ix_candidate_search_document", "document", postgresql_using="gin"),
        Index("ix_candidate_search_skills", text("talent_lower_array(skills)"), postgresql_using="gin"),
        # What `title:` and `company:` search (talentkit.search.sql.text_field).
        Index("ix_candidate_search_titles", text("to_tsvector('english'::regconfig, COALESCE(titles, ''::text))"),
              postgresql_using="gin"),
        Index("ix_candidate_search_companies", text("to_tsvector('english'::regconfig, COALESCE(companies, ''::text))"),
              postgresql_using="gin"),
    )

    candidate_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("candidates.id", ondelete="CASCADE"), primary_key=True)
    document: Mapped[str] = mapped_column(TSVECTOR)
    skills: Mapped[list[str]] = mapped_column(ARRAY(Text))
    titles: Mapped[str] = mapped_column(Text)
    companies: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SearchProfile(Base):
    """The profile part of the search document alone (A name and job titles, B headline and skills), narrow so that
    ranking the thousands of candidates a common word matches reads profiles, not whole resumes."""

    __tablename__ = "candidate_search_profiles"
    __table_args__ = (Index("ix_candidate_search_profiles_profile", "profile", postgresql_using="gin"),)

    candidate_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("candidates.id", ondelete="CASCADE"), primary_key=True)
    profile: Mapped[str] = mapped_column(TSVECTOR)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
