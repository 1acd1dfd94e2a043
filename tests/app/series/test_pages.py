"""The series pages, rendered: the builder for every analysis reader (the keep form for
analysts only), a series with its summary, time line, profile, corridors and cameras,
names from the data escaped; the ellipse's settings from the query."""

from __future__ import annotations

import sqlalchemy as sa
from flask.testing import FlaskClient

from tests.app.series.test_series_api import incident_ids, make_series  # noqa: F401
from tests.conftest import Accounts, login

NASTY = '<script>alert("x")</script>'


def test_the_builder_and_a_series(client: FlaskClient, analyst: dict[str, str],
                                  accounts: Accounts, incident_ids: list[int],  # noqa: F811
                                  connection: sa.Connection) -> None:
    connection.execute(sa.text("UPDATE incidents SET description = :d WHERE id = :id"),
                       {"d": NASTY, "id": incident_ids[0]})
    series_id = make_series(client, analyst, incident_ids)
    login(client, accounts.create("viewer"))
    builder = client.get("/analysis/series").get_data(as_text=True)
    assert "GridPatrolSeries.builder" in builder and 'id="series-list"' in builder
    assert 'id="save-series"' not in builder  # viewers look, analysts keep
    page = client.get(f"/analysis/series/{series_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert NASTY not in html and "&lt;script&gt;" in html
    assert 'id="series-ellipse"' in html and "268 m × 89 m" in html
    assert 'id="series-timeline"' in html and 'id="hour-weekday"' in html
    assert 'id="series-corridors"' in html and html.count("→") >= 4
    assert 'id="points-form"' not in html and 'id="tour-form"' not in html
    assert 'id="series-tours"' in html  # viewers are told the video centre can make one
    two = client.get(f"/analysis/series/{series_id}?std_devs=2&correction=crimestat")
    assert "693 m × 231 m" in two.get_data(as_text=True)
    bad = client.get(f"/analysis/series/{series_id}?correction=esri").get_data(as_text=True)
    assert 'id="series-error"' in bad
    assert client.get("/analysis/series/999999").status_code == 404
    analyst_page = client.application.test_client()
    login(analyst_page, accounts.create("analyst"))
    assert 'id="save-series"' in analyst_page.get("/analysis/series").get_data(as_text=True)
    supervisor_page = client.application.test_client()
    login(supervisor_page, accounts.create("supervisor"))
    assert 'id="points-form"' in supervisor_page.get(
        f"/analysis/series/{series_id}").get_data(as_text=True)
