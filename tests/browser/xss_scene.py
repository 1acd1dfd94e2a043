"""A small town whose every name is an attack, planted through the real entry points.

Used by test_no_script_injection.py. The town is a 5 × 5 lattice of streets written as an
OSM XML file and imported with the real importer (street, POI and camera names are
payloads), inside a boundary polygon imported from GeoJSON (its name too). Grid names,
stations, must-visit points, units, cameras (API and CSV import), alerts (API and radio),
radio texts, audit reasons and incidents then come in through the HTTP API, the way a
device, a supervisor or a dispatcher would send them. :class:`Planted` records which
strings each page must show as text.
"""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask

from app.analysis.import_incidents import import_incidents
from app.auth import users
from app.db import get_session
from app.geography.import_boundary import import_boundary
from app.geography.import_grids import build_grids
from app.geography.import_osm import import_osm
from app.planning.repository import add_unit

LON0, LAT0 = 11.000, 48.000  # the lattice's south-west corner
DLON, DLAT = 0.002, 0.0015   # ~150 m × ~167 m blocks


def node(i: int, j: int) -> tuple[float, float]:
    """Lon, lat of lattice crossing (i east, j north), 0..4."""
    return round(LON0 + i * DLON, 6), round(LAT0 + j * DLAT, 6)


def payloads(tag: str) -> dict[str, str]:
    """One string per attack, each ending in (or holding) ``tag`` so a page showing it can
    be found: markup with handlers, a script that closes its own element (for data that
    lands in a map script), a quote that leaves an attribute, a javascript: URL, template
    syntax (Jinja and JS), and bidirectional / invisible characters."""
    return {
        "img": f"<img src=x onerror=\"window.__xss='{tag}'\">{tag}",
        "script": f"\"><script>window.__xss='{tag}'</script>{tag}",
        "close": f"</script><script>window.__xss='{tag}'</script>{tag}",
        "svg": f"<svg onload=alert('{tag}')>{tag}",
        "attr": f"' onmouseover='window.__xss=1' x='{tag}",
        "link": f"javascript:window.__xss='{tag}'//{tag}",
        "template": f"{{{{7*7}}}}${{7*7}}{{%print(7*7)%}}{tag}",
        "rtl": f"\u202e{tag}\u202c\u200b\u2067x\u2069",
    }


# for 32-character fields (unit callsigns): closing a script, markup, template syntax
SHORT_ATTACKS = ("</script><svg onload=alert(1)>", "<img src=x onerror=alert(2)>",
                 "{{7*7}}${7*7}{%print(7)%}")


def all_of(tag: str) -> str:
    """Every payload of ``tag`` in one text (for long fields: descriptions, radio texts)."""
    return " | ".join(payloads(tag).values())


@dataclass
class Planted:
    """What each page must show as text, and the ids a test needs."""

    console: list[str] = field(default_factory=list)
    search: dict[str, str] = field(default_factory=dict)  # query → name it must find
    planning: list[str] = field(default_factory=list)
    analysis: list[str] = field(default_factory=list)
    audit: list[str] = field(default_factory=list)
    result_name: str = ""
    grid_names: list[str] = field(default_factory=list)
    callsigns: list[str] = field(default_factory=list)
    points: list[str] = field(default_factory=list)
    day: date = field(default_factory=lambda: date.today() + timedelta(days=1))
    alert_ids: list[int] = field(default_factory=list)
    route_ids: list[int] = field(default_factory=list)


# -- files, read by the real importers ------------------------------------------------

