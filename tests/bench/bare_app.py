"""The bare baseline: Starlette + asyncpg, no ORM, no auth, no outbox; a SELECT by primary key and an INSERT of a
row shaped like a candidate, answered as JSON. `uvicorn --factory bench.bare_app:create_app`, database from
`BENCH_BARE_DATABASE_URL`. What the services add on top of this is what the API section measures."""
from __future__ import annotations

import json
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

SCHEMA = """CREATE TABLE IF NOT EXISTS items (
    id uuid PRIMARY KEY, first_name text NOT NULL, last_name text NOT NULL, emails text[] NOT NULL DEFAULT '{}',
    phones text[] NOT NULL DEFAULT '{}', location text, headline text, tags text[] NOT NULL DEFAULT '{}', source text,
    field_times jsonb NOT NULL DEFAULT '{}', version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now(),
    created_by text NOT NULL, updated_by text NOT NULL)"""
COLUMNS = ("id, first_name, last_name, emails, phones, location, headline, tags, source, field_times, version, "
           "created_at, updated_at, created_by, updated_by")
INSERT = (f"INSERT INTO items ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, $11, $11, 'bare', 'bare') "
          f"RETURNING {COLUMNS}")


def _jsonable(row: asyncpg.Record) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, uuid.UUID) else v.isoformat() if isinstance(v, datetime) else v)
            for k, v in row.items()}


async def _init(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


def create_app() -> Starlette:
    """The bare app on `BENCH_BARE_DATABASE_URL` (its table created at start-up)."""
    pool: asyncpg.Pool | None = None

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        nonlocal pool
        url = os.environ["BENCH_BARE_DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://")
        pool = await asyncpg.create_pool(url, min_size=2, max_size=10, init=_init)
        await pool.execute(SCHEMA)
        yield
        await pool.close()

    async def get_item(request: Request) -> Response:
        try:
            item_id = uuid.UUID(request.path_params["id"])
        except ValueError:
            return JSONResponse({"title": "bad id"}, status_code=422)
        row = await pool.fetchrow(f"SELECT {COLUMNS} FROM items WHERE id = $1", item_id)  # type: ignore[union-attr]
        if row is None:
            return JSONResponse({"title": "not found"}, status_code=404)
        return JSONResponse(_jsonable(row))

    async def post_item(request: Request) -> Response:
        body = await request.json()
        if not isinstance(body, dict) or not body.get("first_name") or not body.get("last_name"):
            return JSONResponse({"title": "first_name and last_name are required"}, status_code=422)
        now = datetime.now(UTC)
        row = await pool.fetchrow(  # type: ignore[union-attr]
            INSERT, uuid.uuid4(), body["first_name"], body["last_name"], body.get("emails") or [],
            body.get("phones") or [], body.get("location"), body.get("headline"), body.get("tags") or [],
            body.get("source"), {k: now.isoformat() for k, v in body.items() if v not in (None, [])}, now)
        return JSONResponse(_jsonable(row), status_code=201)

    async def ready(request: Request) -> Response:
        await pool.fetchval("SELECT 1")  # type: ignore[union-attr]
        return JSONResponse({"status": "ok"})

    return Starlette(lifespan=lifespan, routes=[
        Route("/items/{id}", get_item, methods=["GET"]),
        Route("/items", post_item, methods=["POST"]),
        Route("/readyz", ready, methods=["GET"]),
    ])
