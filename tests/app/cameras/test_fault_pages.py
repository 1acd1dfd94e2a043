"""The faults pages over real health checks (FFmpeg on clips made at test time, PostGIS):
the list sorted and linked to each camera and its ticket with the week's uptime, one
camera's page with the frame its check saw, its uptime, state history and tickets; the
maintenance desk (take a ticket on, note, close by hand with a note: audited); and what a
maintainer's pages hold — cameras, health, its own tickets, nothing of policing."""

from __future__ import annotations

import re
from typing import Any

import cv2
import numpy as np
import sqlalchemy as sa
from flask.testing import FlaskClient

from tests.app.cameras.conftest import ClipSet, Rig
from tests.conftest import bearer, csrf_token, login

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def frozen_with_ticket(rig: Rig, clip_set: ClipSet) -> dict[str, Any]:
    rig.check()  # a clean first check: its frame, its reference
    rig.show(clip_set.clip("freeze").path)
    rig.check()
    rig.check()
    [ticket] = rig.client.get("/api/v1/tickets", headers=rig.supervisor).json["tickets"]
    return ticket  # type: ignore[no-any-return]


def signed_in(rig: Rig, role: str, maintainer: str | None = None) -> tuple[FlaskClient,
                                                                          dict[str, str]]:
    account = rig.accounts.create(role)
    if maintainer:
        joined = rig.client.post(f"/api/v1/maintainers/{maintainer}/members",
                                 headers=rig.supervisor, json={"username": account["username"]})
        assert joined.status_code == 200, joined.json
    browser = rig.app.test_client()
    assert login(browser, account).status_code == 302
    return browser, account


