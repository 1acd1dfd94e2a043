"""The pages of video evidence and the camera network: the evidence plan (draw the way,
get the cameras and the minutes to pull), its printable sheet, the network's coverage
with its blind spots, and where to add cameras (a background job with its progress)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Flask, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from pydantic import ValidationError
from werkzeug.wrappers import Response

from app.analysis.params import from_query
from app.auth.access import EVIDENCE_USERS, NETWORK_PLANNERS, NETWORK_READERS, allow
from app.db import get_session
from app.errors import Failure, RecordNotFound
from app.evidence import coverage, plans, repository
from app.evidence.coverage_api import MAX_BLIND_ROADS, CoverageQuery
from app.evidence.jobs import page_link
from app.evidence.labels import evidence_labels, network_labels, placement_labels
from app.evidence.placement import JOB_LIMITS, PlacementBody
from app.evidence.repository import coverage as coverage_repository
from app.geography.repository.areas import area_names
from app.geography.repository.places import home_area
from app.jobs.service import job_view, submit, visible_job
from app.maps.work import work_map

bp = Blueprint("evidence", __name__, url_prefix="/evidence")
TABLE_ROWS = 100
"""Rows of the coverage table on the page (the CSV holds every one)."""


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("TIMEZONE") or "UTC")


@bp.get("")
@allow(*EVIDENCE_USERS)
def plan_page() -> str:
    """Draw a way from a place and time; the cameras that watch it and their minutes."""
    session = get_session()
    start = _case_start(session)
    config = {
        "api": "/api/v1/evidence-plans", "sheet": url_for("evidence.plan_sheet", plan_id=0),
        "csrf": generate_csrf(), "zone": str(_zone()), "start": start,
        "labels": evidence_labels()}
    recent = repository.plans_of(session, alert_id=None, incident_id=None, limit=15)
    return render_template("evidence/plan.html", map=work_map(
        session, "GridPatrolEvidence.init", config), start=start, recent=recent,
        zone=str(_zone()), body_class="work-page")


def _case_start(session: Any) -> dict[str, Any]:
    """The place and time of the alert or incident in the query (the case the plan is
    for), as the form starts with them."""
    found: dict[str, Any] = {"alert_id": None, "incident_id": None}
    for key, lookup in (("alert_id", repository.alert_place),
                        ("incident_id", repository.incident_place)):
        value = request.args.get(key, type=int)
        if value is None or not 1 <= value < 2**31:
            continue
        place = lookup(session, value)
        if place is None:
            raise RecordNotFound(_("No such alert or incident."), field=key)
        found[key] = value
        found.setdefault("lon", round(place[0], 7))
        found.setdefault("lat", round(place[1], 7))
        found.setdefault("at", place[2].astimezone(_zone()).strftime("%Y-%m-%dT%H:%M"))
    return found


@bp.get("/plans/<int:plan_id>")
@allow(*EVIDENCE_USERS)
def plan_sheet(plan_id: int) -> str:
    """A stored plan as a sheet to print: the case, the way, each camera and its minutes."""
    session = get_session()
    plan = plans.find_plan(session, plan_id)
    shown = plans.plan_json(session, plan)
    config = {"plan": shown, "labels": evidence_labels(), "static": True}
    return render_template("evidence/sheet.html", plan=shown, row=plan,
                           map=work_map(session, "GridPatrolEvidenceMap.showPlan", config,
                                        cameras=False),
                           body_class="work-page sheet-page")


@bp.get("/coverage")
@allow(*NETWORK_READERS)
def coverage_page() -> str:
    """The network's coverage per grid cell or area, its blind spots as map layers, and
    the figures as a table with exports."""
    session = get_session()
    args = request.args.copy()
    error = None
    rows: list[dict[str, Any]] = []
    query = CoverageQuery()
    refreshed = 0
    try:
        query = from_query(CoverageQuery, args)
        if query.area and not coverage_repository.area_named(session, query.area):
            raise RecordNotFound(_("No area has that name."), field="area")
        refreshed = coverage.refresh_figures(session)
        session.commit()
        frame = coverage_repository.zone_figures(
            session, area=query.area, since=query.since, until=query.until,
            categories=list(query.category) or None, geometry=False)
        rows = coverage.figures(frame, level=query.level)
    except ValidationError as exc:
        first = exc.errors()[0]
        error = (".".join(str(p) for p in first["loc"]), first["msg"])
    except Failure as exc:
        error = (exc.field or "", exc.message)
    totals = _totals(rows)
    rows.sort(key=lambda r: (r.get("seen_road_share") is None, r.get("seen_road_share") or 0,
                             -(r.get("road_km") or 0)))
    params = {k: v for k, v in {"level": query.level, "area": query.area,
                                "from": query.start, "to": query.end,
                                "category": ",".join(query.category) or None}.items() if v}
    home = home_area(session, named=current_app.config.get("HOME_AREA"))
    roads_area = query.area or (home["name"] if home else None)
    config = {"params": params, "roadsArea": roads_area, "roadsLimit": MAX_BLIND_ROADS,
              "labels": network_labels(),
              "api": {"coverage": "/api/v1/coverage", "roads": "/api/v1/coverage/blind-roads",
                      "hotspots": "/api/v1/coverage/blind-hotspots"}}
    return render_template(
        "evidence/coverage.html", rows=rows[:TABLE_ROWS], more=max(0, len(rows) - TABLE_ROWS),
        totals=totals, query=query, params=params, error=error, refreshed=refreshed,
        roads_area=roads_area,
        areas=area_names(session), categories=_categories(),
        map=work_map(session, "GridPatrolNetwork.init", config), body_class="work-page")


def _totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    road = sum(r.get("road_km") or 0 for r in rows)
    seen = sum(r.get("seen_road_km") or 0 for r in rows)
    incidents = sum(r.get("incidents") or 0 for r in rows)
    seen_incidents = sum(r.get("incidents_seen") or 0 for r in rows)
    return {"rows": len(rows), "road_km": round(road, 2), "seen_road_km": round(seen, 2),
            "seen_road_share": round(seen / road, 4) if road else None,
            "cameras": sum(r.get("cameras") or 0 for r in rows), "incidents": incidents,
            "incidents_seen_share": round(seen_incidents / incidents, 4) if incidents else None,
            "blind_cells": sum(1 for r in rows if (r.get("road_km") or 0) > 0
                               and not r.get("seen_road_km"))}


def _categories() -> list[tuple[str, str]]:
    from flask_babel import get_locale

    from gis.incidents import load_category_table

    zh = (locale := get_locale()) is not None and locale.language == "zh"
    return [(code, c.label_zh if zh else c.label_en)
            for code, c in load_category_table().categories.items()]


@bp.get("/placement")
@allow(*NETWORK_PLANNERS)
def placement_page() -> str:
    """Area and k → where to add cameras: the job's progress, then its proposal."""
    session = get_session()
    context: dict[str, Any] = {"job": None, "result": None, "error": None}
    if request.args.get("job"):
        context |= _placement_job(session, request.args.get("job", ""))
    params = (context["job"] or {}).get("params") or {}
    config = {"result": context["result"], "labels": placement_labels()}
    return render_template("evidence/placement.html", **context, params=params,
                           areas=area_names(session), max_k=JOB_LIMITS["k"],
                           map=work_map(session, "GridPatrolPlacement.init", config),
                           body_class="work-page")


