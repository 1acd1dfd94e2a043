"""Coverage of the camera network and its blind spots, per grid cell and per area."""

from __future__ import annotations

import csv
import io
import json
from typing import Any, Literal

import shapely
from flask import Response, request
from flask_login import current_user
from shapely.geometry import mapping

from app.analysis.params import DataFilter, from_query
from app.api import bp, json_body
from app.api.docs import (
    CSV,
    FEATURE_COLLECTION,
    GEOJSON,
    Answer,
    Param,
    choice,
    documented,
    model_params,
    validate_json,
)
from app.auth.access import NETWORK_PLANNERS, NETWORK_READERS, allow
from app.db import get_session
from app.db.geometry import from_ewkb_many
from app.errors import InvalidValue, RecordNotFound
from app.evidence import coverage, placement
from app.evidence.jobs import page_link as placement_page_link
from app.evidence.repository import coverage as repository
from app.jobs.api import ACCEPTED, TOO_MANY
from app.jobs.service import accepted, prefers_async, submit

MAX_BLIND_ROADS = 5000


class CoverageQuery(DataFilter):
    level: Literal["grid", "area"] = "grid"
    format: Literal["json", "geojson", "csv"] = "json"


QUERY_TEXT = {
    "level": "grid (default: per grid cell) | area",
    "format": "json (default) | geojson (a map layer: each cell or area with its figures) | "
              "csv",
    "from": "incidents from this month or day, YYYY-MM or YYYY-MM-DD; before `to`",
    "to": "incidents up to this month or day, inclusive",
    "category": "incident category code(s), comma-separated",
    "area": "only this area's cells (or this area)",
}
NO_AREA = "No area has the name given in area"


