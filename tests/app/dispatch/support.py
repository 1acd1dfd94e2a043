"""Helpers of the dispatch and camera API tests: places in the City of London, and
cameras, alerts and units made through the API."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from pyproj import Geod

from tests.conftest import SHARED_DATA

GEOD = Geod(ellps="WGS84")
LONDON = SHARED_DATA / "osm" / "london-central.osm.pbf"
# A quiet spot in the City of London (inside the extract, near drivable roads).
CAM_LON, CAM_LAT = -0.0950, 51.5150

UNIT_SPOTS = {  # lon, lat around St Paul's
    "P-near": (-0.0990, 51.5140), "P-mid": (-0.1080, 51.5160), "P-far": (-0.1200, 51.5130),
    "B-covert": (-0.1030, 51.5150),
}
PLACE = (-0.0960, 51.5135)


def offset(lon: float, lat: float, bearing_deg: float, metres: float) -> tuple[float, float]:
    x, y, _ = GEOD.fwd(lon, lat, bearing_deg, metres)
    return float(x), float(y)


def add_camera(client: FlaskClient, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    body = {"name": "east-looking", "lon": CAM_LON, "lat": CAM_LAT} | fields
    response = client.post("/api/v1/cameras", json=body, headers=headers)
    assert response.status_code == 201, response.json
    return response.json  # type: ignore[no-any-return]


def raise_alert(client: FlaskClient, headers: dict[str, str], lon: float, lat: float,
                **fields: Any) -> dict[str, Any]:
    response = client.post("/api/v1/alerts", json={"lon": lon, "lat": lat, "level": "red"}
                           | fields, headers=headers)
    assert response.status_code == 201, response.json
    return response.json  # type: ignore[no-any-return]


def add_unit(client: FlaskClient, headers: dict[str, str], callsign: str, kind: str,
             **fields: Any) -> dict[str, Any]:
    response = client.post("/api/v1/units", json={"callsign": callsign, "kind": kind,
                                                  "status": "available"} | fields,
                           headers=headers)
    assert response.status_code == 201, response.json
    return response.json  # type: ignore[no-any-return]


def place_units(client: FlaskClient, supervisor: dict[str, str],
                device: dict[str, str]) -> dict[str, int]:
    ids = {}
    for callsign, (lon, lat) in UNIT_SPOTS.items():
        kind = "plainclothes" if callsign.startswith("B") else "patrol_car"
        unit = add_unit(client, supervisor, callsign, kind)
        ids[callsign] = unit["id"]
        assert client.post(f"/api/v1/units/{unit['id']}/position", json={"lon": lon, "lat": lat},
                           headers=device).status_code == 200
    return ids
