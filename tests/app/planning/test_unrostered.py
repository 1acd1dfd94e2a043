"""A must-visit point due in a shift but in grid cells nobody is rostered for is listed as
unserved with that reason, never dropped in silence; one that is not due is not listed; one
in a locked route's cells that the route does not visit is listed as ``route_locked``."""

from __future__ import annotations

from datetime import date
from typing import Any

import shapely
from flask.testing import FlaskClient, FlaskCliRunner

from tests.conftest import SHARED_DATA, Accounts, bearer

LONDON = SHARED_DATA / "osm" / "london-central.osm.pbf"
DAY = date(2026, 11, 18)  # a Wednesday
STATION = (-0.0985, 51.5155)
ROSTERED = (-0.0990, 51.5138)      # near the station: its cell is rostered
NEXT_DOOR = (-0.0985, 51.5133)     # in the same cell
ELSEWHERE = (-0.1200, 51.5050)     # far west of the station, another cell
OUTSIDE = (-0.2500, 51.4800)       # beyond the grid: in no cell
EVERY_DAY = [{"weekdays": "daily", "start": "09:00", "end": "15:00"}]
SUNDAYS = [{"weekdays": "sun", "start": "09:00", "end": "15:00"}]


def post(client: FlaskClient, headers: dict[str, str], path: str, body: Any) -> Any:
    response = client.post(path, json=body, headers=headers)
    assert response.status_code in (200, 201), response.json
    return response.json


def cell_of(grids: list[dict[str, Any]], lon: float, lat: float) -> str | None:
    point = shapely.Point(lon, lat)
    return next((g["properties"]["code"] for g in grids
                 if shapely.geometry.shape(g["geometry"]).covers(point)), None)


def london_grid(client: FlaskClient, runner: FlaskCliRunner,
                accounts: Accounts) -> dict[str, str]:
    """London with a 500 m grid; a supervisor's headers."""
    assert runner.invoke(args=["import", "osm", str(LONDON)]).exit_code == 0
    assert runner.invoke(args=["grids", "build", "--cell-m", "500"]).exit_code == 0
    return bearer(accounts.create("supervisor"))


def test_points_in_unrostered_cells_are_unserved_with_the_reason(
        client: FlaskClient, runner: FlaskCliRunner, accounts: Accounts) -> None:
    sup = london_grid(client, runner, accounts)
    for callsign in ("P-1", "X-9"):
        post(client, sup, "/api/v1/units", {"callsign": callsign, "kind": "patrol_car"})
    post(client, sup, "/api/v1/stations", {"name": "Wood Street", "lon": STATION[0],
                                           "lat": STATION[1], "units": ["P-1"]})
    grids = client.get("/api/v1/grids", headers=sup).json["features"]
    home, far = cell_of(grids, *ROSTERED), cell_of(grids, *ELSEWHERE)
    assert home and far and home != far and cell_of(grids, *OUTSIDE) is None
    points = {
        "Served": (ROSTERED, EVERY_DAY, 1), "Unrostered": (ELSEWHERE, EVERY_DAY, 1),
        "Twice": (ELSEWHERE, [], 2), "Sunday only": (ELSEWHERE, SUNDAYS, 1),
        "Off the grid": (OUTSIDE, EVERY_DAY, 1)}
    for name, ((lon, lat), windows, visits) in points.items():
        post(client, sup, "/api/v1/must-visit-points", {
            "name": name, "lon": lon, "lat": lat, "windows": windows, "dwell_min": 5,
            "visits_per_shift": visits})
    post(client, sup, "/api/v1/roster", [
        {"date": DAY.isoformat(), "shift": "day", "unit": "P-1", "grids": [home]}])
    answer = post(client, sup, "/api/v1/patrol-plans", {"date": DAY.isoformat(),
                                                        "shift": "day"})
    served = {s["name"] for r in answer["routes"]["features"]
              for s in r["properties"]["stops"] if s["kind"] == "point"}
    assert served == {"Served"}
    unserved = [(u.get("name"), u["reason"]) for u in answer["unserved"]]
    assert sorted(unserved) == sorted([
        ("Unrostered", "grid_not_rostered"), ("Twice", "grid_not_rostered"),
        ("Twice", "grid_not_rostered"), ("Off the grid", "grid_not_rostered")])
    by_name = {u["name"]: u for u in answer["unserved"]}
    assert f"no unit is rostered for its grid {far} on this shift" == by_name[
        "Unrostered"]["message"]
    assert "in no patrol grid cell" in by_name["Off the grid"]["message"]
    assert by_name["Unrostered"]["grids"] == [far]
    summary = answer["plans"][0]["summary"]
    assert (summary["stops"], summary["served"]) == (5, 1)

    # rostered to a unit without a station: the unit is left out, and so is its point
    post(client, sup, "/api/v1/roster", [
        {"date": DAY.isoformat(), "shift": "day", "unit": "X-9", "grids": [far]}])
    again = post(client, sup, "/api/v1/patrol-plans", {"date": DAY.isoformat(),
                                                       "shift": "day"})
    reasons = {(u.get("name") or u.get("callsign")): u for u in again["unserved"]}
    assert reasons["X-9"]["reason"] == "no_station"
    assert reasons["Unrostered"]["reason"] == "no_suitable_unit"
    assert "rostered to X-9, left out for want of a station" in reasons["Unrostered"]["message"]


