"""Heavy reads on a real streaming replica of the embedded cluster; writes on the primary.

The replica is made here with ``pg_basebackup -R`` (``Cluster.start_standby``), started on
its own socket and port, and removed at the end. That the replica, not the primary, served
an answer is shown by pausing its replay: incidents committed on the primary meanwhile are
missing from the answer until replay resumes.
"""

from __future__ import annotations

import csv
import json
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from psycopg import sql

from app import create_app, db
from app.db.cluster import ADMIN_ROLE, APP_ROLE, OWNER_ROLE, Cluster
from app.db.replica import APPLICATION_NAME, LAG_HEADER, SOURCE_HEADER
from tests.app.analysis.test_import_incidents import SF, write_box
from tests.conftest import ROOT, TEST_SECRET, Accounts, bearer

SF_BOX = (-122.52, 37.70, -122.35, 37.84)
HOTSPOTS = "/api/v1/hotspots?method=gi_star&cell_m=1000&permutations=0"


@dataclass(frozen=True)
class Pair:
    primary: Cluster
    standby: Cluster
    database: str

    def app(self, **overrides: Any) -> Flask:
        config = {"TESTING": True, "SECRET_KEY": TEST_SECRET,
                  "DATABASE_URL": self.primary.url(APP_ROLE, self.database),
                  "READ_DATABASE_URL": self.standby.url(APP_ROLE, self.database)}
        return create_app(config | overrides)

    def on_primary(self) -> psycopg.Connection:
        return psycopg.connect(self.primary.conninfo(ADMIN_ROLE, self.database),
                               autocommit=True)

    def on_standby(self) -> psycopg.Connection:
        return psycopg.connect(self.standby.conninfo(ADMIN_ROLE, self.database),
                               autocommit=True)

    def wait_for(self, what: str, timeout_s: float = 60.0) -> None:
        """Until the standby has ``what`` ("received" or "replayed") all the primary's WAL."""
        with self.on_primary() as conn:
            target = conn.execute("SELECT pg_current_wal_lsn()").fetchone()[0]  # type: ignore[index]
        function = {"received": "pg_last_wal_receive_lsn", "replayed":
                    "pg_last_wal_replay_lsn"}[what]
        deadline = time.monotonic() + timeout_s
        with self.on_standby() as conn:
            while not conn.execute(sql.SQL("SELECT {}() >= %s::pg_lsn").format(
                    sql.Identifier(function)), (target,)).fetchone()[0]:  # type: ignore[index]
                assert time.monotonic() < deadline, f"standby never {what} {target}"
                time.sleep(0.05)


@pytest.fixture(scope="module")
def pair() -> Iterator[Pair]:
    primary = Cluster.for_instance(ROOT / "instance")
    started_here = not primary.is_running()
    primary.start()
    name = f"gridpatrol_test_replica_{secrets.token_hex(3)}"
    primary.ensure_database(name)
    root = Path(tempfile.mkdtemp(prefix="gridpatrol-replica-"))
    standby = None
    try:
        db.upgrade(primary.url(OWNER_ROLE, name), APP_ROLE)
        standby = primary.start_standby(root, port=primary.port + 1)
        yield Pair(primary, standby, name)
    finally:
        if standby is not None:
            standby.stop()
        shutil.rmtree(root, ignore_errors=True)
        primary.drop_database(name)
        if started_here:
            primary.stop()
    assert not root.exists()


