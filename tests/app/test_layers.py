"""The shape of the house, checked: SQL only in repository modules, geometry converted at
one boundary, no HTTP failures raised by services, pure packages free of the web stack."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app"
SQL_TEXT = re.compile(r"^\s*(WITH\s|SELECT\s|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|"
                      r"COPY\s|CREATE\s|DROP\s|ALTER\s|LOCK\s|TRUNCATE\s)")
STATEMENTS = {"text", "select", "insert", "update", "delete"}  # as sa.X(...) or bare X(...)
RUNNERS = {"execute", "executemany", "scalars", "scalar", "read_postgis", "raw_cursor"}


def allowed_sql_home(path: Path) -> bool:
    """Repository modules and packages, the database layer and the schema own SQL."""
    rel = path.relative_to(APP)
    return (path.stem == "repository" or "repository" in rel.parts[:-1]
            or rel.parts[0] in {"db", "models"})


def sql_uses(source: str) -> list[str]:
    """Lines of ``source`` that build or run SQL (calls or SQL text)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute):
                owner = func.value.id if isinstance(func.value, ast.Name) else ""
                name = func.attr
                on_session = (isinstance(func.value, ast.Call)
                              and getattr(func.value.func, "id", "") == "get_session"
                              ) or "session" in owner
                hit = (name in RUNNERS or (name in STATEMENTS and owner in {"sa", "sqlalchemy"})
                       or (name == "query" and on_session))
            else:
                name = getattr(func, "id", "")
                hit = name in RUNNERS or (name in STATEMENTS and name != "update")
            if hit:
                found.append(f"{node.lineno}: {name}(…)")
        elif (isinstance(node, ast.Constant) and isinstance(node.value, str)
              and SQL_TEXT.match(node.value)):
            found.append(f"{node.lineno}: SQL text")
    return sorted(found, key=lambda hit: int(hit.split(":")[0]))


def test_the_checker_sees_sql() -> None:
    assert sorted(sql_uses("session.execute(sa.text('SELECT 1'))")) == [
        "1: SQL text", "1: execute(…)", "1: text(…)"]
    assert sql_uses("q = 'DELETE FROM areas WHERE id = 1'\nx = 'selected'") == ["1: SQL text"]
    assert sql_uses("rows = sa.select(Unit).where(Unit.id == 1)") == ["1: select(…)"]
    assert sql_uses("get_session().query(User).all()\nsession.query(Unit)\n"
                    "tree.query(lines)") == ["1: query(…)", "2: query(…)"]


def test_sql_lives_only_in_repository_modules() -> None:
    offenders = {}
    for path in sorted(APP.rglob("*.py")):
        if allowed_sql_home(path):
            continue
        uses = sql_uses(path.read_text(encoding="utf-8"))
        if uses:
            offenders[str(path.relative_to(ROOT))] = uses
    assert offenders == {}


def test_no_ewkt_is_built_from_strings() -> None:
    offenders = [str(p.relative_to(ROOT)) for p in APP.rglob("*.py")
                 if "SRID=4326;" in p.read_text(encoding="utf-8")]
    assert offenders == []


def test_no_module_grows_past_the_style_limit() -> None:
    """The style asks for modules of one concept, split before about 500 lines."""
    packages = ("app", "gis", "dispatch", "patrol", "runtime")
    sizes = {str(path.relative_to(ROOT)): len(path.read_text(encoding="utf-8").splitlines())
             for package in packages for path in (ROOT / package).rglob("*.py")
             if "migrations" not in path.parts}
    assert {name: lines for name, lines in sizes.items() if lines > 550} == {}