def _csv(rows: list[dict[str, Any]], filename: str) -> Response:
    buffer = io.StringIO()
    if rows:
        fields = list(dict.fromkeys(key for row in rows for key in row))  # every class seen
        writer = csv.DictWriter(buffer, fieldnames=fields, restval=0)
        writer.writeheader()
        writer.writerows({k: _cell(v) for k, v in row.items()} for row in rows)
    return Response(buffer.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={filename}"})


def _cell(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return f"'{value}"
    return value


def _collection(features: list[dict[str, Any]], **properties: Any) -> Response:
    return Response(json.dumps({"type": "FeatureCollection", "properties": properties,
                                "features": features}), mimetype=GEOJSON)


def _check_area(session: Any, area: str | None) -> None:
    if area is not None and not repository.area_named(session, area):
        raise RecordNotFound(NO_AREA + ".", field="area")


@bp.get("/coverage")
@allow(*NETWORK_READERS)
@documented(
    "Coverage of the camera network per grid cell or per area: road length seen by road "
    "class, area seen, cameras per km of road, and the share of the period's incidents "
    "inside some camera's view (figures recomputed first for the cells cameras changed)",
    tag="evidence", params=model_params(CoverageQuery, QUERY_TEXT),
    responses={200: Answer("{level, rows: [{…, road_km, seen_road_km, seen_road_share, "
                           "by_class, area_km2, seen_km2, seen_area_share, cameras, "
                           "cameras_per_road_km, incidents, incidents_seen, "
                           "incidents_seen_share}]} (GeoJSON or CSV by format)",
                           more={GEOJSON: FEATURE_COLLECTION, **CSV}),
               404: NO_AREA})
def network_coverage() -> Any:
    query = from_query(CoverageQuery, request.args)
    session = get_session()
    _check_area(session, query.area)
    refreshed = coverage.refresh_figures(session)
    session.commit()
    frame = repository.zone_figures(session, area=query.area, since=query.since,
                                    until=query.until,
                                    categories=list(query.category) or None,
                                    geometry=query.format == "geojson")
    rows = coverage.figures(frame, level=query.level)
    if query.format == "csv":
        flat = [{k: v for k, v in row.items() if k != "by_class"}
                | {f"{cls}_{what}": figures[what] for cls, figures in row["by_class"].items()
                   for what in ("km", "seen_km")} for row in rows]
        return _csv(flat, f"coverage-{query.level}.csv")
    if query.format == "geojson":
        key = "cell_id" if query.level == "grid" else "area_id"
        shapes = {k: shapely.union_all(list(group["geom"]))
                  for k, group in frame.groupby(key)}
        return _collection([{"type": "Feature", "geometry": mapping(shapes[row[key]]),
                             "properties": row} for row in rows],
                           level=query.level, recomputed_cells=refreshed)
    return {"level": query.level, "recomputed_cells": refreshed, "rows": rows}


@bp.get("/coverage/blind-roads")
@allow(*NETWORK_READERS)
@documented("Blind spots on the road: drivable road segments no camera sees, longest first "
            "(a map layer, or CSV)", tag="evidence",
            params=(Param("area", "only in this area"),
                    Param("limit", f"at most this many (default and most {MAX_BLIND_ROADS})",
                          type="integer", schema={"minimum": 1, "maximum": MAX_BLIND_ROADS}),
                    choice("format", "geojson (default) | csv", ("geojson", "csv"))),
            responses={200: Answer("GeoJSON FeatureCollection of lines (CSV with "
                                   "format=csv): edge_id, name, highway, length_m",
                                   GEOJSON, FEATURE_COLLECTION, more=CSV),
                       404: NO_AREA})
def blind_roads() -> Any:
    session = get_session()
    area = request.args.get("area") or None
    _check_area(session, area)
    limit = request.args.get("limit", default=MAX_BLIND_ROADS, type=int)
    rows = repository.blind_edges(session, area=area, limit=limit)
    lines = from_ewkb_many(r[4] for r in rows)
    records = [{"edge_id": int(r[0]), "name": r[1], "highway": r[2],
                "length_m": round(float(r[3]), 1)} for r in rows]
    if request.args.get("format") == "csv":
        return _csv(records, "blind-roads.csv")
    return _collection([{"type": "Feature", "geometry": mapping(line), "properties": record}
                        for line, record in zip(lines, records, strict=True)],
                       total_km=round(sum(r["length_m"] for r in records) / 1000, 3))


@bp.get("/coverage/blind-hotspots")
@allow(*NETWORK_READERS)
@documented("Blind spots among the hot spots: active patrol hot-spot cells of which no "
            "camera sees more than `max_share` (default 0: none at all)", tag="evidence",
            params=(Param("max_share", "largest seen share of a cell still listed, 0-1",
                          type="number", schema={"minimum": 0, "maximum": 1}),
                    choice("format", "geojson (default) | csv", ("geojson", "csv"))),
            responses={200: Answer("GeoJSON FeatureCollection of cells (CSV with "
                                   "format=csv): code, name, incidents, z, gi_bin, "
                                   "seen_share", GEOJSON, FEATURE_COLLECTION, more=CSV)})
def blind_hotspots() -> Any:
    max_share = request.args.get("max_share", default=0.0, type=float)
    rows = [r for r in repository.blind_hotspots(get_session())
            if (r[7] or 0.0) <= max_share + 1e-12]
    shapes = from_ewkb_many(r[6] for r in rows)
    records = [{"id": r[0], "code": r[1], "name": r[2], "incidents": r[3], "z": r[4],
                "gi_bin": r[5], "seen_share": round(float(r[7] or 0.0), 4)} for r in rows]
    if request.args.get("format") == "csv":
        return _csv(records, "blind-hotspots.csv")
    return _collection([{"type": "Feature", "geometry": mapping(shape), "properties": record}
                        for shape, record in zip(shapes, records, strict=True)])



@bp.post("/camera-placement")
@allow(*NETWORK_PLANNERS)
@documented(
    "Where to add k cameras in an area: candidates at every junction (fixed cameras in 4 "
    "directions, domes), demand from road length and recency-weighted incidents, what "
    "existing cameras see counts as served; the maximal covering problem solved with "
    "HiGHS to a proven gap, beside a greedy pick. Answered within the request (200) for "
    f"k <= {placement.SYNC_LIMITS['k']}, {placement.SYNC_LIMITS['candidates']} candidates "
    f"and {placement.SYNC_LIMITS['demand_points']} demand points (counted first); larger "
    "problems, or any with `Prefer: respond-async`, become a job (202, "
    "GET /api/v1/jobs/ID; its result is this answer, CSV with format=csv). Changes "
    "nothing.", tag="evidence", body=placement.PlacementBody,
    responses={200: "{coverage_before, coverage_after, greedy_after, solver: {status, gap,"
                    " bound_after}, cameras: [{order, lon, lat, kind, azimuth_deg, fov_deg,"
                    " range_m, gain, road_m_in_view, incidents_in_view}], greedy_cameras, "
                    "region}",
               202: ACCEPTED, 404: "No area has that name", 429: TOO_MANY},
    refusals={"nothing_to_place": "no junction or no demand in the region",
              "empty_region": "the box does not meet the area",
              "invalid_bbox": "west >= east or south >= north, or out of range",
              "no_roads": "no road graph yet"})
def camera_placement() -> Any:
    body = validate_json(placement.PlacementBody, json_body())
    session = get_session()
    if not prefers_async() and placement.placement_is_small(session, body):
        try:
            return placement.propose_cameras(session, body)
        except InvalidValue as exc:  # the count was under the bound, the problem is not
            if exc.code != "too_large_for_sync":
                raise
            session.rollback()
    job = submit(session, "camera_placement", body.model_dump(mode="json"),
                 actor=current_user._get_current_object(), page=placement_page_link())
    session.commit()
    return accepted(job)
