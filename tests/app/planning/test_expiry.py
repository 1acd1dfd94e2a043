"""Temporary must-visit points: one that expired before a shift is not planned (nor listed
as unserved), one that expires during the shift is visited before it expires (its window
cut there: two minutes left of a window are too short for a five-minute visit), one that
expires later is planned as any other; the points list leaves expired ones out."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask.testing import FlaskClient

from tests.app.planning.test_plans import DAY, scene  # noqa: F401 - the fixture

LATE = [{"weekdays": "daily", "start": "10:30", "end": "15:00"}]
TEMPORARY = {  # name: lon, lat, expires (hours after the day shift starts at 08:00), windows
    "Expired before the shift": (-0.0960, 51.5150, -1.0, []),
    "Expires at 11:00": (-0.0975, 51.5160, 3.0, LATE),
    "Expires at 10:32": (-0.0955, 51.5165, 2.0 + 32 / 60, LATE),  # 2 min left of 10:30-15:00
    "Expires tomorrow": (-0.0940, 51.5150, 24.0, []),
}


def test_an_expired_point_is_not_planned(client: FlaskClient,
                                         scene: dict[str, Any]) -> None:  # noqa: F811
    ids = {}
    for name, (lon, lat, hours, windows) in TEMPORARY.items():
        expires = (datetime.fromisoformat(f"{DAY.isoformat()}T08:00:00+00:00")
                   + timedelta(hours=hours))
        response = client.post("/api/v1/must-visit-points", json={
            "name": name, "lon": lon, "lat": lat, "dwell_min": 5, "windows": windows,
            "expires_at": expires.isoformat()}, headers=scene["supervisor"])
        assert response.status_code == 201, response.json
        assert response.json["expires_at"] == expires.isoformat()
        ids[name] = response.json["id"]
    answer = client.post("/api/v1/patrol-plans", json={"date": DAY.isoformat(),
                                                       "shift": "day"},
                         headers=scene["supervisor"]).json
    stops = {s["name"]: s for r in answer["routes"]["features"]
             for s in r["properties"]["stops"] if s["kind"] == "point"}
    assert "Expired before the shift" not in stops
    assert "Expired before the shift" not in {u.get("name") for u in answer["unserved"]}
    assert "Expires tomorrow" in stops
    visit = stops["Expires at 11:00"]  # its window cut to 10:30-11:00
    assert datetime.fromisoformat(visit["depart"]) <= datetime.fromisoformat(
        f"{DAY.isoformat()}T11:00:00+00:00")
    unserved = {u.get("name"): u for u in answer["unserved"]}
    assert unserved["Expires at 10:32"]["reason"] == "window_too_short"
    # the list of points: expired ones (all three, DAY being in the past) only with all=true
    listed = client.get("/api/v1/must-visit-points", headers=scene["supervisor"]).json
    assert not {f["properties"]["id"] for f in listed["features"]} & set(ids.values())
    every = client.get("/api/v1/must-visit-points?all=true",
                       headers=scene["supervisor"]).json
    mine = {f["properties"]["name"]: f["properties"] for f in every["features"]
            if f["properties"]["id"] in ids.values()}
    assert all(p["expired"] for p in mine.values()) and len(mine) == 4
    # an expiry can be lifted: the point is standing again
    lifted = client.patch(f"/api/v1/must-visit-points/{ids['Expires tomorrow']}",
                          json={"expires_at": None}, headers=scene["supervisor"])
    assert lifted.status_code == 200, lifted.json
    assert lifted.json["expires_at"] is None
    listed = client.get("/api/v1/must-visit-points", headers=scene["supervisor"]).json
    assert ids["Expires tomorrow"] in {f["properties"]["id"] for f in listed["features"]}
