"""The route index in front of FastAPI's router answers every request exactly as FastAPI's own loop would: the first
route that fully matches, in registration order, across included routers; 405, 404 and trailing-slash redirects as
before; routes added after the index was built are found; and it only asks the routes whose prefix fits."""
import httpx
import pytest
from fastapi import APIRouter, FastAPI
from starlette.staticfiles import StaticFiles
from talentkit import routing as route_index
from talentkit.routing import RouteIndex, index_routes


def build(tmp_path) -> FastAPI:
    app = FastAPI()
    first, second, items = APIRouter(), APIRouter(), APIRouter()

    @first.get("/v1/things/special")
    async def special() -> dict:
        return {"route": "special"}

    @second.get("/v1/things/{id}")
    async def thing(id: str) -> dict:
        return {"route": "thing", "id": id}

    @second.post("/v1/things")
    async def create() -> dict:
        return {"route": "create"}

    @items.get("/v1/items/{id}/parts/{part}")
    async def part(id: int, part: str) -> dict:
        return {"route": "part", "id": id, "part": part}

    @items.get("/v1/items/")
    async def items_list() -> dict:
        return {"route": "items"}

    app.include_router(first)
    app.include_router(second)
    app.include_router(items)

    @app.get("/healthz")
    async def healthz() -> dict:
        return {"route": "healthz"}

    (tmp_path / "a.txt").write_text("static")
    app.mount("/_docs", StaticFiles(directory=tmp_path), name="docs")
    index_routes(app)
    return app


@pytest.fixture
def app(tmp_path) -> FastAPI:
    return build(tmp_path)


async def get(app: FastAPI, method: str, path: str) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        return await client.request(method, path, follow_redirects=False)


async def test_the_first_full_match_wins_in_registration_order(app):
    assert (await get(app, "GET", "/v1/things/special")).json() == {"route": "special"}
    assert (await get(app, "GET", "/v1/things/42")).json() == {"route": "thing", "id": "42"}
    assert (await get(app, "POST", "/v1/things")).json() == {"route": "create"}
    assert (await get(app, "GET", "/v1/items/7/parts/x")).json() == {"route": "part", "id": 7, "part": "x"}
    assert (await get(app, "GET", "/healthz")).json() == {"route": "healthz"}
    assert (await get(app, "GET", "/_docs/a.txt")).text == "static"


async def test_what_the_index_does_not_settle_is_answered_as_before(app, tmp_path):
    reference = build(tmp_path)  # the same routes with FastAPI's own loop only
    reference.router.middleware_stack = reference.router.middleware_stack.fallback
    for method, path in [("DELETE", "/v1/things/1"), ("GET", "/v1/nothing"), ("GET", "/v1/items"),
                         ("GET", "/v1/items/x/parts/y"), ("PUT", "/healthz"), ("GET", "/_docs/missing")]:
        ours, theirs = await get(app, method, path), await get(reference, method, path)
        assert (ours.status_code, ours.headers.get("location"), ours.content) == \
            (theirs.status_code, theirs.headers.get("location"), theirs.content), (method, path)


async def test_a_route_added_later_is_found(app, monkeypatch):
    monkeypatch.setattr(route_index, "RECHECK_SECONDS", 0.0)
    assert (await get(app, "GET", "/v1/later")).status_code == 404
    late = APIRouter()

    @late.get("/v1/later")
    async def later() -> dict:
        return {"route": "later"}

    app.include_router(late)
    assert (await get(app, "GET", "/v1/later")).json() == {"route": "later"}


def test_only_routes_whose_prefix_fits_are_asked(app):
    index = app.router.middleware_stack
    assert isinstance(index, RouteIndex)
    assert len(index.candidates("/healthz")) == 1
    assert len(index.candidates("/v1/things/42")) == 2  # the two routers holding /v1/things…
    assert index.candidates("/v1/unknown/x") == []
    assert index_routes(app) is index  # idempotent


def test_the_cache_of_path_heads_is_bounded(app, monkeypatch):
    monkeypatch.setattr(route_index, "HEAD_CACHE_SIZE", 10)
    index = app.router.middleware_stack
    for i in range(100):
        index.candidates(f"/v1/x{i}/y")
    assert len(index._by_head) <= 10
