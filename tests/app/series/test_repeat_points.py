"""Temporary must-visit points from a near-repeat result, on real PostGIS: the incidents of
the last `days` become points (one per place within `distance_m`), each expiring `days`
after its latest incident; older incidents and incidents known only to the month make
none; made again, a place's point is updated, not duplicated; audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask.testing import FlaskClient

from tests.app.dispatch.support import CAM_LAT, CAM_LON, offset

NOW = datetime.now(UTC).replace(microsecond=0)


def add_incident(connection: sa.Connection, sid: str, at: datetime, place: tuple[float, float],
                 resolution: str = "minute") -> int:
    return int(connection.execute(sa.text(
        "INSERT INTO incidents (source, source_id, occurred_at, time_resolution, category, "
        "geom) VALUES ('test', :sid, :at, :res, 'burglary', "
        "ST_SetSRID(ST_MakePoint(:x, :y), 4326)) RETURNING id"),
        {"sid": sid, "at": at, "res": resolution, "x": place[0], "y": place[1]}).scalar_one())


def test_recent_incidents_become_points_that_expire(
        client: FlaskClient, analyst: dict[str, str], supervisor: dict[str, str],
        dispatcher: dict[str, str], connection: sa.Connection) -> None:
    here = (CAM_LON, CAM_LAT)
    near = offset(*here, 90, 120)       # within 200 m of here: the same place
    far = offset(*here, 0, 900)         # a place of its own
    a = add_incident(connection, "a", NOW - timedelta(days=10), here)
    b = add_incident(connection, "b", NOW - timedelta(days=3), near)
    c = add_incident(connection, "c", NOW - timedelta(days=5), far)
    add_incident(connection, "old", NOW - timedelta(days=30), offset(*here, 180, 2000))
    add_incident(connection, "month", NOW - timedelta(days=2), offset(*here, 270, 2000),
                 resolution="month")
    body = {"distance_m": 200, "days": 14, "category": ["burglary"], "reason": "knox: "
            "risk raised within 200 m for 2 weeks"}
    assert client.post("/api/v1/near-repeat/must-visit-points", json=body,
                       headers=dispatcher).status_code == 403
    made = client.post("/api/v1/near-repeat/must-visit-points", json=body, headers=analyst)
    assert made.status_code == 200, made.json
    answer = made.json
    assert answer["incidents"] == 3
    by_incidents = {tuple(p["incidents"]): p for p in answer["points"]}
    assert set(by_incidents) == {tuple(sorted((a, b))), (c,)}
    pair = by_incidents[tuple(sorted((a, b)))]
    assert datetime.fromisoformat(pair["expires_at"]) == NOW - timedelta(days=3) \
        + timedelta(days=14)  # the latest incident's time + days
    assert datetime.fromisoformat(by_incidents[(c,)]["expires_at"]) == NOW + timedelta(days=9)
    listed = client.get("/api/v1/must-visit-points", headers=supervisor).json["features"]
    mine = {f["properties"]["id"]: f["properties"] for f in listed
            if f["properties"]["source"] == "near_repeat"}
    assert set(mine) == {p["id"] for p in answer["points"]}
    assert all(p["windows"] == [] and p["expires_at"] for p in mine.values())
    # again with a week: b and c count (a is older); the same points, updated in place
    again = client.post("/api/v1/near-repeat/must-visit-points", json=body | {"days": 7},
                        headers=supervisor).json
    assert {p["id"] for p in again["points"]} == {p["id"] for p in answer["points"]}
    assert {tuple(p["incidents"]) for p in again["points"]} == {(b,), (c,)}
    # judged four days ago over three days: only c, whose time is up already — no point
    past = client.post("/api/v1/near-repeat/must-visit-points", json=body | {
        "days": 3, "as_of": (NOW - timedelta(days=4)).isoformat()}, headers=analyst).json
    assert past["incidents"] == 1 and past["points"] == [] and past["lapsed"] == 1
    assert connection.execute(sa.text(
        "SELECT count(*) FROM audit_log WHERE action = 'near_repeat.must_visit_points'")
    ).scalar_one() == 3
