"""Where to add cameras through the API, on the London extract: a box of the City, three
cameras; the answer is at least as good as the greedy pick, adds coverage, and counts
what existing cameras see as served."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from app.evidence import placement
from tests.app.dispatch.support import PLACE, add_camera

BOX = f"{PLACE[0] - 0.004},{PLACE[1] - 0.003},{PLACE[0] + 0.004},{PLACE[1] + 0.003}"


def propose(client: FlaskClient, headers: dict[str, str], **fields: object) -> dict:
    body = {"area": "London Central", "k": 3, "bbox": BOX} | fields
    response = client.post("/api/v1/camera-placement", json=body, headers=headers)
    assert response.status_code == 200, response.json
    return response.json  # type: ignore[no-any-return]


def test_placement_beats_or_equals_greedy_and_adds_coverage(
        client: FlaskClient, london: None, supervisor: dict[str, str],
        analyst: dict[str, str]) -> None:
    answer = propose(client, analyst, demand="roads")
    assert 0 < len(answer["cameras"]) <= 3 and answer["candidates"] > 10
    assert answer["coverage_after"] >= answer["greedy_after"] - 1e-4
    assert answer["coverage_after"] > answer["coverage_before"]
    assert answer["solver"]["engine"] == "HiGHS" and answer["solver"]["gap"] <= 0.01
    assert answer["solver"]["bound_after"] >= answer["coverage_after"] - 1e-4
    gains = [c["gain"] for c in answer["cameras"]]
    assert gains == sorted(gains, reverse=True)
    assert abs(sum(gains) - (answer["coverage_after"] - answer["coverage_before"])) < 2e-3
    first = answer["cameras"][0]
    assert first["road_m_in_view"] > 0 and first["kind"] in ("fixed", "dome")
    # a camera where the first proposal stands serves that demand: the next answer's
    # coverage before is higher
    add_camera(client, supervisor, name="proposed", lon=first["lon"], lat=first["lat"],
               kind=first["kind"], azimuth_deg=first["azimuth_deg"] or "",
               fov_deg=first["fov_deg"] or "", range_m=first["range_m"])
    again = propose(client, analyst, demand="roads")
    assert again["coverage_before"] > answer["coverage_before"]


def test_refusals(client: FlaskClient, london: None, analyst: dict[str, str],
                  monkeypatch: pytest.MonkeyPatch) -> None:
    # the whole extract fits the request's bound; with a bound of 50 candidates it does not
    monkeypatch.setitem(placement.SYNC_LIMITS, "candidates", 50)
    whole = client.post("/api/v1/camera-placement", json={"area": "London Central", "k": 3},
                        headers=analyst)
    assert whole.status_code == 422 and whole.json["error"] == "too_large_for_sync"
    unknown = client.post("/api/v1/camera-placement", json={"area": "Atlantis", "k": 3},
                          headers=analyst)
    assert unknown.status_code == 404
    too_many = client.post("/api/v1/camera-placement",
                           json={"area": "London Central", "k": 500}, headers=analyst)
    assert too_many.status_code == 422 and too_many.json["field"] == "k"
