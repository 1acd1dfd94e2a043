"""A plate's trace on the real road graph of the Heidelberg region (the extract imported,
routes from the served graph): a leg no vehicle can drive flags a cloned plate, a possible
one does not; hand-checked distances."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient, FlaskCliRunner
from pyproj import Geod

from tests.app.passages.conftest import add_checkpoints, iso, local
from tests.conftest import SHARED_DATA

GEOD = Geod(ellps="WGS84")
# Eppelheim (west of Heidelberg) and Neckargemünd (up the Neckar, east of it): 11.9 km
# apart as the crow flies (measured on the map); the drive through Heidelberg along the
# B37 is about 16 km — longer than the straight line, shorter than 1.5 times it.
WEST = ("W01", ("Eppelheim", 8.6330, 49.4020, []))
EAST = ("E01", ("Neckargemünd", 8.7960, 49.3890, []))


@pytest.fixture
def heidelberg(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["import", "osm", str(SHARED_DATA / "osm" /
                                                      "heidelberg.osm.pbf")])
    assert result.exit_code == 0, result.output


def trace(client: FlaskClient, headers: dict[str, str], plate: str, **more: Any) -> Any:
    query = {"plate": plate, "from": iso(0), "to": iso(24), "reason": "套牌 check"} | more
    return client.get("/api/v1/passages/trace", query_string=query, headers=headers)


def legs_of(answer: Any) -> list[dict[str, Any]]:
    return [f["properties"] for f in answer["features"] if f["properties"]["kind"] == "leg"]


def test_an_impossible_leg_flags_a_cloned_plate_and_a_possible_one_does_not(
        heidelberg: None, client: FlaskClient, roles: dict[str, dict[str, str]],
        connection: sa.Connection) -> None:
    add_checkpoints(client, roles["supervisor"], dict([WEST, EAST]))
    text = ("卡口编号,过车时间,号牌号码\n"
            # 粤B11111 drives east in 25 min, and is back in the west 4 min later: a copy
            f"W01,{local(8)},粤B11111\nE01,{local(8, 25)},粤B11111\n"
            f"W01,{local(8, 29)},粤B11111\n"
            # 粤B22222 drives it in 12 min: faster than the limits, possible
            f"W01,{local(9)},粤B22222\nE01,{local(9, 12)},粤B22222\n")
    imported = client.post("/api/v1/passages/imports", data=text, content_type="text/csv",
                           headers=roles["analyst"])
    assert imported.status_code == 201, imported.json

    _, _, straight = GEOD.inv(WEST[1][1], WEST[1][2], EAST[1][1], EAST[1][2])
    assert 11_800 < straight < 12_000  # the hand measure

    cloned = trace(client, roles["dispatcher"], "粤b·11111")
    assert cloned.status_code == 200, cloned.json
    assert cloned.mimetype == "application/geo+json"
    answer = cloned.json
    assert answer["properties"]["cloned_plate_suspected"] is True
    assert answer["properties"]["routing"] == "road"
    points = [f["properties"] for f in answer["features"]
              if f["properties"]["kind"] == "passage"]
    assert [(p["order"], p["checkpoint"]["code"]) for p in points] == [
        (0, "W01"), (1, "E01"), (2, "W01")]
    there, back = legs_of(answer)
    assert (there["verdict"], back["verdict"]) == ("plausible", "impossible")
    for leg in (there, back):
        assert abs(leg["straight_m"] - straight) < 0.005 * straight  # sphere vs ellipsoid
        assert 14_000 < leg["road_m"] < 18_000 and straight < leg["road_m"] < 1.5 * straight
        assert 12 * 60 < leg["road_s"] < 25 * 60  # 16 km of town and main road
        assert leg["on_road"] is True
    assert there["elapsed_s"] == 25 * 60 and back["elapsed_s"] == 4 * 60
    # the fastest credible time is at least the road at 200 km/h, and half the road time
    assert back["min_credible_s"] >= max(back["road_m"] / (200 / 3.6), back["road_s"] / 2)
    assert back["speed_kmh"] == pytest.approx(back["road_m"] / 240 * 3.6, abs=0.1)
    assert back["speed_kmh"] > 200  # averaged along the road, through Heidelberg

    possible = trace(client, roles["dispatcher"], "粤B22222").json
    assert possible["properties"]["cloned_plate_suspected"] is False
    (fast,) = legs_of(possible)
    assert fast["verdict"] == "fast" and fast["elapsed_s"] < fast["road_s"]
    assert fast["elapsed_s"] + 60 >= fast["min_credible_s"]

    rows = connection.execute(sa.text(
        "SELECT reason, details FROM audit_log WHERE action = 'passage.trace' ORDER BY id")
    ).all()
    assert [(r.reason, r.details["plate"], r.details["impossible_legs"]) for r in rows] == [
        ("套牌 check", "粤B11111", 1), ("套牌 check", "粤B22222", 0)]


def test_a_trace_needs_a_whole_plate_and_a_reason(
        client: FlaskClient, roles: dict[str, dict[str, str]]) -> None:
    partial = trace(client, roles["analyst"], "粤B*11")
    assert partial.status_code == 422 and partial.json["error"] == "bad_plate"
    blank = trace(client, roles["analyst"], "粤B11111", reason=" \t ")
    assert blank.status_code == 422 and blank.json["error"] == "reason_required"
    assert trace(client, roles["viewer"], "粤B11111").status_code == 403


def test_without_a_road_graph_the_straight_line_still_rules_out_the_impossible(
        client: FlaskClient, roles: dict[str, dict[str, str]]) -> None:
    add_checkpoints(client, roles["supervisor"], dict([WEST, EAST]))
    text = ("卡口编号,过车时间,号牌号码\n"
            f"W01,{local(8)},粤B33333\nE01,{local(8, 1)},粤B33333\n"  # 11.9 km in 60 s
            f"W01,{local(9)},粤B33333\n")  # an hour later: cannot be judged without roads
    client.post("/api/v1/passages/imports", data=text, content_type="text/csv",
                headers=roles["analyst"])
    answer = trace(client, roles["analyst"], "粤B33333").json
    assert answer["properties"]["routing"] == "straight_line"
    assert [leg["verdict"] for leg in legs_of(answer)] == ["impossible", "unknown"]
    assert answer["properties"]["cloned_plate_suspected"] is True
