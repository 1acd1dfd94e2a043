"""The app served on 127.0.0.1 by werkzeug's threaded server over a scratch database with a
little of everything in it, and an API token per role: what the schemathesis run calls."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.serving import make_server

from app.auth import users
from app.db import engine, get_session
from app.models import ROLE_NAMES
from tests.conftest import DatabaseInfo, make_app
from tests.gis.test_osm import SMALL_OSM

# Inside the small map (Helsinki, around Main St and Side St).
PLACE = (24.9425, 60.1702)
SACRIFICE = "st-target"  # a user the run may rename, demote, deactivate and re-password


@dataclass(frozen=True)
class LiveApi:
    url: str
    app: Flask
    tokens: dict[str, str]  # role → bearer token


def _incidents_csv(path: Path) -> Path:
    """Forty burglaries and thefts around the small map over two months, minute-exact."""
    rows = ["id,datetime,category,lon,lat"]
    for n in range(40):
        lon = 24.9400 + (n % 8) * 0.0006
        lat = 60.1690 + (n // 8) * 0.0005
        day = 1 + n % 28
        month = 1 + n % 2
        category = "burglary" if n % 3 else "theft"
        rows.append(f"I-{n},2024-{month:02d}-{day:02d} {n % 24:02d}:{n % 60:02d},"
                    f"{category},{lon:.5f},{lat:.5f}")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _tokens(app: Flask) -> dict[str, str]:
    with app.app_context():
        session = get_session()
        tokens = {}
        for role in ROLE_NAMES:
            user = users.create_user(session, f"st-{role}", "correct horse battery", role)
            tokens[role] = users.issue_token(session, user, label="schemathesis")
        users.create_user(session, SACRIFICE, "correct horse battery", "viewer")
        session.commit()
    return tokens


def _ok(response: Any, *statuses: int) -> Any:
    assert response.status_code in (statuses or (200, 201)), response.get_data(as_text=True)
    return response.json


def seed(app: Flask, tmp: Path, tokens: dict[str, str]) -> None:
    """The map, a grid, incidents, units with positions, an alert, a camera with its
    maintainer, must-visit points, a station, a roster row, a plan and a saved hot-spot
    result."""
    runner = app.test_cli_runner()
    osm = tmp / "small.osm"
    osm.write_text(SMALL_OSM)
    for args in (["import", "osm", str(osm)],
                 ["grids", "build", "--cell-m", "250"],
                 ["import", "incidents", str(_incidents_csv(tmp / "incidents.csv")),
                  "--mapping", "id=id,datetime=datetime,category=category,lon=lon,lat=lat",
                  "--tz", "UTC", "--rejects", str(tmp / "rejects.csv")]):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
    client = app.test_client()

    def auth(role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[role]}"}

    supervisor, dispatcher = auth("supervisor"), auth("dispatcher")
    for callsign, kind, (lon, lat) in (("P-1", "patrol_car", (24.9410, 60.1700)),
                                       ("B-1", "plainclothes", (24.9435, 60.1700))):
        unit = _ok(client.post("/api/v1/units", headers=supervisor, json={
            "callsign": callsign, "kind": kind, "status": "available",
            "radio_ids": [f"R{callsign}"]}))
        _ok(client.post(f"/api/v1/units/{unit['id']}/position", headers=auth("device"),
                        json={"lon": lon, "lat": lat}))
    _ok(client.post("/api/v1/cameras", headers=supervisor, json={
        "name": "junction", "lon": PLACE[0], "lat": PLACE[1], "azimuth_deg": 90}))
    camera = client.get("/api/v1/cameras", headers=supervisor).get_json(force=True)
    _ok(client.post("/api/v1/maintainers", headers=supervisor, json={
        "code": "MT-1", "name": "Equipment Co", "kind": "equipment", "response_h": 4,
        "repair_h": 24}))
    _ok(client.post("/api/v1/maintainers/MT-1/cameras", headers=supervisor,
                    json={"camera_ids": [camera["features"][0]["id"]]}))
    _ok(client.post("/api/v1/maintainers/MT-1/members", headers=supervisor,
                    json={"username": "st-maintainer"}))
    _ok(client.post("/api/v1/alerts", headers=dispatcher, json={
        "lon": PLACE[0], "lat": PLACE[1], "level": "red", "kind": "robbery"}))
    _ok(client.post("/api/v1/must-visit-points", headers=supervisor, json={
        "name": "school gate", "lon": 24.9430, "lat": 60.1696, "dwell_min": 10,
        "visits_per_shift": 1, "priority": 2,
        "windows": [{"weekdays": "mon-sun", "start": "09:00", "end": "15:00"}]}))
    _ok(client.post("/api/v1/stations", headers=supervisor, json={
        "name": "Central", "lon": 24.9400, "lat": 60.1700, "units": ["P-1"]}))
    grids = client.get("/api/v1/grids", headers=supervisor).get_json(force=True)
    code = grids["features"][0]["properties"]["code"]
    _ok(client.post("/api/v1/roster", headers=supervisor, json=[{
        "date": "2024-03-04", "shift": "day", "unit": "P-1", "grids": [code],
        "station": "Central"}]))
    _ok(client.post("/api/v1/patrol-plans", headers=supervisor,
                    json={"date": "2024-03-04", "shift": "day"}))
    _ok(client.post("/api/v1/hotspot-results", headers=auth("analyst"), json={
        "name": "two months", "params": {"method": "gi_star", "permutations": 99}}))


@contextmanager
def serve(database: DatabaseInfo, tmp: Path) -> Iterator[LiveApi]:
    """Seed the database, serve the app on 127.0.0.1 (threaded), yield, stop."""
    app = make_app(database, RADIO_GATEWAY=f"file:{tmp / 'radio-outbox.jsonl'}",
                   SNAPSHOT_TIMEOUT_S=1.0)
    tokens = _tokens(app)
    seed(app, tmp, tokens)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveApi(f"http://127.0.0.1:{server.server_port}", app, tokens)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        engine(app).dispose()
