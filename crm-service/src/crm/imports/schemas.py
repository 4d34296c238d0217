"""Import bodies: the options of an upload, the import resource, its row errors."""
import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from crm.prospects.schemas import ProspectSource


class OnExisting(StrEnum):
    """What a row whose email belongs to a prospect already known does."""

    FILL_BLANKS = "fill_blanks"
    SKIP = "skip"


class ImportOptions(BaseModel):
    """How to import; part of the file's identity (the same file with other options is another import)."""

    model_config = ConfigDict(extra="forbid")

    source: ProspectSource = Field(ProspectSource.SOURCED, description="The `source` of every prospect created.")
    on_existing: OnExisting = Field(OnExisting.FILL_BLANKS, description=(
        "`fill_blanks`: fields the known prospect has empty are filled from the row, lists (emails, phones, tags, "
        "skills, links) gain the row's new values; nothing is ever overwritten or blanked. `skip`: leave it as is."))


class ImportRead(BaseModel):
    """An import and its progress. Poll it (or its `Location`) until `status` is `completed`, `cancelled` or
    `failed`; `processed` of `total` rows are done, each counted once in `created`, `updated`, `skipped` or
    `failed`."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    status: str = Field(description="`queued`, `running`, `completed`, `cancelled` or `failed`.")
    filename: str | None
    sha256: str = Field(description="Of the file's bytes: the same file with the same options is this import again.")
    options: ImportOptions
    encoding: str = Field(description="How the file was read: `utf-8`, `utf-8-sig` (with BOM) or `utf-16`.")
    delimiter: str = Field(description="The delimiter found in the header row: `,`, `;`, tab or `|`.")
    columns: dict[str, str] = Field(description="Header cell -> the prospect field it fills.")
    unknown_columns: list[str] = Field(description="Header cells no field takes: their values are not imported.")
    total: int = Field(description="Data rows in the file (blank lines are none).")
    processed: int
    created: int
    updated: int = Field(description="Known prospects (same email) that gained something from their row.")
    skipped: int = Field(description="Rows that matched a known prospect and changed nothing (or `on_existing: skip`).")
    failed: int = Field(description="Rows not imported; see `GET /v1/imports/{id}/errors`.")
    error: str | None = Field(None, description="Why a `failed` import stopped.")
    created_by: str
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None


class ImportRowErrorRead(BaseModel):
    """Why one row was not imported."""

    model_config = ConfigDict(from_attributes=True)

    row: int = Field(description="The line of the file where the row starts (the header row is line 1).")
    column: str | None = Field(description="The header cell of the column at fault, when one is.")
    message: str
    value: str | None = Field(description="The cell as it was (at most 200 characters), as text.")