def test_a_point_off_a_locked_route_in_its_cells_is_unserved_route_locked(
        client: FlaskClient, runner: FlaskCliRunner, accounts: Accounts) -> None:
    sup = london_grid(client, runner, accounts)
    post(client, sup, "/api/v1/units", {"callsign": "P-1", "kind": "patrol_car"})
    post(client, sup, "/api/v1/stations", {"name": "Wood Street", "lon": STATION[0],
                                           "lat": STATION[1], "units": ["P-1"]})
    grids = client.get("/api/v1/grids", headers=sup).json["features"]
    home = cell_of(grids, *ROSTERED)
    assert home and cell_of(grids, *NEXT_DOOR) == home
    post(client, sup, "/api/v1/must-visit-points", {
        "name": "Served", "lon": ROSTERED[0], "lat": ROSTERED[1], "windows": EVERY_DAY,
        "dwell_min": 5})
    post(client, sup, "/api/v1/roster", [
        {"date": DAY.isoformat(), "shift": "day", "unit": "P-1", "grids": [home]}])
    plan = {"date": DAY.isoformat(), "shift": "day"}
    first = post(client, sup, "/api/v1/patrol-plans", plan)
    [route] = first["routes"]["features"]
    assert [s["name"] for s in route["properties"]["stops"] if s["kind"] == "point"] == [
        "Served"]
    assert first["unserved"] == []
    post(client, sup, f"/api/v1/patrol-plans/routes/{route['id']}/lock", {"locked": True})
    # a point added to the locked route's cell after the lock: the route does not visit it
    post(client, sup, "/api/v1/must-visit-points", {
        "name": "Added later", "lon": NEXT_DOOR[0], "lat": NEXT_DOOR[1],
        "windows": EVERY_DAY, "dwell_min": 5, "visits_per_shift": 2})
    again = post(client, sup, "/api/v1/patrol-plans", plan)
    [kept] = again["routes"]["features"]
    assert kept["properties"]["stops"] == route["properties"]["stops"]
    unserved = [(u.get("name"), u["reason"]) for u in again["unserved"]]
    assert unserved == [("Added later", "route_locked"), ("Added later", "route_locked")]
    assert again["unserved"][0]["message"] == (
        f"its grid {home} is patrolled by the locked route of P-1, which does not visit it "
        "(unlock and re-plan to add it)")
    assert again["unserved"][0]["grids"] == [home]
