"""The supervisor's page, rendered: the plan's result in a styled panel where the routes
are (not above the title), the roster one row per unit with its grid cells folded away,
every table labelled, and the Chinese page free of English shift, status and reason
names."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
import shapely
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.db import get_session
from app.geography.repository.places import home_area
from tests.app.jobs.support import follow_job
from tests.app.page_words import english_left, english_names, visible_text
from tests.app.planning.test_plans import DAY, POINTS, scene  # noqa: F401 (a fixture)
from tests.conftest import Accounts, csrf_token, login

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
PLANNING_TABLES = ("shift", "plan_status", "stop_status", "dose_status", "unserved_reason",
                   "unit_kind")


def planned_page(client: FlaskClient, accounts: Accounts,
                 headers: dict[str, str] | None = None) -> str:
    """Sign in as a supervisor, plan the scene's day shift from the page's form, and
    return the page the form leads to."""
    login(client, accounts.create("supervisor"))
    path = f"/planning?date={DAY.isoformat()}"
    token = csrf_token(client, path)
    answer = follow_job(client, client.post(
        "/planning", data={"csrf_token": token, "date": DAY.isoformat(), "shift": "day",
                           "reason": "page test"}), headers=headers or {})
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def test_the_result_is_shown_in_place(client: FlaskClient,
                                      scene: dict[str, Any],  # noqa: F811 (the fixture)
                                      accounts: Accounts) -> None:
    page = planned_page(client, accounts)
    main = page[page.index("<main>"):]
    # nothing between <main> and the page's title: the result sits in the result column
    assert "flash" not in main[:main.index("<h1>")]
    panel = main[main.index('<section class="analysis-result">'):]
    panel = panel[:panel.index('id="plan-map"')]
    assert re.search(r'class="result result-success[^"]*" role="status">Day: \d+ routes, '
                     r'\d+ of \d+ stops served\.</p>', panel), panel


def test_the_roster_folds_each_units_grid_cells(client: FlaskClient,
                                                scene: dict[str, Any],  # noqa: F811 (the fixture)
                                                accounts: Accounts) -> None:
    page = planned_page(client, accounts)
    roster = page[page.index('id="roster"'):]
    roster = roster[:roster.index("</aside>")]
    # a fold per shift, the plan's shift open
    assert re.findall(r'<details class="roster-shift" id="roster-1" open>\s*<summary>([^<]+)<',
                      roster) == ["Day 08:00–16:00 · 2 units"]
    rows = re.findall(r'<th scope="row" class="unit">([^<]+)<', roster)
    assert rows == ["P-1", "P-2"]
    folded = re.findall(r'<details class="grid-codes"><summary>(\d+) cells</summary>\s*'
                        r'<ul>((?:<li>[^<]+</li>)+)</ul></details>', roster)
    assert [int(n) for n, _ in folded] == [len(scene["codes"])] * 2
    assert all(re.findall(r"<li>([^<]+)</li>", codes) == scene["codes"]
               for _, codes in folded)
    assert '<details class="grid-codes" open' not in roster
    # outside the folded lists no grid code is printed
    assert not any(code in re.sub(r"<details.*?</details>", "", roster, flags=re.DOTALL)
                   for code in scene["codes"])


def test_every_table_has_its_column_headings(client: FlaskClient,
                                             scene: dict[str, Any],  # noqa: F811 (the fixture)
                                             accounts: Accounts) -> None:
    page = planned_page(client, accounts)
    tables = re.findall(r"<table\b.*?</table>", page, flags=re.DOTALL)
    assert len(tables) >= 6  # plans, roster, routes, by unit / grid / shift, points
    for table in tables:
        head = re.search(r"<thead>(.*?)</thead>", table, flags=re.DOTALL)
        assert head, table[:200]
        headings = re.findall(r"<th\b[^>]*>(.*?)</th>", head.group(1), flags=re.DOTALL)
        assert all(visible_text(h).strip() for h in headings), headings
        body = table[head.end():]
        for row in re.findall(r"<tr(?: class=\"(?:route-row|current)\")?>(.*?)</tr>", body,
                              flags=re.DOTALL):
            cells = re.findall(r"<t[hd]\b", row)
            assert len(cells) == len(headings), (headings, row[:300])


def test_the_chinese_page_has_no_english_names(app: Flask, client: FlaskClient,
                                               scene: dict[str, Any],  # noqa: F811 (the fixture)
                                               accounts: Accounts) -> None:
    planned_page(client, accounts)
    html = client.get(f"/planning?date={DAY.isoformat()}&shift=day", headers=ZH).get_data(
        as_text=True)
    text = visible_text(html)
    assert "白班" in text and "草稿" in text and "时间窗过短" in text  # day, draft, reason
    data = [*POINTS, "P-1", "P-2", "B-1", "Wood Street"]
    assert english_left(text, english_names(app, PLANNING_TABLES), allowed=data) == []


def opening_corners(page: str) -> list[list[float]]:
    """The [[south, west], [north, east]] the page's map opens on (GridPatrolMap.init's
    configuration, as the page writes it)."""
    found = re.search(r"GridPatrolMap\.init\(\w+, ", page)
    assert found, "no map on the page"
    config, _ = json.JSONDecoder().raw_decode(page, found.end())
    return config["bounds"]


def test_the_map_opens_on_the_rostered_cells_not_every_area(
        app: Flask, client: FlaskClient, scene: dict[str, Any],  # noqa: F811 (the fixture)
        accounts: Accounts, connection: sa.Connection) -> None:
    connection.execute(sa.text(  # a second city 1,800 km away, larger than London's area
        "INSERT INTO areas (name, kind, geom) VALUES ('Helsinki', 'area', "
        "ST_Multi(ST_MakeEnvelope(24.9, 60.1, 25.2, 60.3, 4326)))"))
    grids = client.get("/api/v1/grids", headers=scene["supervisor"]).json["features"]
    cell = grids[0]
    west, south, east, north = shapely.geometry.shape(cell["geometry"]).bounds
    day = DAY + timedelta(days=1)  # one unit in one cell, nothing planned yet
    roster = client.post("/api/v1/roster", json=[
        {"date": day.isoformat(), "shift": "day", "unit": "P-1",
         "grids": [cell["properties"]["code"]]}], headers=scene["supervisor"])
    assert roster.status_code == 200, roster.json
    login(client, accounts.create("supervisor"))
    page = client.get(f"/planning?date={day.isoformat()}").get_data(as_text=True)
    near = {"abs": 2e-5}  # ~2 m: the API writes 6 decimals, ST_Extent single precision
    assert opening_corners(page) == [[pytest.approx(south, **near), pytest.approx(west, **near)],
                                     [pytest.approx(north, **near), pytest.approx(east, **near)]]

    # nobody rostered: the home area (London's, the one with the grid), not both cities
    with app.app_context():
        home = home_area(get_session())
    assert home is not None and home["name"] != "Helsinki"
    west, south, east, north = home["bounds"]
    empty = DAY + timedelta(days=2)
    page = client.get(f"/planning?date={empty.isoformat()}").get_data(as_text=True)
    assert opening_corners(page) == [[pytest.approx(south), pytest.approx(west)],
                                     [pytest.approx(north), pytest.approx(east)]]
    assert east < 0  # (the union of both would reach 25.2° E)


def test_the_chinese_page_words_the_jobs_and_the_solvers_messages_in_chinese(
        client: FlaskClient, scene: dict[str, Any],  # noqa: F811 (the fixture)
        accounts: Accounts) -> None:
    """The plan job's message and why each stop is unserved are stored in English (the
    worker has no reader) with their notes: the Chinese page words them in Chinese, and
    the API gives both."""
    planned_page(client, accounts)
    job = client.get("/api/v1/jobs?kind=plan").json["jobs"][0]
    assert job["state"] == "done" and job["message_localised"] == job["message"]
    assert re.fullmatch(r"08:00–16:00: \d+ routes, \d+ of \d+ stops served", job["message"])
    html = client.get(f"/planning?date={DAY.isoformat()}&shift=day&job={job['id']}",
                      headers=ZH).get_data(as_text=True)
    box = html[html.index('id="job-progress"'):]
    box = visible_text(box[:box.index("</section>")])
    worded = re.search(r"08:00–16:00：\d+ 条路线，\d+ 个停靠点中 \d+ 个已安排", box)
    assert worded, box
    assert job["message"] not in visible_text(html)
    chinese = client.get(f"/api/v1/jobs/{job['id']}", headers=ZH).json
    assert (chinese["message"], chinese["message_localised"]) == (job["message"], worded[0])
    plans = client.get(f"/api/v1/patrol-plans?date={DAY.isoformat()}&shift=day",
                       headers=ZH).json
    unserved = [u for u in plans["unserved"] if "message" in u]
    assert unserved and all("note" not in u for u in unserved)
    details = visible_text(html[html.index('id="unserved"'):])
    for item in unserved:
        assert item["message_localised"] != item["message"], item
        assert item["message_localised"] in details and item["message"] not in details
    # nothing of the solver's English sentences is left (its words, not the data)
    assert not re.findall(r"\b(?:dwell|window|shift of|units allowed|there and|rostered)\b",
                          details)
