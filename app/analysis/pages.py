"""The analyst's pages: choose data, method and parameters; see the map, charts and tables;
export; save a result and promote its hot cells for patrol planning."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from pydantic import ValidationError
from werkzeug.wrappers import Response

from app.analysis.categories import category_map, remove_category_map, save_category_map
from app.analysis.data import incident_summary, require_area
from app.analysis.hotspots import HotspotAnswer, run_hotspots
from app.analysis.job_pages import job_context, job_request
from app.analysis.jobs import hotspots_are_small
from app.analysis.map import analysis_map, significance_note
from app.analysis.params import HotspotParams, from_query
from app.analysis.patterns import time_tables
from app.analysis.results import (
    Promotion,
    promote,
    result_list,
    save_job_result,
    save_result,
    saved_result,
)
from app.auth.access import ANALYSIS_READERS, ANALYSTS, PROMOTERS, allow, may
from app.console.pages import online_tiles
from app.db import get_read_session, get_session
from app.errors import Failure, InvalidValue
from app.geography.repository.areas import area_names
from app.jobs.service import submit, visible_job
from app.labels import labels_of
from gis.incidents import load_category_table

bp = Blueprint("analysis", __name__, url_prefix="/analysis")


@bp.get("")
@allow(*ANALYSIS_READERS)
def page() -> Any:
    """Choose data and method; ``run`` in the query starts the analysis as a job and
    shows it (``?job=ID``: its progress, then its result, also after a reload)."""
    args = request.args.copy()
    method = args.get("method", "gi_star")
    context: dict[str, Any] = {"args": args, "method": method, "error": None}
    if args.get("job"):
        context |= job_context(args.get("job", ""), current_user)
    elif args.pop("run", None) is not None:
        try:
            kind, params = job_request(method, args)
            session = get_session()
            if params.get("area"):
                require_area(session, params["area"])
            job = submit(session, kind, params, actor=current_user,
                         page="/analysis?job={id}")
            session.commit()
            return redirect(url_for("analysis.page", job=job.id))
        except ValidationError as exc:
            first = exc.errors()[0]
            context["error"] = (".".join(str(p) for p in first["loc"]) or "body",
                                first["msg"])
        except Failure as exc:
            context["error"] = (exc.field or "", exc.message)
    choices = _choices()
    if context.get("map") is not None:
        context["title_parts"] = _title_parts(context["args"], choices)
    return render_template("analysis/page.html", **context, **choices)


def _title_parts(args: Any, choices: dict[str, Any]) -> list[str]:
    """What a result is of, for its heading: the category, the area and the period."""
    names = {code: name for code, name, _n in choices["categories"]}
    parts = [names.get(args.get("category"), args.get("category")) if args.get("category")
             else _("all categories"), args.get("area") or _("all areas")]
    start, end = args.get("from") or "", args.get("to") or ""
    if start or end:
        parts.append(f"{start or '…'} – {end or '…'}")
    return [p for p in parts if p]


def _times(session: Any, params: HotspotParams) -> dict[str, Any] | None:
    try:
        return time_tables(session, params)
    except Failure:
        return None


def _top_cells(answer: HotspotAnswer, limit: int = 10) -> list[dict[str, Any]]:
    key = {"gi_star": "z", "lisa": "i", "kde": "density_per_km2", "emerging": "trend_z"}[
        answer.params.method]
    frame = answer.cells.drop(columns=answer.cells.geometry.name)
    frame = frame.sort_values([key, "count"], ascending=False).head(limit)
    return [dict(row) for row in frame.to_dict(orient="records")]


@bp.post("/save")
@allow(*ANALYSTS)
def save() -> Response:
    """Run the analysis in the form again and keep it with its parameters."""
    form = request.form.copy()
    name = (form.pop("name", "") or "").strip()
    form.pop("csrf_token", None)
    if not name:
        flash(_("Give the result a name."), "error")
        return redirect(url_for("analysis.page", **form.to_dict(), run=1))
    job_id = form.pop("job", "")
    session = get_session()
    try:
        if job_id.isdigit():  # the result on the page: kept as the job computed it
            row = save_job_result(session, visible_job(session, int(job_id), current_user),
                                  name=name[:200], actor=current_user)
        else:
            params = from_query(HotspotParams, form)
            if not hotspots_are_small(get_read_session(), params):
                raise InvalidValue(_("Run the analysis first, then save its result."),
                                   field="job", code="run_first")
            answer = run_hotspots(get_read_session(), params)
            row = save_result(session, answer, name=name[:200], actor=current_user)
    except (ValidationError, Failure) as exc:
        flash(str(getattr(exc, "message", exc)), "error")
        return redirect(url_for("analysis.page", **form.to_dict(), run=1))
    session.commit()
    flash(_("Saved as “%(name)s”.", name=row.name), "success")
    return redirect(url_for("analysis.result", result_id=row.id))


@bp.get("/results/<int:result_id>")
@allow(*ANALYSIS_READERS)
def result(result_id: int) -> str:
    """A saved result: its map, parameters and the promotion form."""
    row = saved_result(get_session(), result_id)
    collection = dict(row.result)
    return render_template(
        "analysis/result.html", row=row, summary=collection["properties"],
        significance=significance_note(collection["properties"]),
        map=analysis_map(None, collection, online_tiles=online_tiles())
        if row.method != "kde" else None,
        can_promote=may("analysis.promote_result"))


@bp.post("/results/<int:result_id>/promote")
@allow(*PROMOTERS)
def promote_result(result_id: int) -> Response:
    """Turn the result's hot cells into patrol hot spots or must-visit points."""
    session = get_session()
    row = saved_result(session, result_id)
    values: dict[str, Any] = {k: v for k, v in request.form.items()
                              if k not in ("csrf_token", "codes_text") and v != ""}
    codes = [c.strip() for c in request.form.get("codes_text", "").split(",") if c.strip()]
    if codes:
        values["codes"] = codes
    try:
        done = promote(session, row, Promotion.model_validate(values), actor=current_user)
    except (ValidationError, Failure) as exc:
        flash(str(getattr(exc, "message", exc)), "error")
        return redirect(url_for("analysis.result", result_id=result_id))
    session.commit()
    flash(_("%(count)d cells promoted.", count=done["written"]), "success")
    return redirect(url_for("analysis.result", result_id=result_id))


