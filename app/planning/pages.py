"""The supervisor's planning page: plan a day's shifts, see the routes on the map, open a
route sheet, lock a route, re-plan, publish."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from werkzeug.wrappers import Response

from app.auth.access import PLANNERS, PLANNING_READERS, allow, may
from app.console.pages import online_tiles
from app.db import get_read_session, get_session
from app.errors import Failure
from app.jobs.service import job_view, submit, visible_job
from app.labels import label, labels_of
from app.maps.work import home_bounds
from app.models import PatrolPlan, PlanRoute
from app.planning.actual import plan_compliance
from app.planning.adjust import set_locked
from app.planning.jobs import page_link, plan_params
from app.planning.map import plan_map, route_extent
from app.planning.plans import configured_shifts, known_shift, routes_geojson
from app.planning.publish import publish_plan
from app.planning.repository import plans_on, rostered_extent
from app.planning.roster import roster_for

bp = Blueprint("planning", __name__, url_prefix="/planning")


@bp.get("")
@allow(*PLANNING_READERS)
def page() -> str:
    """A day's plans on the map (default: tomorrow)."""
    day = _day(request.args.get("date"))
    session = get_session()
    plans = plans_on(session, day)
    shown = request.args.get("shift") or (plans[0].shift if plans else None)
    chosen = [p for p in plans if p.shift == shown]
    routes = routes_geojson(session, chosen)
    actual = (plan_compliance(get_read_session(), chosen[0], now=datetime.now(UTC))
              if chosen else None)
    can_plan = may("planning.make_plan")
    job = _shown_job(session)
    roster = roster_for(session, day)
    return render_template(
        "planning/page.html", day=day, shifts=configured_shifts(), plans=plans,
        shown=shown, plan=chosen[0] if chosen else None, routes=routes["features"],
        roster=roster, roster_groups=roster_by_shift(roster), actual=actual,
        shift_times={s.code: f"{s.start.strftime('%H:%M')}–{s.end.strftime('%H:%M')}"
                     for s in configured_shifts()},
        day_before=(day - timedelta(days=1)).isoformat(),
        day_after=(day + timedelta(days=1)).isoformat(),
        map=plan_map(routes, bounds=opening_bounds(session, day, routes),
                     online_tiles=online_tiles(),
                     can_edit=can_plan, csrf_token=generate_csrf(), labels=_labels()),
        can_plan=can_plan, job=job, job_title=_("Planning %(day)s", day=day.isoformat()))


def opening_bounds(session: Any, day: date, routes: dict[str, Any]
                   ) -> tuple[float, float, float, float] | None:
    """Where the map opens: the day's rostered cells with the shown routes, else the home
    area, else every area."""
    found = [b for b in (rostered_extent(session, day), route_extent(routes)) if b]
    if not found:
        return home_bounds(session)
    return (min(b[0] for b in found), min(b[1] for b in found),
            max(b[2] for b in found), max(b[3] for b in found))


def _shown_job(session: Any) -> dict[str, Any] | None:
    """The plan job named in the URL (?job=ID), when the user may see it."""
    raw = request.args.get("job", "")
    if not raw.isdigit() or len(raw) > 9:
        return None
    try:
        job = visible_job(session, int(raw), current_user)
    except Failure:
        return None
    if job.kind == "plan" and job.state == "done":  # what it made, in the result panel
        for p in (job.result or {}).get("plans", []):
            summary = p["summary"]
            flash(_("%(shift)s: %(routes)d routes, %(served)d of %(stops)d stops served.",
                    shift=label("shift", p["shift"]), routes=summary["routes"],
                    served=summary["served"], stops=summary["stops"]), "success")
    return job_view(job)


@bp.post("")
@allow(*PLANNERS)
def make_plan() -> Response:
    """Plan one shift (or all) of a day from the form: as a job (the page follows its
    progress; ?job=ID keeps it across reloads)."""
    day = _day(request.form.get("date"))
    code = request.form.get("shift") or ""
    reason = (request.form.get("reason") or "").strip()[:500] or None
    session = get_session()
    try:
        if code:
            known_shift(code)
        job = submit(session, "plan", plan_params(day=day, shift=code or None, engine=None,
                                                  seed=None, reason=reason),
                     actor=current_user, reason=reason,
                     page=page_link(day.isoformat(), code or None))
    except Failure as exc:
        session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("planning.page", date=day.isoformat()))
    session.commit()
    return redirect(url_for("planning.page", date=day.isoformat(), job=job.id,
                            **({"shift": code} if code else {})))


