"""A tour proposed from the crime data: for an area (or a patrol grid cell), a period and
an hour of the day, the cameras whose views best watch where incidents concentrate then.

1. **Incidents**: those of the region in the period (default: the 91 days up to its
   newest incident known to the minute — "last quarter" of what is loaded), of the
   categories asked, whose local time falls in the hours around ``hour`` (``hours``
   wide: 3 → the hour before to the hour after) and, when asked, on that weekday.
   Records known only to the day or month say nothing about hours and are left out
   (counted in the answer). The whole period's hour-of-day profile comes from the
   analysis module's hour × weekday table.
2. **Where they concentrate**: counted into the analysis grid (the stored patrol grid of
   that cell size, else the same lattice; ``cell_m`` 100 m by default, the scale of a
   camera's view), Getis-Ord Gi* with Esri's FDR correction as the analysis page runs it;
   the hot cells are those with incidents at 90 % confidence or more. When no cell is
   significant (too few incidents), the busiest cells holding half of them stand in,
   and the answer says so (``cells.method``).
3. **Cameras**: every camera with a stream whose view (coverage cut by buildings) holds
   incidents of the hot cells; offline cameras and those in maintenance are left out
   (listed with what they would have seen). A greedy maximum cover picks them
   (:mod:`dispatch.tours.cover`), each with its reason.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import shapely
from flask_babel import gettext as _
from pydantic import Field, field_validator
from sqlalchemy.orm import Session

from app.analysis.data import analysis_cells
from app.analysis.params import period_start
from app.api.docs import StrictBody
from app.errors import InvalidValue
from app.tours.repository import proposals as data
from app.tours.repository import tours as tour_rows
from app.tours.tours import chinese
from dispatch.tours import greedy_cover
from dispatch.tours.reasons import ProposalContext, camera_reason
from gis.crs import metric_crs_for
from gis.errors import GridTooLargeError
from gis.grids import build_grid
from gis.hotspots import gi_star, locate_points_in_cells, queen_weights
from gis.incidents import load_category_table

DEFAULT_PERIOD_DAYS = 91
LEFT_OUT_STATUSES = ("offline", "maintenance")
MIN_CELLS = 3
PERIOD = r"^\s*\d{4}-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?\s*$"


class ProposeBody(StrictBody):
    """What a proposal is asked for."""

    area: str = Field(min_length=1, max_length=200)
    hour: int = Field(ge=0, le=23)
    hours: int = Field(default=3, ge=1, le=12)
    weekday: int | None = Field(default=None, ge=0, le=6)
    start: str | None = Field(default=None, alias="from", pattern=PERIOD)
    end: str | None = Field(default=None, alias="to", pattern=PERIOD)
    category: list[str] | None = Field(default=None, max_length=20, json_schema_extra={
        "items": {"enum": list(load_category_table().categories)}})
    layout: Literal[1, 4, 9, 16] = 4
    max_cameras: int | None = Field(default=None, ge=1, le=64)
    dwell_s: int = Field(default=20, ge=5, le=3600)
    cell_m: float = Field(default=100.0, ge=50.0, le=1000.0)

    @field_validator("category")
    @classmethod
    def _known(cls, value: list[str] | None) -> list[str] | None:
        if not value:
            return None
        table = load_category_table()
        return sorted({table.check_code(code) for code in value})


def hour_window(hour: int, hours: int) -> list[int]:
    """The hours of day counted: ``hours`` of them around ``hour`` (3 → hour − 1 … + 1)."""
    first = hour - (hours - 1) // 2
    return [(first + step) % 24 for step in range(hours)]


def propose_tour(session: Session, body: ProposeBody) -> dict[str, Any]:
    """The proposal (see the module docstring); reads only."""
    region = tour_rows.region(session, body.area)
    if region is None:
        raise InvalidValue(f"No area or patrol grid called {body.area!r}.", field="area",
                           code="unknown_area")
    categories = body.category or []
    data.without_jit(session)
    since, until, default_period = _period(session, body, region, categories)
    profile = data.hour_profile(session, kind=region["kind"], name=body.area, since=since,
                                until=until, categories=categories)
    hours = hour_window(body.hour, body.hours)
    chosen = data.region_incidents(session, kind=region["kind"], name=body.area, since=since,
                                   until=until, categories=categories, hours=hours,
                                   weekday=body.weekday)
    if chosen.empty:
        raise InvalidValue(
            f"No incident known to the minute in {body.area!r} at those hours between "
            f"{since.date()} and {(until - timedelta(days=1)).date()}: widen the period, "
            "hours or categories, or import incidents with times.", field="hour",
            code="no_incidents")
    hot, cells_meta = _hot_cells(session, chosen, region, body)
    targets = chosen[chosen["cell"].isin(hot)]
    by_cell = {int(i): str(c) for i, c in zip(targets["id"], targets["cell"], strict=True)}
    seeing = data.cameras_seeing(session, list(by_cell))
    usable = {c["id"]: c for c in seeing if c["status"] not in LEFT_OUT_STATUSES}
    limit = body.max_cameras or max(6, 2 * body.layout)
    picks = greedy_cover({cid: c["sees"] for cid, c in usable.items()}, limit=limit)
    start_hour, end_hour = hours[0], (hours[-1] + 1) % 24
    context = ProposalContext(
        total=len(targets), categories=_category_names(categories),
        hours=f"{start_hour:02d}:00–{end_hour:02d}:00" if end_hour else
        f"{start_hour:02d}:00–24:00", weekday=body.weekday, first=since.date(),
        last=(until - timedelta(days=1)).date())
    cameras = []
    for pick in picks:
        cell, in_cell = Counter(by_cell[i] for i in pick.seen).most_common(1)[0]
        en, zh = camera_reason(context, seen=len(pick.seen), new=pick.new, rank=pick.rank,
                               cell=cell, in_cell=in_cell)
        camera = usable[pick.camera]
        cameras.append({"rank": pick.rank, "camera_id": pick.camera, "name": camera["name"],
                        "status": camera["status"], "lon": camera["lon"], "lat": camera["lat"],
                        "sees": len(pick.seen), "new": pick.new, "cell": cell,
                        "in_cell": in_cell, "reason": {"en": en, "zh": zh,
                                                       "text": zh if chinese() else en}})
    covered = set().union(*(p.seen for p in picks)) if picks else set()
    answer: dict[str, Any] = {
        "area": body.area, "area_kind": region["kind"], "hour": body.hour,
        "hours": context.hours, "weekday": body.weekday, "categories": categories,
        "period": {"from": context.first.isoformat(), "to": context.last.isoformat(),
                   "default": default_period},
        "incidents": {"in_period": profile["total"], "timed": profile["timed"],
                      "without_time_of_day": profile["too_coarse"],
                      "at_these_hours": len(chosen), "in_hot_cells": len(targets),
                      "seen": len(covered)},
        "hour_profile": _hour_profile(profile["table"], body.weekday),
        "cells": cells_meta, "cameras": cameras,
        "left_out": [{"camera_id": c["id"], "name": c["name"], "status": c["status"],
                      "sees": len(c["sees"])}
                     for c in seeing if c["status"] in LEFT_OUT_STATUSES],
    }
    if not cameras:
        answer["message"] = _("No working camera with a stream sees the places where "
                              "these incidents concentrate.")
    answer["tour"] = _draft(body, context, cameras, answer)
    return answer


def _period(session: Session, body: ProposeBody, region: dict[str, Any],
            categories: list[str]) -> tuple[datetime, datetime, bool]:
    """Naive local [since, until) and whether it is the default period."""
    if body.start or body.end:
        for field, value in (("from", body.start), ("to", body.end)):
            try:
                if value:
                    period_start(value)
            except ValueError as exc:
                raise InvalidValue(f"{field}: {exc}", field=field) from None
        until = (period_start(body.end, end=True) if body.end else
                 period_start(body.start or "") + timedelta(days=DEFAULT_PERIOD_DAYS))
        since = (period_start(body.start) if body.start else
                 until - timedelta(days=DEFAULT_PERIOD_DAYS))
        if since >= until:
            raise InvalidValue("'to' must not come before 'from'.", field="to")
        return since.replace(tzinfo=None), until.replace(tzinfo=None), False
    newest = data.newest_timed_incident(session, kind=region["kind"], name=body.area,
                                        categories=categories)
    if newest is None:
        raise InvalidValue(f"No incident known to the minute in {body.area!r}: import "
                           "incidents with times first (gridpatrol import incidents FILE).",
                           field="area", code="no_incidents")
    until = datetime(newest.year, newest.month, newest.day) + timedelta(days=1)
    return until - timedelta(days=DEFAULT_PERIOD_DAYS), until, True


def _hot_cells(session: Session, chosen: Any, region: dict[str, Any],
               body: ProposeBody) -> tuple[set[str], dict[str, Any]]:
    """Codes of the hot cells (and ``chosen['cell']`` set for every incident)."""
    try:
        if region["kind"] == "grid":  # the lattice over the grid cell alone (same codes)
            shape = data.region_shape(session, kind="grid", name=body.area)
            cells = build_grid(gpd.GeoDataFrame({"name": [region["area"] or body.area]},
                                                geometry=[shape], crs=4326),
                               shape="square", cell_size_m=body.cell_m)
            stored = False
        else:
            cells, stored = analysis_cells(session, cell_m=body.cell_m, shape="square",
                                           area=region["area"])
    except GridTooLargeError as exc:
        raise InvalidValue(f"{exc}: use larger cells (cell_m) or a smaller area or grid.",
                           field="cell_m", code="too_many_cells") from None
    metric = metric_crs_for(cells)
    cells_m = cells.to_crs(metric)
    xy = shapely.get_coordinates(chosen.to_crs(metric).geometry.values)
    where = locate_points_in_cells(xy, cells_m)
    codes = cells["code"].to_numpy()
    chosen["cell"] = [codes[w] if w >= 0 else None for w in where]
    counts = np.bincount(where[where >= 0], minlength=len(cells)).astype(np.float64)
    method = "count"
    hot_index: list[int] = []
    z = np.zeros(len(cells))
    bins = np.zeros(len(cells), dtype=np.int64)
    if len(cells) >= MIN_CELLS:
        result = gi_star(counts, queen_weights(cells_m), fdr=True)
        z, bins = result.z, result.bin
        hot_index = [int(i) for i in np.flatnonzero((bins >= 1) & (counts > 0))]
        method = "gi_star" if hot_index else "count"
    if not hot_index:  # the busiest cells holding half of the incidents
        held = 0.0
        for index in np.argsort(-counts, kind="stable"):
            if counts[index] == 0 or held >= counts.sum() / 2:
                break
            hot_index.append(int(index))
            held += counts[index]
    hot_index.sort(key=lambda i: -counts[i])
    return {str(codes[i]) for i in hot_index}, {
        "method": method, "cell_m": body.cell_m,
        "grid": "stored patrol grid" if stored else "built for this proposal",
        "hot": [{"code": str(codes[i]), "count": int(counts[i]), "z": round(float(z[i]), 3),
                 "bin": int(bins[i])} for i in hot_index[:50]]}


def _category_names(codes: list[str]) -> list[tuple[str, str]]:
    table = load_category_table()
    return [(table.categories[c].label_en, table.categories[c].label_zh) for c in codes]


def _hour_profile(table: list[list[int]], weekday: int | None) -> list[int]:
    """Incidents per hour of day over the period (on that weekday when one is asked)."""
    if weekday is not None:
        return list(table[weekday])
    return [sum(day[hour] for day in table) for hour in range(24)]


def _draft(body: ProposeBody, context: ProposalContext, cameras: list[dict[str, Any]],
           answer: dict[str, Any]) -> dict[str, Any]:
    """The tour to save (POST /api/v1/tours takes it as it is)."""
    start, end = context.hours.split("–")
    name = f"{body.area} {context.hours}"
    if body.weekday is not None:
        from patrol.windows import DAY_NAMES_EN, DAY_NAMES_ZH

        name += f" ({(DAY_NAMES_ZH if chinese() else DAY_NAMES_EN)[body.weekday]})"
    return {
        "name": name, "layout": body.layout, "area": body.area,
        "schedule": {"windows": [{"weekdays": [body.weekday] if body.weekday is not None
                                  else [0, 1, 2, 3, 4, 5, 6], "start": start, "end": end}],
                     "dates": None},
        "cameras": [{"camera_id": c["camera_id"], "dwell_s": body.dwell_s,
                     "reason": {"en": c["reason"]["en"], "zh": c["reason"]["zh"]}}
                    for c in cameras],
        "proposal": {"area": body.area, "hour": body.hour, "hours": context.hours,
                     "weekday": body.weekday, "categories": answer["categories"],
                     "period": answer["period"], "cells": answer["cells"]["method"],
                     "targets": context.total, "seen": answer["incidents"]["seen"]},
    }