def write_osm(path: Path, planted: Planted) -> None:
    """The lattice: named streets, a bank, a school (name and name:zh) and a camera."""
    root = ET.Element("osm", version="0.6", generator="gridpatrol tests")
    ids = {}
    for i in range(5):
        for j in range(5):
            ids[i, j] = 1000 + 10 * i + j
            lon, lat = node(i, j)
            ET.SubElement(root, "node", id=str(ids[i, j]), lat=str(lat), lon=str(lon),
                          version="1")
    street_names = {("row", 0): payloads("RD1")["img"], ("row", 2): payloads("RD2")["close"],
                    ("col", 1): payloads("RD3")["template"], ("col", 3): payloads("RD4")["rtl"]}
    way_id = 5000
    for axis in ("row", "col"):
        for k in range(5):
            way_id += 1
            way = ET.SubElement(root, "way", id=str(way_id), version="1")
            for m in range(5):
                ET.SubElement(way, "nd", ref=str(ids[(m, k) if axis == "row" else (k, m)]))
            ET.SubElement(way, "tag", k="highway", v="residential")
            name = street_names.get((axis, k), f"{axis} street {k}")
            ET.SubElement(way, "tag", k="name", v=name)
    planted.search = {"RD1": street_names["row", 0], "RD2": street_names["row", 2]}
    points = [
        (9001, 1.5, 0.5, {"amenity": "bank", "name": payloads("PO1")["img"]}),
        (9002, 2.5, 2.5, {"amenity": "school", "name": payloads("PO2")["close"],
                          "name:zh": payloads("PO3")["template"]}),
        (9003, 2.0, 1.5, {"man_made": "surveillance", "surveillance:type": "camera",
                          "camera:direction": "90", "name": payloads("OC1")["img"]}),
    ]
    for osm_id, i, j, tags in points:
        lon, lat = LON0 + i * DLON, LAT0 + j * DLAT
        point = ET.SubElement(root, "node", id=str(osm_id), lat=f"{lat:.6f}",
                              lon=f"{lon:.6f}", version="1")
        for k, v in tags.items():
            ET.SubElement(point, "tag", k=k, v=v)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
    # a POI's label is its Chinese name when it has one; the search shows every name
    planted.console += [payloads("PO1")["img"], payloads("PO3")["template"],
                        payloads("OC1")["img"]]
    planted.search["PO2"] = payloads("PO2")["close"]


def write_boundary(path: Path) -> str:
    """A district polygon around the lattice, named by an attack."""
    name = payloads("AR1")["svg"]
    west, south = LON0 - 0.001, LAT0 - 0.001
    east, north = LON0 + 4 * DLON + 0.001, LAT0 + 4 * DLAT + 0.001
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"name": name},
        "geometry": {"type": "Polygon", "coordinates": [ring]}}]}), encoding="utf-8")
    return name


def write_incidents(path: Path) -> None:
    """Sixty police.uk-style burglaries, most of them in the south-west blocks."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Crime ID", "Month", "Reported by", "Falls within", "Longitude",
                     "Latitude", "Location", "LSOA code", "LSOA name", "Crime type",
                     "Last outcome category", "Context"])
    for n in range(60):
        i, j = (n % 3) * 0.4, (n // 3 % 3) * 0.4
        if n % 4 == 0:
            i, j = 3.2 + (n % 5) * 0.1, 3.1
        lon, lat = LON0 + (0.2 + i) * DLON, LAT0 + (0.2 + j) * DLAT
        writer.writerow([f"xss-{n}", f"2024-{n % 12 + 1:02d}", "Test Police", "Test Police",
                         f"{lon:.6f}", f"{lat:.6f}", "On or near " + payloads("IN1")["img"],
                         "", "", "Burglary", "", payloads("IN2")["close"]])
    path.write_text(out.getvalue(), encoding="utf-8")


def load_town(app: Flask, folder: Path, planted: Planted) -> None:
    """Boundary, OSM lattice, a 250 m grid and the incidents, through the importers."""
    boundary, osm = folder / "district.geojson", folder / "xss-town.osm"
    area = write_boundary(boundary)
    write_osm(osm, planted)
    write_incidents(folder / "incidents.csv")
    with app.app_context():
        session = get_session()
        import_boundary(session, boundary, name_field="name")
        session.commit()
        import_osm(session, osm, reason="xss test")
        session.commit()
        build_grids(session, shape="square", cell_m=250)
        session.commit()
        import_incidents(session, [folder / "incidents.csv"], source="xss",
                         rejects_path=folder / "rejects.csv")
        session.commit()
    planted.console.append(area)
    planted.analysis.append(area)


def device_token(app: Flask) -> str:
    with app.app_context():
        session = get_session()
        user = users.create_user(session, "xss-radio-gateway", "radio gateway pass", "device")
        token = users.issue_token(session, user, label="xss test")
        session.commit()
    return token


def admin_token(app: Flask) -> str:
    with app.app_context():
        session = get_session()
        token = users.issue_token(session, users.find_user(session, "demo-admin"),
                                  label="xss test")
        session.commit()
    return token


# -- data through the API ---------------------------------------------------------------

class Api:
    """The app's HTTP API with a bearer token; every answer must be a success."""

    def __init__(self, app: Flask, token: str) -> None:
        self.client = app.test_client()
        self.headers = {"Authorization": f"Bearer {token}"}

    def __call__(self, method: str, path: str, *, reason: str | None = None,
                 expect: int | tuple[int, ...] = (200, 201), **kwargs: Any) -> Any:
        headers = dict(self.headers)
        if reason is not None:
            headers["X-Audit-Reason"] = reason
        answer = self.client.open(path, method=method, headers=headers, **kwargs)
        wanted = (expect,) if isinstance(expect, int) else expect
        assert answer.status_code in wanted, (method, path, answer.status_code, answer.json)
        return answer.json


