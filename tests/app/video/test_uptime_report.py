"""The monthly uptime and SLA report on real PostGIS, against numbers worked out by hand.

March 2025 in Asia/Shanghai (00:00 +08:00 on 1 March to 00:00 +08:00 on 1 April: 744 h).
Three cameras and a constructed state history:

- A (Equipment Co, North): online since February; offline 12 h on the 10th, in
  maintenance 24 h from the 20th, degraded 24 h from the 21st; a change after the month
  is ignored → online 684 h, degraded 24 h, offline 12 h, maintenance 24 h: uptime
  708/720 = 98.33 %, faultless 684/720 = 95.00 %.
- B (Equipment Co, South): first checked on the 16th (360 h unknown), online 360 h,
  offline the last 24 h → 360/384 = 93.75 %.
- C (Power Co, North): online all month → 100 %.

Equipment Co: 1,068 of 1,104 h with a picture = 96.74 %; everything: 1,812 of 1,848 h =
98.05 %. Tickets (Equipment Co: respond in 2 h, repair in 24 h; Power Co: 4 h and 48 h):
T1 on A answered in 1 h and repaired in 12 h (met); T2 on B answered in 3 h (breached) and
repaired after 48 h, in April (breached, open at the month's end); T3 on A opened in
February and closed in March (closed, outside the SLA cohort); T4 on C closed by itself
after 2 h, never acknowledged (met: closing answers it); T5 on C never answered nor
repaired (both breached).
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.maintenance import report
from dispatch.cameras.health import time_in_status
from tests.conftest import Accounts, DatabaseInfo, bearer, make_app

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2025, 3, 1, tzinfo=SHANGHAI)
END = datetime(2025, 4, 1, tzinfo=SHANGHAI)


def local(day: int, hour: int = 0, month: int = 3) -> datetime:
    return datetime(2025, month, day, hour, tzinfo=SHANGHAI)


HISTORY = {
    "A": [(local(20, 0, 2), "online"), (local(10), "offline"), (local(10, 12), "online"),
          (local(20), "maintenance"), (local(21), "degraded"), (local(22), "online"),
          (local(1, 3, 4), "offline")],
    "B": [(local(16), "online"), (local(31), "offline")],
    "C": [(local(5, 0, 1), "online")],
}


@pytest.fixture
def app(database: DatabaseInfo, connection: sa.Connection) -> Flask:
    return make_app(database, DB_CONNECTION=connection, TIMEZONE="Asia/Shanghai")


@pytest.fixture
def scene(app: Flask, client: FlaskClient, accounts: Accounts,
          connection: sa.Connection) -> dict[str, Any]:
    supervisor = bearer(accounts.create("supervisor"))
    for name, x in (("North", 24.0), ("South", 25.0), ("=HYPERLINK(1)", 26.0)):
        connection.execute(sa.text(
            "INSERT INTO areas (name, kind, geom) VALUES (:n, 'district', "
            "ST_Multi(ST_MakeEnvelope(:x, 60, :x + 1, 61, 4326)))"), {"n": name, "x": x})
    keepers = {}
    for code, name, kind, response_h, repair_h in (("EQ", "Equipment Co", "equipment", 2, 24),
                                                   ("PW", "Power Co", "power", 4, 48)):
        made = client.post("/api/v1/maintainers", headers=supervisor, json={
            "code": code, "name": name, "kind": kind, "response_h": response_h,
            "repair_h": repair_h})
        assert made.status_code == 200, made.json
        keepers[code] = made.json["id"]
    cameras = {}
    for label, area, x, keeper in (("A", "North", 24.5, "EQ"), ("B", "South", 25.5, "EQ"),
                                   ("C", "North", 24.6, "PW")):
        made = client.post("/api/v1/cameras", headers=supervisor, json={
            "name": f"Camera {label}", "lon": x, "lat": 60.5, "area": area})
        assert made.status_code == 201, made.json
        cameras[label] = made.json["id"]
        client.post(f"/api/v1/maintainers/{keeper}/cameras", headers=supervisor,
                    json={"camera_ids": [made.json["id"]]})
    for label, changes in HISTORY.items():
        previous = "unknown"
        for at, status in changes:
            connection.execute(sa.text(
                "INSERT INTO camera_status_changes (camera_id, at, from_status, to_status) "
                "VALUES (:c, :at, :f, :t)"), {"c": cameras[label], "at": at, "f": previous,
                                             "t": status})
            previous = status

    def ticket(camera: str, keeper: str, opened: datetime, *, ack_h: float | None,
               closed: datetime | None, response_h: float, repair_h: float) -> None:
        connection.execute(sa.text(
            "INSERT INTO maintenance_tickets (camera_id, maintainer_id, status, faults, "
            "opened_at, respond_by, repair_by, acknowledged_at, closed_at, close_how) VALUES "
            "(:c, :m, :s, ARRAY['offline'], :o, :rb, :pb, :a, :cl, :how)"), {
                "c": cameras[camera], "m": keepers[keeper],
                "s": "closed" if closed else "open", "o": opened,
                "rb": opened + timedelta(hours=response_h),
                "pb": opened + timedelta(hours=repair_h),
                "a": opened + timedelta(hours=ack_h) if ack_h is not None else None,
                "cl": closed, "how": "auto" if closed else None})

    ticket("A", "EQ", local(10), ack_h=1, closed=local(10, 12), response_h=2, repair_h=24)
    ticket("B", "EQ", local(31), ack_h=3, closed=local(2, 0, 4), response_h=2, repair_h=24)
    ticket("A", "EQ", local(27, 0, 2), ack_h=1, closed=local(2), response_h=2, repair_h=24)
    ticket("C", "PW", local(5), ack_h=None, closed=local(5, 2), response_h=4, repair_h=48)
    ticket("C", "PW", local(25), ack_h=None, closed=None, response_h=4, repair_h=48)
    return {"supervisor": supervisor, "keepers": keepers, "cameras": cameras}


def rows_by(answer: dict[str, Any]) -> dict[tuple[str, str | None, str | None], dict[str, Any]]:
    return {(r["level"], (r["maintainer"] or {}).get("code"), r["area"]): r
            for r in answer["rows"]}


def test_uptime_and_sla_match_the_hand_computed_month(
        client: FlaskClient, scene: dict[str, Any]) -> None:
    answer = client.get("/api/v1/reports/uptime?month=2025-03",
                        headers=scene["supervisor"])
    assert answer.status_code == 200, answer.json
    body = answer.json
    assert (body["from"], body["to"], body["complete"]) == (
        START.isoformat(), END.isoformat(), True)
    rows = rows_by(body)
    assert list(rows) == [("area", "EQ", "North"), ("area", "EQ", "South"),
                          ("maintainer", "EQ", None), ("area", "PW", "North"),
                          ("maintainer", "PW", None), ("total", None, None)]
    north_a = rows[("area", "EQ", "North")]
    assert north_a["seconds"] == {"online": 684 * 3600, "degraded": 24 * 3600,
                                  "offline": 12 * 3600, "maintenance": 24 * 3600,
                                  "unknown": 0}
    assert (north_a["uptime_pct"], north_a["healthy_pct"]) == (98.33, 95.0)
    assert rows[("area", "EQ", "South")]["uptime_pct"] == 93.75
    assert rows[("area", "EQ", "South")]["seconds"]["unknown"] == 360 * 3600
    assert rows[("area", "PW", "North")]["uptime_pct"] == 100.0
    assert (rows[("maintainer", "EQ", None)]["uptime_pct"],
            rows[("maintainer", "EQ", None)]["healthy_pct"]) == (96.74, 94.57)
    assert rows[("maintainer", "EQ", None)]["cameras"] == 2
    total = rows[("total", None, None)]
    assert (total["cameras"], total["uptime_pct"], total["healthy_pct"]) == (3, 98.05, 96.75)

    t = {key: row["tickets"] for key, row in rows.items()}
    assert {k: t[("area", "EQ", "North")][k] for k in (
        "opened", "closed", "open_at_end", "response_mean_h", "response_breached",
        "repair_mean_h", "repair_breached")} == {
        "opened": 1, "closed": 2, "open_at_end": 0, "response_mean_h": 1.0,
        "response_breached": 0, "repair_mean_h": 12.0, "repair_breached": 0}
    assert {k: t[("area", "EQ", "South")][k] for k in (
        "opened", "closed", "open_at_end", "response_mean_h", "response_breached",
        "repair_max_h", "repair_breached")} == {
        "opened": 1, "closed": 0, "open_at_end": 1, "response_mean_h": 3.0,
        "response_breached": 1, "repair_max_h": 48.0, "repair_breached": 1}
    eq = t[("maintainer", "EQ", None)]
    assert (eq["response_mean_h"], eq["response_max_h"], eq["repair_mean_h"]) == (
        2.0, 3.0, 30.0)
    pw = t[("maintainer", "PW", None)]
    assert {k: pw[k] for k in ("opened", "closed", "open_at_end", "responded",
                               "response_mean_h", "response_breached", "repaired",
                               "repair_breached", "response_running")} == {
        "opened": 2, "closed": 1, "open_at_end": 1, "responded": 1, "response_mean_h": 2.0,
        "response_breached": 1, "repaired": 1, "repair_breached": 1, "response_running": 0}
    assert {k: t[("total", None, None)][k] for k in (
        "opened", "closed", "open_at_end", "response_breached", "repair_breached")} == {
        "opened": 4, "closed": 3, "open_at_end": 2, "response_breached": 2,
        "repair_breached": 2}
    assert rows[("maintainer", "EQ", None)]["maintainer"]["response_h"] == 2
    assert [w["camera_id"] for w in body["worst"]] == [
        scene["cameras"]["B"], scene["cameras"]["A"], scene["cameras"]["C"]]


def test_the_sql_agrees_with_the_pure_reckoning_per_camera(
        app: Flask, scene: dict[str, Any]) -> None:
    from app.cameras.health import repository as health_rows
    from app.db import get_session

    with app.app_context():
        found = health_rows.uptime_by_camera(get_session(), start=START, end=END)
    for label, changes in HISTORY.items():
        before = [s for at, s in changes if at <= START]
        spent = time_in_status(changes, start=START, end=END,
                               initial=before[-1] if before else "unknown")
        mine = found[scene["cameras"][label]]
        assert {state: mine[f"{state}_s"] for state in spent} == spent, label


def test_filters_and_the_maintainers_own_report(
        client: FlaskClient, accounts: Accounts, scene: dict[str, Any]) -> None:
    get = client.get
    north = rows_by(get("/api/v1/reports/uptime?month=2025-03&area=North",
                        headers=scene["supervisor"]).json)
    assert ("area", "EQ", "South") not in north
    assert north[("total", None, None)]["cameras"] == 2
    power = rows_by(get(f"/api/v1/reports/uptime?month=2025-03&maintainer="
                        f"{scene['keepers']['PW']}", headers=scene["supervisor"]).json)
    assert {key[1] for key in power} == {"PW", None}
    worker = accounts.create("maintainer")
    client.post("/api/v1/maintainers/EQ/members", headers=scene["supervisor"],
                json={"username": worker["username"]})
    own = get("/api/v1/reports/uptime?month=2025-03", headers=bearer(worker))
    assert own.status_code == 200
    assert {key[1] for key in rows_by(own.json)} == {"EQ", None}
    assert rows_by(own.json)[("total", None, None)]["uptime_pct"] == 96.74
    other = get(f"/api/v1/reports/uptime?month=2025-03&maintainer={scene['keepers']['PW']}",
                headers=bearer(worker))
    assert other.status_code == 403
    loner = get("/api/v1/reports/uptime?month=2025-03",
                headers=bearer(accounts.create("maintainer"))).json  # works for no one yet
    assert [(r["level"], r["cameras"], r["tickets"]["opened"]) for r in loner["rows"]] == [
        ("total", 0, 0)]
    analyst = bearer(accounts.create("analyst"))
    assert get("/api/v1/reports/uptime", headers=analyst).status_code == 403


@pytest.mark.parametrize(("query", "field", "code"), [
    ("month=2025-13", "month", "invalid"),
    ("month=March", "month", "invalid"),
    ("month=1999-12", "month", "invalid"),
    ("month=2999-01", "month", "future_month"),
    ("area=Atlantis", "area", "unknown_area"),
    ("maintainer=seven", "maintainer", "invalid"),
    ("maintainer=99999999", "maintainer", "unknown_maintainer"),
    ("format=pdf", "format", "invalid"),
])
def test_bad_parameters_are_named(client: FlaskClient, scene: dict[str, Any], query: str,
                                  field: str, code: str) -> None:
    answer = client.get(f"/api/v1/reports/uptime?{query}", headers=scene["supervisor"])
    assert answer.status_code == 422, answer.json
    assert (answer.json["field"], answer.json["error"]) == (field, code)


def test_the_csv_has_the_rows_and_no_formulas(client: FlaskClient,
                                              scene: dict[str, Any]) -> None:
    client.post("/api/v1/cameras", headers=scene["supervisor"], json={
        "name": "Camera D", "lon": 26.5, "lat": 60.5, "area": "=HYPERLINK(1)"})
    answer = client.get("/api/v1/reports/uptime?month=2025-03&format=csv",
                        headers=scene["supervisor"])
    assert answer.status_code == 200
    assert answer.headers["Content-Disposition"] == (
        'attachment; filename="uptime-sla-2025-03.csv"')
    table = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    assert list(table[0]) == list(report.CSV_COLUMNS)
    first = table[0]
    assert (first["maintainer_code"], first["area"], first["uptime_pct"],
            first["offline_h"], first["contract_response_h"]) == (
        "EQ", "North", "98.33", "12.0", "2.0")
    assert "'=HYPERLINK(1)" in {row["area"] for row in table}
    assert table[-1]["level"] == "total"


def test_a_large_month_is_a_job_with_the_same_numbers(
        app: Flask, client: FlaskClient, scene: dict[str, Any], accounts: Accounts,
        monkeypatch: pytest.MonkeyPatch) -> None:
    inline = client.get("/api/v1/reports/uptime?month=2025-03",
                        headers=scene["supervisor"]).json
    monkeypatch.setattr(report, "INLINE_CHANGES", 2)
    queued = client.get("/api/v1/reports/uptime?month=2025-03&format=csv",
                        headers=scene["supervisor"])
    assert queued.status_code == 202, queued.json
    job_id = queued.json["id"]
    from app.db import get_session
    from app.jobs.worker import run_inline

    with app.app_context():
        session = get_session()
        run_inline(session, job_id)
        session.commit()
    again = client.get(f"/api/v1/jobs/{job_id}", headers=scene["supervisor"]).json
    assert again["state"] == "done" and "/video/report?month=2025-03" in again["page"]
    assert again["result"].endswith(f"/api/v1/jobs/{job_id}/result?format=csv")
    result = client.get(again["result"], headers=scene["supervisor"])
    assert result.status_code == 200
    assert result.headers["Content-Type"].startswith("text/csv")
    as_json = client.get(f"/api/v1/jobs/{job_id}/result?format=json",
                         headers=scene["supervisor"]).json
    assert as_json["rows"] == inline["rows"]


def test_the_report_page_shows_prints_and_exports_the_month(
        client: FlaskClient, accounts: Accounts, scene: dict[str, Any]) -> None:
    from tests.conftest import login

    browser = client.application.test_client()
    login(browser, accounts.create("supervisor"))
    page = browser.get("/video/report?month=2025-03")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'href="/static/css/print.css" media="print"' in html and "data-print" in html
    north = re.search(r'<tr class="level-area" data-level="area" data-maintainer="EQ" '
                      r'data-area="North">(.*?)</tr>', html, re.S)
    assert north and "98.33 %" in north.group(1) and "95.00 %" in north.group(1)
    total = re.search(r'<tr class="level-total".*?</tr>', html, re.S).group(0)
    assert "98.05 %" in total
    assert "From 2025-03-01 to 2025-03-31" in html and "complete month" in html
    assert 'href="/video/report.csv?month=2025-03"' in html
    exported = browser.get("/video/report.csv?month=2025-03")
    assert exported.mimetype == "text/csv" and "EQ,Equipment Co,North" in exported.get_data(
        as_text=True)
    bad = browser.get("/video/report?month=2025-13")
    assert bad.status_code == 422
    assert 'data-field="month"' in bad.get_data(as_text=True)
    unknown = browser.get("/video/report?month=2025-03&area=Atlantis")
    assert unknown.status_code == 422 and "No area is named" in unknown.get_data(as_text=True)
    assert browser.get("/video/report.csv?month=2999-01").status_code == 422
    chinese = browser.get("/video/report?month=2025-03",
                          headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "在线率与服务时限报告" in chinese


def test_a_large_month_on_the_page_is_followed_as_a_job(
        client: FlaskClient, accounts: Accounts, scene: dict[str, Any],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.app.jobs.support import follow_job
    from tests.conftest import login

    monkeypatch.setattr(report, "INLINE_CHANGES", 2)
    browser = client.application.test_client()
    worker = accounts.create("maintainer")
    client.post("/api/v1/maintainers/EQ/members", headers=scene["supervisor"],
                json={"username": worker["username"]})
    login(browser, worker)
    started = browser.get("/video/report?month=2025-03")
    assert started.status_code == 302 and "job=" in started.headers["Location"]
    waiting = browser.get(started.headers["Location"]).get_data(as_text=True)
    assert 'id="job-progress"' in waiting
    shown = follow_job(browser, started).get_data(as_text=True)
    assert re.search(r'data-level="total".*?96\.74 %', shown, re.S)
    assert "Power Co" not in shown  # a maintainer's report is its own
    assert re.search(r'href="/api/v1/jobs/\d+/result\?format=csv"', shown)
