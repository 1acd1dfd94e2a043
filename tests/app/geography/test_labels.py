"""The label endpoint on the London extract: named road pieces to write along, named POIs,
in order of importance; a box for street zoom only."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient, FlaskCliRunner
from shapely.geometry import LineString, box

from tests.conftest import SHARED_DATA, Accounts, bearer

LONDON = SHARED_DATA / "osm" / "london-central.osm.pbf"
ST_PAULS_VIEW = (-0.1010, 51.5120, -0.0930, 51.5160)  # about a 1280 × 800 view at zoom 16
RANKS = ["motorway", "trunk", "primary", "secondary", "tertiary"]


@pytest.fixture
def london(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["import", "osm", str(LONDON)])
    assert result.exit_code == 0, result.output


def test_labels_of_a_street_view(client: FlaskClient, london: None,
                                 accounts: Accounts) -> None:
    viewer = bearer(accounts.create("viewer"))
    bbox = ",".join(str(v) for v in ST_PAULS_VIEW)
    response = client.get(f"/api/v1/labels?bbox={bbox}", headers=viewer)
    assert response.status_code == 200, response.json
    data = response.json
    names = [road["name"] for road in data["roads"]]
    assert {"Cheapside", "New Change", "Cannon Street", "Ludgate Hill"} <= set(names)
    view = box(*ST_PAULS_VIEW).buffer(1e-9)
    for road in data["roads"]:
        line = LineString(road["path"])
        assert view.covers(line), f"{road['name']} is not clipped to the box"
        assert road["length_m"] >= 30
    # the more important classes come first
    ranks = [RANKS.index(r["highway"]) if r["highway"] in RANKS else len(RANKS)
             for r in data["roads"]]
    assert ranks == sorted(ranks)
    kinds = {poi["kind"] for poi in data["pois"]}
    assert "bus_station" in kinds and all(poi["name"] or poi["name_en"] or poi["name_zh"]
                                          for poi in data["pois"])
    assert data["truncated"] is False


def test_a_box_too_large_for_street_zoom_is_refused(client: FlaskClient,
                                                    accounts: Accounts) -> None:
    viewer = bearer(accounts.create("viewer"))
    wide = client.get("/api/v1/labels?bbox=-0.5,51.3,0.2,51.7", headers=viewer)
    assert (wide.status_code, wide.json["error"], wide.json["field"]) == (
        422, "bbox_too_large", "bbox")
    missing = client.get("/api/v1/labels", headers=viewer)
    assert missing.status_code == 422 and missing.json["field"] == "bbox"