def plant_units(api: Api, app: Flask, planted: Planted) -> dict[str, int]:
    """Units on the lattice: callsigns from the API (whose pattern refuses markup: checked)
    and, as from a legacy import, straight into the table with attack callsigns."""
    refused = api("POST", "/api/v1/units", expect=422, json={
        "callsign": payloads("UX")["img"], "kind": "patrol_car"})
    assert refused["field"] == "callsign"
    callsigns = ["XSS-1", "Ωμέγα/7 שלום", *SHORT_ATTACKS]  # callsigns are 32 at most
    ids = {}
    for callsign in callsigns[:2]:
        ids[callsign] = api("POST", "/api/v1/units", json={
            "callsign": callsign, "kind": "patrol_car", "status": "available",
            "reason": payloads("UR1")["svg"]})["id"]
    with app.app_context():
        session = get_session()
        for n, callsign in enumerate(callsigns[2:]):
            add_unit(session, callsign, "patrol_car", f"90{n}")
        session.commit()
        for callsign in callsigns[2:]:
            ids[callsign] = session.execute(sa.text(
                "SELECT id FROM units WHERE callsign = :c"), {"c": callsign}).scalar_one()
    for n, (callsign, unit_id) in enumerate(ids.items()):
        lon, lat = node(n % 5, 1 + n % 3)  # half a block north of a crossing: no overlap
        api("POST", f"/api/v1/units/{unit_id}/position", json={"lon": lon,
                                                               "lat": lat + DLAT / 2})
        if callsign not in callsigns[:2]:
            api("POST", f"/api/v1/units/{unit_id}/status", json={"status": "available"})
    planted.console += callsigns
    planted.callsigns = callsigns
    planted.audit.append(payloads("UR1")["svg"])
    return ids


def plant_cameras(api: Api, planted: Planted) -> None:
    """A camera from the API and three from a CSV import, near where the alerts will be."""
    name = payloads("CN1")["img"]
    lon, lat = node(1, 1)
    api("POST", "/api/v1/cameras", json={"name": name, "lon": lon + 0.0002, "lat": lat,
                                         "azimuth_deg": 270, "fov_deg": 90, "range_m": 80})
    rows = io.StringIO()
    writer = csv.writer(rows)
    writer.writerow(["name", "lon", "lat", "azimuth", "fov", "range"])
    names = [payloads("CC1")["close"], payloads("CC2")["svg"], payloads("CC3")["template"]]
    for k, camera in enumerate(names):
        lon, lat = node(2, 2)
        writer.writerow([camera, f"{lon + 0.0002 * (k - 1):.6f}", f"{lat + 0.0001:.6f}",
                         "180", "120", "100"])
    answer = api("POST", "/api/v1/cameras/import", data=rows.getvalue().encode(),
                 content_type="text/csv", reason=payloads("AU1")["img"])
    assert answer["created"] == 3, answer
    planted.console += [name, *names]
    planted.audit.append(payloads("AU1")["img"])


