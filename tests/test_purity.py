"""The pure packages (gis/, dispatch/, patrol/, runtime/) import no web framework, no
database layer, no network library and nothing of app/: they stay testable on plain data."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PURE_PACKAGES = ("gis", "dispatch", "patrol", "runtime")
FORBIDDEN = {"flask", "flask_babel", "flask_login", "flask_wtf", "werkzeug", "babel",
             "sqlalchemy", "geoalchemy2", "psycopg", "psycopg2", "requests", "urllib",
             "urllib3", "http", "socket", "httpx", "aiohttp", "paho", "app"}


def imported_top_modules(source: str) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id == "__import__" and node.args
              and isinstance(node.args[0], ast.Constant)):
            found.add(str(node.args[0].value).split(".")[0])
    return found


def test_the_checker_sees_forbidden_imports() -> None:
    assert imported_top_modules("import flask\nfrom sqlalchemy.orm import Session\n"
                                "x = __import__('socket')") == {"flask", "sqlalchemy", "socket"}


@pytest.mark.parametrize("package", PURE_PACKAGES)
def test_no_pure_module_imports_frameworks_databases_or_network(package: str) -> None:
    modules = sorted((ROOT / package).rglob("*.py"))
    assert modules, f"{package}/ has no modules"
    offenders = {str(path.relative_to(ROOT)): sorted(imported_top_modules(path.read_text())
                                                     & FORBIDDEN)
                 for path in modules}
    assert {k: v for k, v in offenders.items() if v} == {}