@bp.post("/<int:plan_id>/publish")
@allow(*PLANNERS)
def publish(plan_id: int) -> Response:
    session = get_session()
    plan = session.get(PatrolPlan, plan_id) or abort(404)
    answer = publish_plan(session, plan, actor=current_user)
    flash(_("Published: %(count)d messages to units.", count=len(answer["messages"])),
          "success")
    return redirect(url_for("planning.page", date=plan.day.isoformat(), shift=plan.shift))


@bp.post("/routes/<int:route_id>/lock")
@allow(*PLANNERS)
def lock(route_id: int) -> Response:
    session = get_session()
    route = session.get(PlanRoute, route_id) or abort(404)
    set_locked(session, route_id, not route.locked, actor=current_user)
    plan = session.get(PatrolPlan, route.plan_id)
    session.commit()
    assert plan is not None
    return redirect(url_for("planning.page", date=plan.day.isoformat(), shift=plan.shift))


@bp.get("/routes/<int:route_id>/sheet")
@allow(*PLANNING_READERS)
def sheet(route_id: int) -> str:
    """A printable route sheet: the stops with their times and a small map."""
    session = get_session()
    route = session.get(PlanRoute, route_id) or abort(404)
    plan = session.get(PatrolPlan, route.plan_id)
    assert plan is not None
    feature = next(f for f in routes_geojson(session, [plan])["features"]
                   if f["id"] == route_id)
    return render_template("planning/sheet.html", feature=feature, props=feature["properties"],
                           svg=route_svg(feature))


def route_svg(feature: dict[str, Any], *, width: int = 520, height: int = 360) -> dict[str, Any]:
    """The route and its numbered stops, fitted into a small equirectangular drawing."""
    lines = (feature.get("geometry") or {}).get("coordinates", [])
    stops = [s for s in feature["properties"]["stops"] if "lon" in s]
    xs = [x for line in lines for x, _ in line] + [s["lon"] for s in stops]
    ys = [y for line in lines for _, y in line] + [s["lat"] for s in stops]
    if not xs:
        return {"paths": [], "stops": [], "width": width, "height": height}
    import math

    west, east, south, north = min(xs), max(xs), min(ys), max(ys)
    squash = math.cos(math.radians((south + north) / 2))
    span = max((east - west) * squash, north - south, 1e-6)
    scale = (min(width, height) - 30) / span

    def xy(lon: float, lat: float) -> tuple[float, float]:
        return (15 + (lon - west) * squash * scale, height - 15 - (lat - south) * scale)

    paths = [" ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}"
                      for i, (x, y) in enumerate(xy(lon, lat) for lon, lat in line))
             for line in lines]
    marks = []
    for number, stop in enumerate((s for s in stops if s["kind"] != "station"), start=1):
        x, y = xy(stop["lon"], stop["lat"])
        marks.append({"x": round(x, 1), "y": round(y, 1), "n": number, "kind": stop["kind"]})
    station = next((s for s in stops if s["kind"] == "station"), None)
    home = xy(station["lon"], station["lat"]) if station else None
    return {"paths": paths, "stops": marks, "home": home, "width": width, "height": height}


def roster_by_shift(roster: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """The day's roster entries grouped by shift, the shifts in the configured order
    (codes no longer configured last), the entries in the order given."""
    order = {s.code: i for i, s in enumerate(configured_shifts())}
    groups: dict[str, list[dict[str, Any]]] = {}
    for entry in roster:
        groups.setdefault(entry["shift"], []).append(entry)
    return sorted(groups.items(), key=lambda item: (order.get(item[0], len(order)), item[0]))


def _labels() -> dict[str, Any]:
    return {"points": _("Must-visit points"), "addPoint": _("Add must-visit point"),
            "pickPoint": _("Click the place on the map (Esc cancels)."),
            "name": _("Name"), "windows": _("Windows (e.g. mon-fri 07:30-08:15)"),
            "dwell": _("Dwell (min)"), "priority": _("Priority (1 highest)"),
            "covert": _("Covert (plainclothes only)"), "save": _("Save"),
            "cancel": _("Cancel"), "saved": _("Saved."), "minutes": _("min"),
            "daily": _("daily"), "shifts": labels_of("shift")}


def _day(value: str | None) -> date:
    if not value:
        return date.today() + timedelta(days=1)
    try:
        return date.fromisoformat(value)
    except ValueError:
        abort(400)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.jinja_env.filters.setdefault("tojson_pretty", lambda v: json.dumps(v, indent=1))
