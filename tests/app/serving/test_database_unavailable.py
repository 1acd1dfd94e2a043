"""A database that does not answer (restarting, out of reach) is a 503 with Retry-After,
not a 500: the client should simply try again."""

from __future__ import annotations

from pathlib import Path

import psycopg
import sqlalchemy as sa

from app import create_app
from app.db import engine, get_session
from tests.conftest import DatabaseInfo, make_app


def test_an_unreachable_database_answers_503(tmp_path: Path) -> None:
    nowhere = f"postgresql+psycopg://nobody@/gridpatrol?host={tmp_path}&port=1"
    app = create_app({"TESTING": True, "SECRET_KEY": "k" * 40, "DATABASE_URL": nowhere})
    client = app.test_client()
    answer = client.get("/healthz", headers={"Accept": "application/json"})
    assert answer.status_code == 503
    assert answer.json["error"] == "database_unavailable"
    assert answer.headers["Retry-After"] == "5"
    # signing in needs the database too: the token look-up answers 503, not 401 or 500
    assert client.get("/api/v1/units", headers={"Authorization": "Bearer gp_x"}).status_code \
        == 503


def test_a_page_says_so_without_asking_the_database_again(tmp_path: Path) -> None:
    nowhere = f"postgresql+psycopg://nobody@/gridpatrol?host={tmp_path}&port=1"
    app = create_app({"TESTING": True, "SECRET_KEY": "k" * 40, "DATABASE_URL": nowhere})
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "1"  # a signed-in browser: its user is loaded from the database
    page = client.get("/", headers={"Accept": "text/html"})
    assert page.status_code == 503 and page.mimetype == "text/plain"
    assert "try again" in page.get_data(as_text=True)


def test_a_connection_killed_mid_request_does_not_fail_its_end(database: DatabaseInfo) -> None:
    """The database restarting under a request: closing its session (rolling back on a
    dead connection) must not turn the answer into a 500."""
    app = make_app(database)
    with app.app_context():
        session = get_session()
        pid = session.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        with psycopg.connect(database.admin_conninfo, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    with app.app_context():  # the pool hands out a live connection again
        assert get_session().execute(sa.text("SELECT 1")).scalar_one() == 1
    engine(app).dispose()
