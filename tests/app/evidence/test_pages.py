"""The evidence, coverage and placement pages, rendered: each opens for the roles that may
use it, names from the data are escaped, a plan's sheet lists its cameras with their
windows, and the placement form queues a job whose page shows the proposal."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.app.dispatch.support import CAM_LAT, CAM_LON, add_camera, offset
from tests.app.evidence.test_placement_api import BOX
from tests.app.jobs.support import follow_job
from tests.conftest import Accounts, csrf_token, login

NASTY = '<img src=x onerror="alert(1)">'


def test_the_plan_page_and_its_sheet(client: FlaskClient, london: None,
                                     supervisor: dict[str, str], dispatcher: dict[str, str],
                                     accounts: Accounts) -> None:
    lon, lat = offset(*offset(CAM_LON, CAM_LAT, 90, 200), 0, 20)
    add_camera(client, supervisor, name=NASTY, lon=lon, lat=lat, azimuth_deg=180, fov_deg=60,
               range_m=60, recording_url="rtsp://10.0.0.9/playback?from={start:unix}&to={end:unix}")
    path = {"type": "LineString", "coordinates": [list(offset(CAM_LON, CAM_LAT, 90, m))
                                                  for m in (0, 200, 400)]}
    plan = client.post("/api/v1/evidence-plans", json={
        "lon": CAM_LON, "lat": CAM_LAT, "at": "2025-03-01T21:14:00+00:00", "path": path,
        "speed_kmh": 36, "reason": f"hit-and-run {NASTY}"}, headers=dispatcher).json
    login(client, accounts.create("dispatcher"))
    page = client.get("/evidence").get_data(as_text=True)
    assert 'id="evidence-form"' in page and "GridPatrolEvidence.init" in page
    assert f"#{plan['id']}" in page  # among the recent plans
    sheet = client.get(f"/evidence/plans/{plan['id']}")
    assert sheet.status_code == 200
    html = sheet.get_data(as_text=True)
    assert NASTY not in html and "&lt;img src=x" in html
    assert "2025-03-01 21:14:" in html and "rtsp://10.0.0.9/playback?from=" in html
    assert "data-print" in html
    assert client.get("/evidence/plans/999999").status_code == 404


def test_the_plan_page_starts_from_an_alerts_place(client: FlaskClient, london: None,
                                                   dispatcher: dict[str, str],
                                                   accounts: Accounts) -> None:
    alert = client.post("/api/v1/alerts", json={"lon": CAM_LON, "lat": CAM_LAT,
                                                "level": "red"}, headers=dispatcher).json
    login(client, accounts.create("dispatcher"))
    page = client.get(f"/evidence?alert_id={alert['id']}").get_data(as_text=True)
    assert f'value="{alert["id"]}"' in page and f'value="{round(CAM_LON, 7)}"' in page
    assert client.get("/evidence?alert_id=99999").status_code == 404


def test_viewers_see_coverage_but_not_plans(client: FlaskClient, london: None,
                                            accounts: Accounts) -> None:
    login(client, accounts.create("viewer"))
    assert client.get("/evidence").status_code == 403
    page = client.get("/evidence/coverage")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="nav-evidence"' in html and "/evidence/coverage" in html
    assert "GridPatrolNetwork.init" in html
    assert client.get("/evidence/placement").status_code == 403
    bad = client.get("/evidence/coverage?area=Atlantis").get_data(as_text=True)
    assert 'id="coverage-error"' in bad


def test_the_placement_form_runs_a_job_and_shows_the_proposal(
        client: FlaskClient, london: None, accounts: Accounts) -> None:
    login(client, accounts.create("analyst"))
    token = csrf_token(client, "/evidence/placement")
    queued = client.post("/evidence/placement", data={
        "csrf_token": token, "area": "London Central", "k": "2", "bbox": BOX,
        "demand": "roads"})
    assert queued.status_code == 302 and "/evidence/placement?job=" in queued.location
    page = follow_job(client, queued)
    html = page.get_data(as_text=True)
    assert 'id="job-progress"' in html and 'data-job-state="done"' in html
    assert 'id="placement-cameras"' in html and 'id="greedy-cameras"' in html
    assert 'id="coverage-after"' in html and "GridPatrolPlacement.init" in html
    refused = client.post("/evidence/placement", data={
        "csrf_token": token, "area": "London Central", "k": "0"})
    assert refused.status_code == 200 and 'id="placement-error"' in refused.get_data(
        as_text=True)
