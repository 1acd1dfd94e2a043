"""Every endpoint has an access rule, and every role gets exactly what the rule says."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.auth.access import ACCESS_ATTR, PUBLIC, access_rule, roles_allowed
from app.models import ROLE_NAMES
from tests.conftest import Accounts, bearer

SAMPLE_VALUES = {"username": "nobody-here", "subpath": "leaflet/dist/leaflet.css",
                 "filename_static": "css/app.css", "code": "NO-SUCH-CELL"}


def concrete_path(rule: str, endpoint: str) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if endpoint == "static" and name == "filename":
            return SAMPLE_VALUES["filename_static"]
        return SAMPLE_VALUES.get(name, "1")
    return re.sub(r"<(?:[a-z]+:)?([a-zA-Z_]+)>", fill, rule)


def endpoints(app: Flask) -> list[tuple[str, str, str]]:
    found = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, concrete_path(rule.rule, rule.endpoint)))
    return found


# Every page and the API operation doing the same thing: the same roles may use both (a
# page that refuses a role its API lets through, or the reverse, is a drift). A new page
# must be listed here with its API twin, or with None and why it has none.
PAGE_TWINS: dict[str, str | None] = {
    "console.home": "api.list_units",  # the live map: units, alerts, cameras
    "analysis.page": "api.hotspots",
    "analysis.result": "api.hotspot_result",
    "analysis.save": "api.save_hotspot_result",
    "analysis.promote_result": "api.promote_result",
    "analysis.categories": "api.get_category_map",
    "analysis.map_categories": "api.post_category_map",
    "analysis.unmap_category": "api.delete_category_map",
    "analysis.imports": "api.list_imports",
    "analysis.upload_import": "api.upload_import",
    "analysis.import_record": "api.show_import",
    "planning.page": "api.patrol_plans",
    "planning.sheet": "api.route_geojson",
    "planning.make_plan": "api.create_patrol_plan",
    "planning.publish": "api.publish",
    "planning.lock": "api.lock_route",
    "admin.audit_page": "api.list_audit_entries",
    "admin.users_page": "api.list_users",
    "admin.create_user": "api.create_user",
    "admin.set_role": "api.change_user",
    "video.live_page": "api.start_live",
    "video.faults_page": "api.cameras_health",
    "ingest_pages.map_radio": "api.create_assignment",
    # the ingest page gathers the ingest status, unknown radios and dead letters for those
    # who keep ingest running and map radios: supervisors (and admins); dispatchers read
    # the status through the API and see dead letters as console alarms
    "ingest_pages.page": None,
    "evidence.plan_page": "api.create_evidence_plan",
    "evidence.plan_sheet": "api.show_evidence_plan",
    "evidence.coverage_page": "api.network_coverage",
    "evidence.placement_page": "api.camera_placement",
    "evidence.start_placement": "api.camera_placement",
    "series.page": "api.list_series",
    "series.view": "api.show_series",
    "tours.tours_page": "api.list_tours",
    "tours.wall_page": "api.start_tour_run",
    "tours.report_page": "api.tour_report",
    "tours.run_page": "api.tour_run",
    "video.faults_map_page": "api.cameras_health",
    "video.camera_page": "api.camera_health",
    "video.tickets_page": "api.list_tickets",
    "video.ticket_page": "api.show_ticket",
    "video.acknowledge_ticket_page": "api.acknowledge_ticket",
    "video.note_ticket_page": "api.add_ticket_note",
    "video.close_ticket_page": "api.close_ticket",
    "video.report_page": "api.uptime_report",
    "video.report_csv": "api.uptime_report",
    "passages.page": "api.search_passages",
    "auth.logout": None,  # a browser session's own end; tokens are revoked by admins
}


def page_endpoints(app: Flask) -> set[str]:
    """Endpoints outside the API that a signed-in role may or may not use."""
    return {e for e, _, _ in endpoints(app)
            if not e.startswith("api.") and access_rule(app, e) != PUBLIC}


def drifted_twins(app: Flask) -> list[tuple[str, str, set[str], set[str]]]:
    drift = []
    for page, api in PAGE_TWINS.items():
        if api is None:
            continue
        on_page = roles_allowed(access_rule(app, page))
        in_api = roles_allowed(access_rule(app, api))
        if on_page != in_api:
            drift.append((page, api, set(on_page - in_api), set(in_api - on_page)))
    return drift


def test_every_page_names_its_api_twin(app: Flask) -> None:
    assert page_endpoints(app) == set(PAGE_TWINS)
    assert {api for api in PAGE_TWINS.values() if api} <= {e for e, _, _ in endpoints(app)}


def test_pages_and_their_api_let_the_same_roles_in(app: Flask) -> None:
    assert drifted_twins(app) == []


def test_dispatchers_read_analysis_on_the_page_and_through_the_api(
        app: Flask, client: FlaskClient, accounts: Accounts) -> None:
    """docs/product.md: hot spots inform everyone who sends or plans patrols; a viewer
    sees them, so a dispatcher does too (saving and promoting stay with analysts)."""
    dispatcher = bearer(accounts.create("dispatcher"))
    assert client.get("/analysis", headers=dispatcher).status_code == 200
    api = client.get("/api/v1/hotspots", headers=dispatcher)
    assert api.status_code not in (401, 403)
    assert client.post("/analysis/save", headers=dispatcher).status_code == 403
    assert client.post("/api/v1/hotspot-results", headers=dispatcher, json={}).status_code == 403


def test_the_twin_check_notices_a_page_that_drifts(app: Flask,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app.view_functions["analysis.page"], ACCESS_ATTR,
                        frozenset({"admin", "analyst"}))
    assert drifted_twins(app) == [("analysis.page", "api.hotspots", set(),
                                   {"supervisor", "dispatcher", "viewer"})]


def test_the_users_api_offers_every_role() -> None:
    from app.auth.api import Role

    assert set(Role.__args__) == set(ROLE_NAMES)


def test_every_endpoint_has_an_access_rule(app: Flask) -> None:
    missing = [e for e, _, _ in endpoints(app) if access_rule(app, e) is None]
    assert missing == []


def test_the_matrix_walker_catches_an_endpoint_without_a_rule(app: Flask) -> None:
    app.add_url_rule("/forgotten", "forgotten", lambda: "hello")
    assert access_rule(app, "forgotten") is None
    assert app.test_client().get("/forgotten").status_code == 403


@pytest.mark.parametrize("role", [None, *ROLE_NAMES])
def test_role_endpoint_matrix(app: Flask, client: FlaskClient, accounts: Accounts,
                              role: str | None) -> None:
    headers = bearer(accounts.create(role)) if role else {}
    wrong = []
    for endpoint, method, path in endpoints(app):
        rule = access_rule(app, endpoint)
        body = {} if method in ("POST", "PATCH", "PUT") else None
        with client.open(path, method=method, headers=headers, json=body) as response:
            status = response.status_code
        if status >= 500:
            wrong.append((endpoint, method, role, status, "server error"))
        if rule == PUBLIC:
            if status == 403:
                wrong.append((endpoint, method, role, status, "public endpoint refused"))
            continue  # its own answers (a failed sign-in is a 401) are not access checks
        if role is None:
            if status not in (401, 302):
                wrong.append((endpoint, method, role, status, "anonymous must be refused"))
            continue
        allowed = role in roles_allowed(rule)
        if allowed and status in (401, 403):
            wrong.append((endpoint, method, role, status, "allowed role refused"))
        if not allowed and status != 403:
            wrong.append((endpoint, method, role, status, "forbidden role let through"))
    assert wrong == []
