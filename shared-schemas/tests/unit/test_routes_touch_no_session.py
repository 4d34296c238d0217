"""No route touches the database: a module that defines routes translates HTTP to a service call and back, and
the service (given the unit of work) runs the queries through a repository."""
import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
SOURCES = ("shared-schemas/src", "ats-service/src", "crm-service/src", "sync-gateway/src")
# what a query needs: the session (or its sync twin), a connection, or running a statement
DATABASE_ATTRIBUTES = {"session", "sync_session", "execute", "scalar", "scalars", "connect", "stream"}
DATABASE_TYPES = {"Session", "AsyncSession", "AsyncConnection", "AsyncEngine"}


def router_modules() -> list[Path]:
    return sorted(p for src in SOURCES for p in (REPO / src).rglob("*.py") if "APIRouter(" in p.read_text())


def database_uses(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Attribute) and node.attr in DATABASE_ATTRIBUTES:
            found.append(f"line {node.lineno}: .{node.attr}")
        elif isinstance(node, ast.Name) and node.id in DATABASE_TYPES:
            found.append(f"line {node.lineno}: {node.id}")
    return found


def test_every_service_has_router_modules_to_check():
    assert {p.relative_to(REPO).parts[0] for p in router_modules()} == {s.split("/")[0] for s in SOURCES}


@pytest.mark.parametrize("path", router_modules(), ids=lambda p: str(p.relative_to(REPO)))
def test_no_route_module_touches_a_session(path):
    assert database_uses(path) == []