def plant_grids(api: Api, app: Flask, planted: Planted) -> list[str]:
    """Every cell renamed by an attack (the assignee and the reason too)."""
    with app.app_context():
        codes = list(get_session().execute(sa.text(
            "SELECT code FROM grid_cells WHERE cell_m = 250 ORDER BY code")).scalars())
    assert len(codes) >= 6, codes
    kinds = list(payloads("x"))
    planted.grid_names = [payloads(f"GN{n}")[kinds[n % len(kinds)]] for n in range(len(codes))]
    for code, name in zip(codes, planted.grid_names, strict=True):
        api("PATCH", f"/api/v1/grids/{code}", json={
            "name": name, "assigned_to": payloads("GA1")["script"],
            "reason": payloads("GR1")["svg"]})
    planted.console += planted.grid_names
    planted.audit.append(payloads("GR1")["svg"])
    return codes


def plant_alerts(api: Api, device: Api, planted: Planted) -> None:
    """Alerts from the console API and from a radio gateway, and a radio text."""
    for n, kind in enumerate(("img", "close", "template")):
        lon, lat = node(1 + n, 1)
        alert = api("POST", "/api/v1/alerts", json={
            "lon": lon, "lat": lat, "level": "red", "kind": payloads(f"AK{n}")[kind],
            "description": all_of(f"AD{n}")})
        planted.alert_ids.append(alert["id"])
        planted.console += [payloads(f"AK{n}")[kind], all_of(f"AD{n}")]
    lon, lat = node(3, 3)
    radio = device("POST", "/api/v1/radio-log", json={
        "kind": "alert", "lon": lon, "lat": lat, "alert_kind": payloads("RK1")["svg"],
        "text": all_of("RA1")})
    planted.alert_ids.append(radio["alert"]["id"])
    device("POST", "/api/v1/radio-log", json={"kind": "text", "text": all_of("RT1")})
    planted.console += [payloads("RK1")["svg"], all_of("RA1"), all_of("RT1")]


def plant_plan(api: Api, callsigns: list[str], codes: list[str], planted: Planted) -> None:
    """A station, must-visit points and tomorrow's day shift for the units; then a plan."""
    station = payloads("ST1")["close"]
    lon, lat = node(2, 0)
    api("POST", "/api/v1/stations", json={"name": station, "lon": lon, "lat": lat,
                                          "units": callsigns,
                                          "reason": payloads("SR1")["img"]})
    points = [payloads("MP1")["img"], payloads("MP2")["close"], payloads("MP3")["template"],
              payloads("MP4")["rtl"], payloads("MP5")["link"]]
    for n, name in enumerate(points):
        lon, lat = node(n % 5, 3 if n % 2 else 2)
        api("POST", "/api/v1/must-visit-points", json={
            "name": name, "lon": lon + 0.0003, "lat": lat, "dwell_min": 10,
            "windows": [{"weekdays": "daily", "start": "09:00", "end": "15:00"}]})
    day = planted.day.isoformat()
    roster = api("POST", "/api/v1/roster", json=[
        {"date": day, "shift": "day", "unit": u, "grids": codes, "station": station}
        for u in callsigns])
    assert roster["errors"] == [], roster
    answer = api("POST", "/api/v1/patrol-plans", json={"date": day, "shift": "day"})
    planted.route_ids = [f["id"] for f in answer["routes"]["features"]]
    assert planted.route_ids, answer
    planted.points = points
    planted.planning += [station, *points, *callsigns]
    planted.audit.append(payloads("SR1")["img"])


def plant_everything(app: Flask, folder: Path) -> Planted:
    planted = Planted()
    load_town(app, folder, planted)
    api, device = Api(app, admin_token(app)), Api(app, device_token(app))
    units = plant_units(api, app, planted)
    plant_cameras(api, planted)
    codes = plant_grids(api, app, planted)
    plant_alerts(api, device, planted)
    plant_plan(api, list(units), codes, planted)
    planted.result_name = payloads("RN1")["img"]
    return planted
