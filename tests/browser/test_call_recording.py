"""A recorded radio call on the console, in chromium: the shared trunk-recorder call
record (re-dated to now, a short WAV made here as its recording) applied as ingest
applies a call file; the dispatched unit's alert shows it on its timeline with a player,
the radio log too, and the player fetches the recording by ranges and plays it, each
request audited."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from app.auth import users
from app.db import get_session
from app.ingest.apply import Applier
from app.ingest.repository.journal import Entry
from app.ingest.settings import status_codes
from app.models import AuditEntry, User
from dispatch.call_files import CALL_FILE_TOPIC, KeptAudio, archive_path, encode_call_file
from dispatch.inbound import message_identity
from dispatch.radio import parse_trunk_recorder_call
from tests.app.ingest.test_call_folder import redated_call, write_wav
from tests.browser.support import wait_for
from tests.browser.test_map_console import open_console

PLACE = (-0.0935, 51.5155)  # lon, lat: Cheapside (London extract)


@pytest.fixture
def recorded_call(live_server: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    """A unit holding the call's first radio, dispatched to a red alert; the call applied."""
    app = live_server["app"]
    app.config["CALL_ARCHIVE"] = str(tmp_path)
    with app.app_context():
        session = get_session()
        admin = session.execute(sa.select(User).where(User.username == "demo-admin")
                                ).scalar_one()
        token = users.issue_token(session, admin, label="browser test")
        session.commit()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    unit = client.post("/api/v1/units", headers=headers, json={
        "callsign": "CALL-1", "kind": "patrol_car", "status": "available",
        "radio_ids": ["3124119"]})
    assert unit.status_code == 201, unit.json
    alert = client.post("/api/v1/alerts", headers=headers, json={
        "lon": PLACE[0], "lat": PLACE[1], "level": "red", "kind": "robbery"})
    assert alert.status_code == 201, alert.json
    alert_id = alert.json["id"]
    sent = client.post(f"/api/v1/alerts/{alert_id}/dispatch", headers=headers,
                       json={"unit_ids": [unit.json["id"]]})
    assert sent.status_code in (200, 201), sent.json
    record = redated_call(time.time())
    call = parse_trunk_recorder_call(record)
    where = archive_path(call, ".wav")
    (tmp_path / "audio" / where).parent.mkdir(parents=True)
    sound = write_wav(tmp_path / "audio" / where, seconds=1.5)
    payload = encode_call_file("call.json", json.dumps(record), size=1, audio=KeptAudio(
        where.as_posix(), "audio/wav", len(sound)))
    with app.app_context():
        session = get_session()
        result = Applier(status_codes(app), trunk_prefixes=("trunk-recorder",)).apply(
            session, [Entry(1, message_identity(CALL_FILE_TOPIC, payload), CALL_FILE_TOPIC,
                            payload, time.time())])
        session.commit()
    assert result.applied == 1
    yield {"alert_id": alert_id, "sound": sound}
    app.config["CALL_ARCHIVE"] = None
    client.post(f"/api/v1/alerts/{alert_id}/close", headers=headers, json={})


def test_a_recorded_call_plays_from_the_alert_timeline(
        page: Page, live_server: dict[str, Any], recorded_call: dict[str, Any],
        artifacts: Path) -> None:
    fetched: list[tuple[int, str | None, str | None]] = []
    page.on("response", lambda r: fetched.append(
        (r.status, r.request.headers.get("range"), r.headers.get("content-type")))
        if r.url.endswith("/audio") else None)
    open_console(page, live_server, "demo-dispatcher")
    wait_for(page, "gridpatrol.dispatchReady === true")
    alert_id = recorded_call["alert_id"]
    page.locator(f"#gp-alerts-list li[data-alert-id='{alert_id}']").click()
    player = page.locator("#gp-timeline audio.gp-recording")
    expect(player).to_have_count(1)
    expect(page.locator("#gp-timeline")).to_contain_text("radio call")
    expect(page.locator("#gp-timeline")).to_contain_text("TG 3105")
    expect(page.locator("#gp-radio-list audio.gp-recording")).to_have_count(1)
    page.evaluate("(() => { const a = document.querySelector("
                  "'#gp-timeline audio.gp-recording'); a.muted = true; a.play(); })()")
    wait_for(page, "document.querySelector('#gp-timeline audio.gp-recording')"
                   ".currentTime > 0.3")
    duration = page.evaluate("document.querySelector('#gp-timeline audio.gp-recording')"
                             ".duration")
    assert abs(duration - 1.5) < 0.05
    page.locator("#gp-timeline").screenshot(path=str(artifacts / "call-recording.png"))
    assert fetched and all(s in (200, 206) and t == "audio/wav" for s, _, t in fetched)
    assert any(r is not None and r.startswith("bytes=") for _, r, _ in fetched)
    with live_server["app"].app_context():
        heard = get_session().execute(sa.select(AuditEntry).where(
            AuditEntry.action == "radio.recording")).scalars().all()
    assert len(heard) >= len(fetched) and {h.actor for h in heard} >= {"demo-dispatcher"}