def split_sf(folder: Path) -> tuple[Path, Path]:
    """The SF export cut in two halves, each with the header."""
    with SF.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    halves = []
    for n, part in enumerate((body[: len(body) // 2], body[len(body) // 2:])):
        path = folder / f"sf-{n}.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows([header, *part])
        halves.append(path)
    return halves[0], halves[1]


def import_incidents(app: Flask, path: Path, folder: Path) -> None:
    result = app.test_cli_runner().invoke(args=["import", "incidents", str(path),
                                                "--rejects", str(folder / "rejects.csv")])
    assert result.exit_code == 3, result.output  # written; rows without coordinates refused


def hotspots(client: FlaskClient, headers: dict[str, str]) -> tuple[int, dict[str, str]]:
    response = client.get(HOTSPOTS, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return json.loads(response.get_data(as_text=True))["properties"]["incidents"], dict(
        response.headers)


def primary_incidents(pair: Pair) -> int:
    with pair.on_primary() as conn:
        return int(conn.execute("SELECT count(*) FROM incidents").fetchone()[0])  # type: ignore[index]


def test_analysis_is_served_by_the_replica_and_writes_land_on_the_primary(
        pair: Pair, tmp_path: Path) -> None:
    app = pair.app()
    first, second = split_sf(tmp_path)
    box = write_box(tmp_path / "sf.geojson", "San Francisco", SF_BOX)
    assert app.test_cli_runner().invoke(args=["import", "boundary", str(box)]).exit_code == 0
    import_incidents(app, first, tmp_path)
    analyst = bearer(Accounts(app).create("analyst"))
    client = app.test_client()
    pair.wait_for("replayed")

    # caught up: the replica answers with everything the primary has, 0 s behind
    before = primary_incidents(pair)
    count, headers = hotspots(client, analyst)
    assert headers[SOURCE_HEADER] == "replica" and float(headers[LAG_HEADER]) == 0.0
    assert count == before > 0

    # replay paused: the primary gets the second half, the replica still has the first
    with pair.on_standby() as conn:
        conn.execute("SELECT pg_wal_replay_pause()")
    try:
        import_incidents(app, second, tmp_path)
        pair.wait_for("received")
        after = primary_incidents(pair)
        assert after > before
        count, headers = hotspots(client, analyst)
        assert headers[SOURCE_HEADER] == "replica" and count == before
        assert float(headers[LAG_HEADER]) > 0.0

        # a replica further behind than READ_MAX_LAG_S is not used: the primary answers
        strict = pair.app(READ_MAX_LAG_S=0.001)
        count, headers = hotspots(strict.test_client(), analyst)
        assert headers[SOURCE_HEADER] == "primary" and LAG_HEADER not in headers
        assert count == after
    finally:
        with pair.on_standby() as conn:
            conn.execute("SELECT pg_wal_replay_resume()")
    pair.wait_for("replayed")
    count, headers = hotspots(client, analyst)
    assert headers[SOURCE_HEADER] == "replica" and count == after

    # the replica's activity shows the read connections; the primary has none of them
    with pair.on_standby() as conn:
        readers = conn.execute("SELECT usename FROM pg_stat_activity WHERE "
                               "application_name = %s AND datname = %s",
                               (APPLICATION_NAME, pair.database)).fetchall()
    assert readers and {r[0] for r in readers} == {APP_ROLE}
    with pair.on_primary() as conn:
        assert conn.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                            "%s", (APPLICATION_NAME,)).fetchone()[0] == 0  # type: ignore[index]

    # a write through the API: analysed on the replica, saved (and audited) on the primary
    saved = client.post("/api/v1/hotspot-results", headers=analyst, json={
        "name": "SF Dec 2018", "params": {"method": "gi_star", "cell_m": 1000,
                                          "permutations": 0}})
    assert saved.status_code == 201, saved.json
    assert saved.headers[SOURCE_HEADER] == "replica"
    assert saved.json["summary"]["incidents"] == after
    with pair.on_primary() as conn:
        row = conn.execute("SELECT name FROM hotspot_results WHERE id = %s",
                           (saved.json["id"],)).fetchone()
        audited = conn.execute("SELECT count(*) FROM audit_log WHERE action = "
                               "'hotspots.save' AND object_id = %s",
                               (str(saved.json["id"]),)).fetchone()
    assert row == ("SF Dec 2018",) and audited == (1,)

    # the read session refuses writes
    with app.app_context():
        reader = db.get_read_session()
        assert reader is not db.get_session()
        with pytest.raises(sa.exc.DBAPIError) as refused:
            reader.execute(sa.text("INSERT INTO areas (name, kind, geom) VALUES ('x', 'x', "
                                   "ST_GeomFromText('MULTIPOLYGON(((0 0,1 0,1 1,0 0)))', "
                                   "4326))"))
        assert refused.value.orig.sqlstate == "25006"  # type: ignore[union-attr]
    for each in (app, strict):
        for engine in (db.engine(each), db.read_engine(each)):
            if engine is not None:
                engine.dispose()