def _placement_job(session: Any, value: str) -> dict[str, Any]:
    if not value.isdigit() or int(value) >= 2**31:
        raise RecordNotFound(_("No such job."), field="job")
    job = visible_job(session, int(value), current_user)
    if job.kind != "camera_placement":
        raise RecordNotFound(_("No such job."), field="job")
    view = job_view(job)
    return {"job": view, "job_title": _("Where to add cameras"),
            "result": job.result if job.state == "done" else None,
            "export": {"json": view["result"], "csv": f"{view['result']}?format=csv"}
            if job.state == "done" and view["result"] else None}


@bp.post("/placement")
@allow(*NETWORK_PLANNERS)
def start_placement() -> Response | str:
    """Queue the placement in the form as a job and show its progress."""
    form = {k: v for k, v in request.form.items() if k != "csrf_token" and v.strip() != ""}
    session = get_session()
    try:
        body = PlacementBody.model_validate(form)
        job = submit(session, "camera_placement", body.model_dump(mode="json"),
                     actor=current_user, page=page_link())
        session.commit()
    except ValidationError as exc:
        first = exc.errors()[0]
        return _placement_error(session, (".".join(str(p) for p in first["loc"]),
                                          first["msg"]), form)
    except Failure as exc:
        session.rollback()
        return _placement_error(session, (exc.field or "", exc.message), form)
    return redirect(url_for("evidence.placement_page", job=job.id))


def _placement_error(session: Any, error: tuple[str, str], form: dict[str, Any]) -> str:
    config = {"result": None, "labels": placement_labels()}
    return render_template("evidence/placement.html", job=None, result=None, error=error,
                           params=form, areas=area_names(session), max_k=JOB_LIMITS["k"],
                           map=work_map(session, "GridPatrolPlacement.init", config),
                           body_class="work-page")


def local_time(value: str | None) -> str:
    """An ISO time as the page shows it, on the jurisdiction's clock (a time with an offset
    is converted to ``GRIDPATROL_TIMEZONE``): date and time to the second."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is not None:
        moment = moment.astimezone(_zone())
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.jinja_env.filters.setdefault("local_time", local_time)
