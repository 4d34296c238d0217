"""Search bodies."""
from __future__ import annotations

import uuid
from enum import StrEnum

from pydantic import BaseModel, Field


class Mode(StrEnum):
    BOOLEAN = "boolean"
    SEMANTIC = "semantic"
    HYBRID = "hybrid"


class Match(BaseModel):
    """Why a prospect is in the results."""

    fulltext_rank: int | None = Field(None, description="Position in the full-text (Boolean) ranking, 1 = best.")
    semantic_rank: int | None = Field(None, description="Position in the semantic ranking, 1 = nearest.")
    similarity: float | None = Field(None, description="Cosine similarity of the prospect's profile to the query (-1 to 1).")


class ProspectHit(BaseModel):
    id: uuid.UUID
    first_name: str
    last_name: str
    headline: str | None
    current_title: str | None
    current_company: str | None
    location: str | None
    skills: list[str]
    tags: list[str]
    status: str
    score: float = Field(description="boolean: ts_rank; semantic: cosine similarity; hybrid: the fused score "
                                     "(sum of 1/(60 + rank) over both rankings).")
    match: Match
