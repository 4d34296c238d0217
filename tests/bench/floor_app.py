"""The framework floor: the bare baseline's GET by id (same table, same row, same JSON) on the platform's fixed
choices with nothing of the platform on top (no auth, no middleware, no rate limit, no access log), to show how much
of the gap to the bare app the stack itself sets. `uvicorn --factory bench.floor_app:create_app`, database from
`BENCH_BARE_DATABASE_URL` (the bare app creates the table).

- `GET /fastapi/items/{id}`: FastAPI routing (a path parameter typed `uuid.UUID` and one dependency) over the same
  asyncpg query as the bare app.
- `GET /orm/items/{id}`: FastAPI, then the row through a SQLAlchemy 2 `AsyncSession` (`session.get`) and the services'
  own Pydantic model of a person (`ProfileOut`), as every service endpoint reads.
- `POST /orm/items`: FastAPI with a Pydantic body, a SQLAlchemy `AsyncSession` adding the row and committing, the
  answer through the Pydantic model: the bare INSERT on the fixed choices (no outbox, idempotency key or audit)."""
from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

import asyncpg
from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy import ARRAY, DateTime, Integer, Text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from talentkit.profiles.schemas import ProfileOut

from .bare_app import COLUMNS, _init, _jsonable


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "items"
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    first_name: Mapped[str] = mapped_column(Text)
    last_name: Mapped[str] = mapped_column(Text)
    emails: Mapped[list[str]] = mapped_column(ARRAY(Text))
    phones: Mapped[list[str]] = mapped_column(ARRAY(Text))
    location: Mapped[str | None] = mapped_column(Text)
    headline: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(ARRAY(Text))
    source: Mapped[str | None] = mapped_column(Text)
    field_times: Mapped[dict[str, Any]] = mapped_column(JSONB)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(Text)


class ItemCreate(BaseModel):
    first_name: str
    last_name: str
    emails: list[str] = []
    phones: list[str] = []
    location: str | None = None
    headline: str | None = None
    tags: list[str] = []
    source: str | None = None


def caller(request: Request) -> str:
    """A stand-in for the services' auth dependency: FastAPI solves one dependency per request, as there."""
    return request.headers.get("authorization", "")


Caller = Annotated[str, Depends(caller)]


def create_app() -> FastAPI:
    url = os.environ["BENCH_BARE_DATABASE_URL"]
    state: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state["pool"] = await asyncpg.create_pool(url.replace("postgresql+asyncpg://", "postgresql://"),
                                                  min_size=2, max_size=10, init=_init)
        engine = create_async_engine(url, pool_size=10)
        state["sessions"] = async_sessionmaker(engine, expire_on_commit=False)
        yield
        await state["pool"].close()
        await engine.dispose()

    app = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    @app.get("/fastapi/items/{id}")
    async def fastapi_item(id: uuid.UUID, who: Caller) -> Response:
        row = await state["pool"].fetchrow(f"SELECT {COLUMNS} FROM items WHERE id = $1", id)
        if row is None:
            return JSONResponse({"title": "not found"}, status_code=404)
        return JSONResponse(_jsonable(row))

    @app.get("/orm/items/{id}")
    async def orm_item(id: uuid.UUID, who: Caller) -> Response:
        async with state["sessions"]() as session:
            item = await session.get(Item, id)
            if item is None:
                return JSONResponse({"title": "not found"}, status_code=404)
            return Response(ProfileOut.model_validate(item).model_dump_json(), media_type="application/json")

    @app.post("/orm/items", status_code=201)
    async def orm_create(body: ItemCreate, who: Caller) -> Response:
        now = datetime.now(UTC)
        values = body.model_dump()
        item = Item(id=uuid.uuid4(), **values, field_times={k: now.isoformat() for k, v in values.items() if v not in (None, [])},
                    version=1, created_at=now, updated_at=now, created_by="floor", updated_by="floor")
        async with state["sessions"]() as session:
            session.add(item)
            await session.commit()
        return Response(ProfileOut.model_validate(item).model_dump_json(), status_code=201, media_type="application/json")

    @app.get("/readyz")
    async def ready() -> dict[str, str]:
        return {"status": "ok"}

    return app
