"""Where to add cameras through the API, on the London extract: a box of the City, three
cameras; the answer is at least as good as the greedy pick, adds coverage, and counts
what existing cameras see as served."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from app.db import get_session
from app.evidence import placement
from app.jobs.worker import run_inline
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


def test_a_large_placement_is_a_job(client: FlaskClient, london: None,
                                    analyst: dict[str, str], supervisor: dict[str, str],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the request's bound (here 50 candidates; the whole extract holds more) the
    placement is queued: 202 with the job, run by a worker (here inline), its result the
    answer a request would have given, readable by a supervisor too, and as CSV."""
    monkeypatch.setitem(placement.SYNC_LIMITS, "candidates", 50)
    body = {"area": "London Central", "k": 3, "bbox": BOX, "demand": "roads"}
    queued = client.post("/api/v1/camera-placement", json=body, headers=analyst)
    assert queued.status_code == 202, queued.json
    job = queued.json
    assert job["kind"] == "camera_placement" and job["state"] == "queued"
    assert queued.headers["Location"] == f"/api/v1/jobs/{job['id']}"
    assert job["page"] == f"/evidence/placement?job={job['id']}"
    stages: list[tuple[float, str]] = []
    with client.application.app_context():
        session = get_session()
        done = run_inline(session, job["id"], progress=lambda f, m: stages.append((f, m)))
        session.commit()
        assert done.state == "done", done.error
    assert [share for share, _ in stages] == sorted(share for share, _ in stages)
    assert any("candidates" in message for _, message in stages)
    seen = client.get(f"/api/v1/jobs/{job['id']}", headers=supervisor).json
    assert seen["state"] == "done" and "coverage" in seen["message"]
    answer = client.get(seen["result"], headers=supervisor).json
    assert answer["coverage_after"] >= answer["greedy_after"] - 1e-4 and answer["cameras"]
    assert answer["region"]["type"] in ("Polygon", "MultiPolygon")
    table = client.get(f"{seen['result']}?format=csv", headers=analyst)
    lines = table.get_data(as_text=True).splitlines()
    assert lines[0].startswith("pick,order,lon,lat,kind")
    assert len(lines) == 1 + len(answer["cameras"]) + len(answer["greedy_cameras"])
    # the same request while queued is the same job; Prefer: respond-async queues a small one
    small = client.post("/api/v1/camera-placement", json=body | {"k": 1},
                        headers=analyst | {"Prefer": "respond-async"})
    assert small.status_code == 202 and small.json["id"] != job["id"]
    assert client.post("/api/v1/camera-placement", json=body | {"k": 1},
                       headers=analyst | {"Prefer": "respond-async"}).json["id"] \
        == small.json["id"]
    # k past 20 is a job whatever the size
    many = client.post("/api/v1/camera-placement", json=body | {"k": 21}, headers=analyst)
    assert many.status_code == 202


def test_refusals(client: FlaskClient, london: None, analyst: dict[str, str],
                  dispatcher: dict[str, str]) -> None:
    unknown = client.post("/api/v1/camera-placement", json={"area": "Atlantis", "k": 3},
                          headers=analyst)
    assert unknown.status_code == 404
    too_many = client.post("/api/v1/camera-placement",
                           json={"area": "London Central", "k": 500}, headers=analyst)
    assert too_many.status_code == 422 and too_many.json["field"] == "k"
    assert client.post("/api/v1/camera-placement", json={"area": "London Central", "k": 3},
                       headers=dispatcher).status_code == 403
