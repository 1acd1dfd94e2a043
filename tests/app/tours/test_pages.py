"""The tour pages as the server writes them (the browser test plays them): names escaped,
the wall's config, the report and a run's log, the console's findings layer for those who
may read findings only."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from tests.app.tours.support import AREA
from tests.conftest import Accounts, bearer


def test_the_tours_page_lists_tours_escaped_and_offers_areas(
        client: FlaskClient, operator: dict[str, str], town: dict[str, Any]) -> None:
    client.post("/api/v1/tours", json={"name": "<script>alert(1)</script>", "cameras": [
        {"camera_id": town["A"]["id"]}]}, headers=operator)
    page = client.get("/video/tours", headers=operator)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html
    assert f'<option value="{AREA}">' in html
    assert 'id="nav-tours"' in html


def test_the_wall_page_and_the_log_pages(client: FlaskClient, operator: dict[str, str],
                                         town: dict[str, Any]) -> None:
    tour = client.post("/api/v1/tours", json={"name": "Wall <b>test</b>", "layout": 9,
                                              "cameras": [{"camera_id": town["A"]["id"]}]},
                       headers=operator).json
    wall = client.get(f"/video/tours/{tour['id']}/wall", headers=operator)
    assert wall.status_code == 200
    html = wall.get_data(as_text=True)
    assert 'class="wall layout-9"' in html and "Wall &lt;b&gt;test&lt;/b&gt;" in html
    assert "GridPatrolWall.init" in html and "hls.min.js" in html
    assert client.get("/video/tours/999999/wall", headers=operator).status_code == 404
    run = client.post(f"/api/v1/tours/{tour['id']}/runs", headers=operator).json
    log = client.get(f"/video/tours/runs/{run['run_id']}", headers=operator)
    assert log.status_code == 200 and "Wall &lt;b&gt;test&lt;/b&gt;" in log.get_data(
        as_text=True)
    report = client.get("/video/tours/report", headers=operator)
    assert report.status_code == 200 and f"#{run['run_id']}" in report.get_data(as_text=True)


def test_the_console_shows_findings_only_to_those_who_may_read_them(
        client: FlaskClient, accounts: Accounts) -> None:
    for role, shown in (("dispatcher", True), ("viewer", True), ("analyst", True),
                        ("device", False)):
        html = client.get("/", headers=bearer(accounts.create(role))).get_data(as_text=True)
        assert ("GridPatrolFindings.init" in html) is shown, role
    maintainer = bearer(accounts.create("maintainer"))
    assert client.get("/", headers=maintainer).status_code == 403
    assert client.get("/video/tours", headers=maintainer).status_code == 403