def rows_of(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr data-camera="(\d+)"', html)]


def test_the_faults_list_links_sorts_and_measures(rig: Rig, clip_set: ClipSet) -> None:
    ticket = frozen_with_ticket(rig, clip_set)
    other = rig.client.post("/api/v1/cameras", headers=rig.supervisor, json={
        "name": "Aardvark Gate", "lon": 24.95, "lat": 60.17}).json
    browser, _ = signed_in(rig, "video_operator")
    html = browser.get("/video/faults").get_data(as_text=True)
    assert f'href="/video/cameras/{rig.camera_id}"' in html
    assert f'href="/video/tickets/{ticket["id"]}"' in html
    assert "motion between frames measured" in html  # the finding's measure, worded
    assert rows_of(html)[:2] == [rig.camera_id, other["id"]]  # degraded before unknown
    by_name = rows_of(browser.get("/video/faults?sort=camera").get_data(as_text=True))
    assert by_name.index(other["id"]) < by_name.index(rig.camera_id)  # "Aardvark" < "Main"
    backwards = rows_of(browser.get("/video/faults?sort=camera&dir=desc").get_data(
        as_text=True))
    assert backwards.index(rig.camera_id) < backwards.index(other["id"])
    uptime = re.search(rf'<tr data-camera="{rig.camera_id}".*?<td class="num">([^<]+)</td>',
                       html, re.S)
    assert uptime and uptime.group(1).endswith("%")  # online, then degraded: 100 % picture
    assert uptime.group(1).startswith("100.0")
    assert "–" in re.search(rf'<tr data-camera="{other["id"]}".*?</tr>', html, re.S).group(0)
    filtered = rows_of(browser.get("/video/faults?fault=frozen").get_data(as_text=True))
    assert filtered == [rig.camera_id]
    junk = browser.get("/video/faults?sort=<x>&page=99999999&fault=smoke")
    assert junk.status_code == 200 and rows_of(junk.get_data(as_text=True))


def test_a_cameras_page_shows_its_frame_uptime_history_and_tickets(
        rig: Rig, clip_set: ClipSet) -> None:
    ticket = frozen_with_ticket(rig, clip_set)
    rig.link.unlink()  # the next check gets no picture: the last frame stays
    rig.check()
    browser, _ = signed_in(rig, "viewer")
    page = browser.get(f"/video/cameras/{rig.camera_id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Signal lost" in html and "frames decoded measured 0.000" in html
    assert f'/video/tickets/{ticket["id"]}' in html
    assert html.count('<tr data-days="') == 3
    history = html.split('id="state-history"')[1]
    assert re.search(r"Offline.*Signal lost.*Degraded.*Frozen picture.*Online", history, re.S)
    frame = browser.get(f"/api/v1/cameras/{rig.camera_id}/health/frame")
    assert frame.status_code == 200 and frame.mimetype == "image/jpeg"
    image = cv2.imdecode(np.frombuffer(frame.data, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None and 0 < image.shape[1] <= 480
    assert frame.headers["X-Frame-Taken-At"]
    assert f"/api/v1/cameras/{rig.camera_id}/health/frame?at=" in html
    health = browser.get(f"/api/v1/cameras/{rig.camera_id}/health").json
    assert [c["to_status"] for c in health["changes"]] == ["offline", "degraded", "online"]
    assert set(health["windows"]) == {"1", "7", "30"} and health["frame_at"]
    assert browser.get("/video/cameras/999999999").status_code == 404
    fresh = rig.client.post("/api/v1/cameras", headers=rig.supervisor, json={
        "name": "Never checked", "lon": 24.95, "lat": 60.17}).json
    assert browser.get(f"/api/v1/cameras/{fresh['id']}/health/frame").status_code == 404
    assert "Not checked yet" in browser.get(f"/video/cameras/{fresh['id']}").get_data(
        as_text=True)


def post_form(browser: FlaskClient, page: str, action: str, **fields: str) -> Any:
    token = CSRF.search(browser.get(page).get_data(as_text=True))
    assert token, page
    return browser.post(action, data={"csrf_token": token.group(1), **fields})


def test_a_maintainer_takes_on_notes_and_closes_its_ticket_on_the_pages(
        rig: Rig, clip_set: ClipSet, connection: sa.Connection) -> None:
    ticket = frozen_with_ticket(rig, clip_set)
    browser, account = signed_in(rig, "maintainer", "MT-EQ")
    listed = browser.get("/video/tickets").get_data(as_text=True)
    assert f'data-ticket="{ticket["id"]}"' in listed and "Frozen picture" in listed
    page = f"/video/tickets/{ticket['id']}"
    shown = browser.get(page).get_data(as_text=True)
    assert 'id="acknowledge-form"' in shown and 'id="close-form"' in shown
    assert "motion between frames" in shown and "running" in shown
    taken = post_form(browser, page, f"{page}/acknowledge", note="on my way <b>now</b>")
    assert taken.status_code == 302 and taken.headers["Location"] == page
    after = browser.get(page).get_data(as_text=True)
    assert "taken on." in after and 'id="acknowledge-form"' not in after
    assert "on my way &lt;b&gt;now&lt;/b&gt;" in after and "<b>now</b>" not in after
    assert 'id="sla-response">met<' in after
    post_form(browser, page, f"{page}/notes", note="new lens ordered")
    refused = post_form(browser, page, f"{page}/close", note="   ")
    assert refused.status_code == 302
    still = browser.get(page).get_data(as_text=True)
    assert 'class="flash error"' in still and 'id="ticket-state">open<' in still
    assert rig.client.get(f"/api/v1/tickets/{ticket['id']}",
                          headers=rig.supervisor).json["status"] == "open"
    post_form(browser, page, f"{page}/close", note="lens replaced")
    done = rig.client.get(f"/api/v1/tickets/{ticket['id']}", headers=rig.supervisor).json
    assert (done["status"], done["close_how"], done["close_note"], done["closed_by"]) == (
        "closed", "manual", "lens replaced", account["username"])
    assert [(n["kind"], n["note"]) for n in done["notes"]] == [
        ("acknowledge", "on my way <b>now</b>"), ("note", "new lens ordered"),
        ("close", "lens replaced")]
    closed_page = browser.get(page).get_data(as_text=True)
    assert 'id="close-form"' not in closed_page and 'id="note-form"' not in closed_page
    audited = connection.execute(sa.text(
        "SELECT action, actor FROM audit_log WHERE object_type = 'ticket' AND object_id = :t "
        "ORDER BY id"), {"t": str(ticket["id"])}).all()
    assert [tuple(a) for a in audited] == [
        ("ticket.open", "system:health"), ("ticket.acknowledge", account["username"]),
        ("ticket.note", account["username"]), ("ticket.close", account["username"])]
    again = post_form(browser, page, f"{page}/notes", note="too late")
    assert again.status_code == 302
    assert "already closed" in browser.get(page).get_data(as_text=True)
    stranger, _ = signed_in(rig, "maintainer")  # works for no maintainer
    assert stranger.get(page).status_code == 404
    assert 'data-ticket="' not in stranger.get("/video/tickets").get_data(as_text=True)
    assert stranger.post(f"{page}/notes", data={
        "csrf_token": csrf_token(stranger, "/video/tickets"), "note": "x"}).status_code == 404
    viewer, _ = signed_in(rig, "viewer")
    assert viewer.get(page).status_code == 200
    assert 'id="note-form"' not in viewer.get(page).get_data(as_text=True)


POLICING_API = ("/api/v1/units", "/api/v1/alerts", "/api/v1/incident-times",
                "/api/v1/incidents/summary", "/api/v1/hotspots", "/api/v1/grids",
                "/api/v1/pois", "/api/v1/events", "/api/v1/radio-log", "/api/v1/orders",
                "/api/v1/patrol-plans", "/")
POLICING_WORDS = ("/api/v1/units", "/api/v1/alerts", "/api/v1/incident", "/api/v1/grids",
                  "/api/v1/pois", "/api/v1/events", "/api/v1/hotspots", "GridPatrolDispatch",
                  "console-dispatch.js")


def test_a_maintainers_pages_hold_cameras_health_and_tickets_only(
        rig: Rig, clip_set: ClipSet) -> None:
    ticket = frozen_with_ticket(rig, clip_set)
    browser, account = signed_in(rig, "maintainer", "MT-EQ")
    pages = ("/video/faults", "/video/map", f"/video/cameras/{rig.camera_id}",
             "/video/tickets", f"/video/tickets/{ticket['id']}", "/video/report")
    for path in pages:
        answer = browser.get(path)
        html = answer.get_data(as_text=True)
        assert answer.status_code == 200, path
        assert [w for w in POLICING_WORDS if w in html] == [], path
        assert 'href="/"' not in html.split("</nav>")[0], path
    faults_map = browser.get("/video/map").get_data(as_text=True)
    assert '"areas": "/api/v1/areas"' in faults_map and "/api/v1/cameras/health" in faults_map
    assert '"/video/live/{id}"' not in faults_map  # no live video for contractors
    for path in POLICING_API:
        assert browser.get(path).status_code == 403, path
        assert rig.client.get(path, headers=bearer(account)).status_code == 403, path
    operator, _ = signed_in(rig, "video_operator")
    theirs = operator.get("/video/map").get_data(as_text=True)
    assert '"grids": "/api/v1/grids"' in theirs and '"/video/live/{id}"' in theirs