@bp.get("/categories")
@allow(*ANALYSIS_READERS)
def categories() -> str:
    """Source categories no table knows, with a form to map them, and the stored map."""
    session = get_session()
    answer = category_map(session)
    zh = _is_zh()
    codes = [(c["code"], c["zh"] if zh else c["en"]) for c in answer["categories"]]
    return render_template("analysis/categories.html", unmapped=answer["unmapped"],
                           mappings=answer["mappings"], codes=codes,
                           labels=dict(codes),
                           can_edit=current_user.role_name in ("admin", "analyst"))


@bp.post("/categories")
@allow("analyst")
def map_categories() -> Response:
    """Save the categories chosen in the form; stored incidents are re-classified."""
    chosen: dict[str, dict[str, str]] = {}
    for key, code in request.form.items():
        if not key.startswith("category-") or not code:
            continue
        row = key.removeprefix("category-")
        value = request.form.get(f"value-{row}", "")
        chosen.setdefault(request.form.get(f"source-{row}", ""), {})[value] = code
    if not chosen:
        flash(_("Choose a category for at least one value."), "error")
        return redirect(url_for("analysis.categories"))
    session = get_session()
    moved = 0
    try:
        for source, entries in chosen.items():
            answer = save_category_map(session, entries, source=source or None,
                                       actor=current_user,
                                       reason=request.form.get("reason") or None)
            moved += answer["reclassified"]["total"]
    except Failure as exc:
        session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("analysis.categories"))
    session.commit()
    flash(_("%(count)d incidents re-classified.", count=moved), "success")
    return redirect(url_for("analysis.categories"))


@bp.post("/categories/<int:entry_id>/remove")
@allow("analyst")
def unmap_category(entry_id: int) -> Response:
    """Remove one entry of the category map; its incidents go back to the built-in tables."""
    session = get_session()
    answer = remove_category_map(session, entry_id, actor=current_user)
    session.commit()
    flash(_("%(count)d incidents re-classified.", count=answer["reclassified"]["total"]),
          "success")
    return redirect(url_for("analysis.categories"))


def _choices() -> dict[str, Any]:
    session = get_session()
    areas = area_names(session)
    loaded = incident_summary(session)
    present: dict[str, int] = {}
    for group in loaded["groups"]:
        present[group["category"]] = present.get(group["category"], 0) + group["count"]
    table = load_category_table()
    zh = _is_zh()
    names = {code: (c.label_zh if zh else c.label_en) for code, c in table.categories.items()}
    categories = [(code, name, present.get(code, 0)) for code, name in names.items()]
    groups = [dict(g, category=names.get(g["category"], g["category"]),
                   first=_as_known(g["first_local"], g["time_resolution"]),
                   last=_as_known(g["last_local"], g["time_resolution"]))
              for g in loaded["groups"]]
    return {"areas": areas, "categories": categories, "methods": labels_of("method"),
            "saved": result_list(session)[:20], "incidents_total": loaded["total"],
            "loaded": groups, "period": _period(loaded["groups"])}


def _as_known(local: str, resolution: str) -> str:
    """A local time as precisely as it is known: 2024-03 for a month, 2024-03-15 else."""
    return local[:7] if resolution == "month" else local[:10]


def _period(groups: list[dict[str, Any]]) -> tuple[str, str] | None:
    """The first and last month (YYYY-MM, local time) of any incident, for the pickers."""
    if not groups:
        return None
    return (min(g["first_local"] for g in groups)[:7],
            max(g["last_local"] for g in groups)[:7])


def _is_zh() -> bool:
    from flask_babel import get_locale

    locale = get_locale()
    return locale is not None and locale.language == "zh"


def init_app(app: Flask) -> None:
    from app.analysis import import_pages  # noqa: F401 - its routes are on this blueprint

    app.register_blueprint(bp)
