"""Live events in chromium, through the front: the console's stream survives being
refused (too many consoles, the app restarting) and a change made elsewhere reaches it."""

from __future__ import annotations

import json
from typing import Any

from playwright.sync_api import Page, Route

from tests.browser.support import wait_for
from tests.browser.test_map_console import open_console


def test_a_refused_stream_is_tried_again_and_the_state_reloaded(
        page: Page, live_server: dict[str, Any]) -> None:
    refused: list[str] = []
    reloads: list[str] = []

    def refuse_twice(route: Route) -> None:
        if len(refused) < 2:  # as the events service answers a user over the cap
            refused.append(route.request.url)
            route.fulfill(status=429, content_type="application/json", headers={
                "Retry-After": "30"}, body=json.dumps({"error": "too_many_streams",
                                                       "message": "test"}))
        else:
            route.continue_()

    page.route("**/api/v1/events", refuse_twice)
    page.on("request", lambda r: reloads.append(r.url) if "/api/v1/units" in r.url else None)
    open_console(page, live_server, "demo-viewer")
    wait_for(page, "gridpatrol.live === true", timeout_s=30)
    assert len(refused) == 2
    assert len(reloads) >= 3  # the first load, then one reload after each refusal


def test_a_position_posted_elsewhere_moves_the_unit(page: Page,
                                                    live_server: dict[str, Any]) -> None:
    open_console(page, live_server, "demo-dispatcher")
    wait_for(page, "gridpatrol.dispatchReady === true && gridpatrol.live === true")
    app = live_server["app"]
    client = app.test_client()
    with app.app_context():
        from app.auth import users
        from app.db import get_session

        session = get_session()
        supervisor = users.find_user(session, "demo-supervisor")
        assert supervisor is not None
        token = users.issue_token(session, supervisor, label="live test")
        session.commit()
    auth = {"Authorization": f"Bearer {token}"}
    unit = client.post("/api/v1/units", headers=auth, json={"callsign": "LIVE-1",
                                                             "kind": "foot"}).json
    assert unit is not None and "id" in unit, unit
    answer = client.post(f"/api/v1/units/{unit['id']}/position", headers=auth,
                         json={"lon": -0.0975, "lat": 51.5138})
    assert answer.status_code == 200
    wait_for(page, f"gridpatrol.dispatch.units[{unit['id']}] && "
                           f"gridpatrol.dispatch.units[{unit['id']}].data.lon === -0.0975",
                           timeout_s=15)
