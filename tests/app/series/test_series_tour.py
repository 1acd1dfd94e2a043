"""A crime series turned into a video patrol tour, through the API on real PostGIS (the
City of London extract and the five-night series of ``test_series_api``)."""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

import pyproj
import sqlalchemy as sa
from flask.testing import FlaskClient

from tests.app.dispatch.support import add_camera, offset
from tests.app.series.test_series_api import TO_LONLAT, TO_UTM, incident_ids, make_series
from tests.conftest import Accounts, bearer

__all__ = ["incident_ids"]  # the fixture, shared
_GEOD = pyproj.Geod(ellps="WGS84")


def corridor_cameras(client: FlaskClient, analyst: dict[str, str],
                     supervisor: dict[str, str], series_id: int) -> dict[str, dict[str, Any]]:
    """Cameras beside the first two corridors, facing them, with streams; one without a
    stream and one in maintenance beside the first (the extract's own cameras have no
    stream)."""
    corridors = client.get(f"/api/v1/series/{series_id}",
                           headers=analyst).json["corridors"]["features"]
    made = {}
    for n, feature in enumerate(corridors[:2], start=1):
        line = [TO_UTM.transform(x, y) for x, y in feature["geometry"]["coordinates"]]
        (x0, y0), (x1, y1) = line[len(line) // 2 - 1], line[len(line) // 2]
        heading = math.degrees(math.atan2(x1 - x0, y1 - y0))
        lon, lat = TO_LONLAT.transform((x0 + x1) / 2, (y0 + y1) / 2)
        side = heading + 90.0
        cam_lon, cam_lat = offset(lon, lat, side, 12)
        for label, extra in (("stream", {"stream_url": f"rtsp://10.9.8.{n}/cam"}),
                             ("dark", {}),
                             ("maint", {"stream_url": f"rtsp://10.9.9.{n}/cam"})):
            if n == 2 and label != "stream":
                continue
            made[f"{label}{n}"] = add_camera(
                client, supervisor, name=f"corridor {n} {label}", lon=cam_lon, lat=cam_lat,
                azimuth_deg=(side + 180.0) % 360, fov_deg=90, range_m=40, **extra)
    changed = client.patch(f"/api/v1/cameras/{made['maint1']['id']}",
                           json={"status": "maintenance"}, headers=supervisor)
    assert changed.status_code == 200, changed.json
    return made


def test_a_series_becomes_a_tour_of_its_corridor_cameras_in_its_hours(
        client: FlaskClient, analyst: dict[str, str], supervisor: dict[str, str],
        accounts: Accounts, incident_ids: list[int], connection: sa.Connection) -> None:
    soon = date.today() + timedelta(days=30)
    series_id = make_series(client, analyst, incident_ids)
    cams = corridor_cameras(client, analyst, supervisor, series_id)
    response = client.post(f"/api/v1/series/{series_id}/tour", json={
        "reason": "watch the way the thief goes", "layout": 1, "dwell_s": 15,
        "until": str(soon)}, headers=analyst)
    assert response.status_code == 200, response.json
    answer = response.json
    tour = answer["tour"]
    stops = [c["camera_id"] for c in tour["cameras"]]
    # in the series' order (most corridors watched first), the unplayable left out
    listed = [c["camera_id"] for c in client.get(f"/api/v1/series/{series_id}",
                                                 headers=analyst).json["cameras"]]
    playable = {cams["stream1"]["id"], cams["stream2"]["id"]}
    assert stops == [c for c in listed if c in playable] and len(stops) == 2
    left_out = {x["camera_id"]: x["why"] for x in answer["left_out"]}
    assert left_out[cams["dark1"]["id"]] == "no_stream"
    assert left_out[cams["maint1"]["id"]] == "maintenance"
    assert set(left_out) == set(listed) - playable  # the extract's cameras: no stream
    assert tour["layout"] == 1 and {c["dwell_s"] for c in tour["cameras"]} == {15}
    # the series struck 22:15-01:10: due every night 21:00-03:00 until the end date
    assert tour["schedule"]["windows"] == [{"weekdays": None, "start": "21:00",
                                            "end": "03:00"}] or \
        [(w["start"], w["end"]) for w in tour["schedule"]["windows"]] == [("21:00", "03:00")]
    assert tour["schedule"]["dates"]["to"] == str(soon)
    first = tour["cameras"][0]["reason"]
    assert first["en"].startswith("Motorcycle thefts, Cheapside: sees ")
    assert "21:00–03:00" in first["en"] and first["zh"] != first["en"]
    assert tour["source"] == "proposed"
    # the series names its tour; the tour knows its series
    shown = client.get(f"/api/v1/series/{series_id}", headers=analyst).json
    assert [t["id"] for t in shown["video_tours"]] == [tour["id"]]
    operator = bearer(accounts.create("video_operator"))
    read = client.get(f"/api/v1/tours/{tour['id']}", headers=operator).json
    assert [c["camera_id"] for c in read["cameras"]] == stops
    # made again (by an operator, any hour): replaced in place, not a second tour
    again = client.post(f"/api/v1/series/{series_id}/tour", json={
        "reason": "round the clock now", "windows": "any"}, headers=operator)
    assert again.status_code == 200, again.json
    assert again.json["replaced"] is True and again.json["tour"]["id"] == tour["id"]
    assert again.json["tour"]["schedule"]["windows"] in ([], None)
    actions = connection.execute(sa.text(
        "SELECT action, reason FROM audit_log WHERE action IN ('series.tour', 'tour.create', "
        "'tour.update') ORDER BY id")).all()
    assert [a for a, _ in actions] == ["tour.create", "series.tour", "tour.update",
                                       "series.tour"]
    assert actions[1][1] == "watch the way the thief goes"


def test_refusals_and_roles(client: FlaskClient, analyst: dict[str, str],
                            supervisor: dict[str, str], accounts: Accounts,
                            incident_ids: list[int]) -> None:
    series_id = make_series(client, analyst, incident_ids)
    url = f"/api/v1/series/{series_id}/tour"
    nothing = client.post(url, json={"reason": "r"}, headers=analyst)
    assert nothing.status_code == 422 and nothing.json["error"] == "no_cameras"
    corridor_cameras(client, analyst, supervisor, series_id)
    past = client.post(url, json={"reason": "r", "until": "2001-01-01"}, headers=analyst)
    assert past.status_code == 422 and past.json["error"] == "until_past"
    far = client.post(url, json={"reason": "r", "until": str(date.today() + timedelta(
        days=400))}, headers=analyst)
    assert far.status_code == 422 and far.json["field"] == "until"
    assert far.json["error"] == "until_too_far"
    unreasoned = client.post(url, json={}, headers=analyst)
    assert unreasoned.status_code == 422 and unreasoned.json["field"] == "reason"
    for role in ("viewer", "maintainer"):
        refused = client.post(url, json={"reason": "r"}, headers=bearer(accounts.create(role)))
        assert refused.status_code == 403
    assert client.post("/api/v1/series/999999/tour", json={"reason": "r"},
                       headers=analyst).status_code == 404
