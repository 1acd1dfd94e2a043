"""What a series shows: its incidents in time order with the time line, the hour × weekday
profile, the mean centre and standard deviational ellipse (`gis.centrography`), the
likely road corridors between consecutive incidents (fastest drivable routes on the
road graph) and the cameras watching those corridors with the hours that matter
(`gis.series.hour_ranges`).

Decisions (README, "Crime series"):
* Consecutive means consecutive in time (ties by id). A pair less than
  :data:`SAME_PLACE_M` apart has no corridor; a pair the graph cannot join (a place more
  than 500 m from a road, no route) is listed with why.
* A camera *watches* a corridor as an evidence plan's camera watches a path: the
  corridor crosses its stored coverage for at least 1 m (`gis.evidence.watch_passages`).
* The *hours that matter* of a camera are the local hours of the incidents at either
  end of the corridors it watches, an hour either side, merged; incidents known only to
  the day or month give none (then any hour may matter).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
from flask_babel import gettext
from shapely.geometry import LineString, MultiLineString, mapping
from sqlalchemy.orm import Session

from app.errors import InvalidValue
from app.evidence import repository as evidence_repository
from app.geography.graph import ServedGraph, road_graph
from app.series.params import ViewSettings
from gis.centrography import describe_points
from gis.errors import EvidenceInputError, NoRoute, TooFarFromRoad
from gis.evidence import CoverageRecord, Mode, path_from_line, watch_passages
from gis.evidence.path import segment_midpoints
from gis.hotspots import hour_weekday_counts
from gis.series import hour_ranges

SAME_PLACE_M = 10.0
"""Consecutive incidents closer than this have no corridor between them."""
ROAD_UNDER_M = 15.0
_GEOD = pyproj.Geod(ellps="WGS84")


def describe_series(session: Session, incidents: list[dict[str, Any]],
                    settings: ViewSettings) -> dict[str, Any]:
    """Everything the series page and ``GET /api/v1/series/ID`` show of ``incidents``
    (oldest first, as the repository loads them)."""
    numbered = [incident_json(n, row) for n, row in enumerate(incidents, start=1)]
    exact = [row for row in incidents if row["time_resolution"] == "minute"]
    corridors, served = _corridors(session, numbered)
    return {
        "incidents": numbered,
        "timeline": timeline(numbered),
        "hour_weekday": hour_weekday(incidents),
        "hours_that_matter": hour_ranges(row["local_time"].hour for row in exact),
        "exact_times": len(exact),
        "description": spatial_description(numbered, settings),
        "corridors": {"type": "FeatureCollection", "features": corridors},
        "cameras": corridor_cameras(session, served, numbered, corridors),
    }


def incident_json(order: int, row: dict[str, Any]) -> dict[str, Any]:
    zone = ZoneInfo(row["timezone"] or "UTC")
    return {"n": order, "id": int(row["id"]),
            "occurred_at": row["occurred_at"].astimezone(zone).isoformat(),
            "local_time": row["local_time"].isoformat(timespec="minutes"),
            "time_resolution": row["time_resolution"], "category": row["category"],
            "source": row["source"], "source_id": row["source_id"],
            "source_category": row["source_category"], "description": row["description"],
            "address": row["address"], "lon": round(float(row["lon"]), 7),
            "lat": round(float(row["lat"]), 7)}


def timeline(incidents: list[dict[str, Any]]) -> dict[str, Any]:
    """First and last time, the span and the days between consecutive incidents."""
    if not incidents:
        return {"first": None, "last": None, "span_days": 0.0, "gaps_days": []}
    times = [pd.Timestamp(i["occurred_at"]) for i in incidents]
    gaps = [round((b - a).total_seconds() / 86400.0, 2) for a, b in zip(times, times[1:],
                                                                        strict=False)]
    return {"first": incidents[0]["occurred_at"], "last": incidents[-1]["occurred_at"],
            "span_days": round((times[-1] - times[0]).total_seconds() / 86400.0, 2),
            "gaps_days": gaps,
            "median_gap_days": float(np.median(gaps)) if gaps else None}


def hour_weekday(incidents: list[dict[str, Any]]) -> dict[str, Any]:
    """The hour × weekday table (incidents known to the minute), as the analysis page's."""
    times = pd.Series(pd.to_datetime([row["local_time"] for row in incidents]),
                      dtype="datetime64[ns]")
    resolution = pd.Series([row["time_resolution"] for row in incidents], dtype=object)
    counts = hour_weekday_counts(times, resolution)
    return {"weekdays": [str(d) for d in counts.table.index],
            "hours": [int(h) for h in counts.table.columns],
            "counts": counts.table.to_numpy().tolist(), "counted": counts.counted,
            "too_coarse": counts.too_coarse}


def spatial_description(incidents: list[dict[str, Any]],
                        settings: ViewSettings) -> dict[str, Any] | None:
    """Mean centre, standard distance and the standard deviational ellipse (None for no
    incidents; no ellipse for fewer than three)."""
    if not incidents:
        return None
    points = gpd.GeoSeries(gpd.points_from_xy([i["lon"] for i in incidents],
                                              [i["lat"] for i in incidents]), crs="EPSG:4326")
    described = describe_points(points, std_devs=settings.std_devs,
                                correction=settings.correction)
    ellipse = described.ellipse
    return {
        "centre": {"lon": round(described.centre.x, 7), "lat": round(described.centre.y, 7)},
        "standard_distance_m": round(described.standard_distance_m, 1),
        "metric_crs": f"EPSG:{described.metric_crs.to_epsg()}",
        "ellipse": None if ellipse is None or described.ellipse_wgs84 is None else {
            "major_m": round(ellipse.major_m, 1), "minor_m": round(ellipse.minor_m, 1),
            "rotation_deg": round(ellipse.rotation_deg, 1),
            "sigma_x_m": round(ellipse.sigma_x, 1), "sigma_y_m": round(ellipse.sigma_y, 1),
            "theta_deg": round(ellipse.theta_deg, 2), "area_km2": round(ellipse.area_m2 / 1e6,
                                                                        4),
            "std_devs": ellipse.std_devs, "correction": ellipse.correction,
            "n": ellipse.n, "inside": described.inside,
            "geometry": mapping(described.ellipse_wgs84)},
    }


def _corridors(session: Session, incidents: list[dict[str, Any]]
               ) -> tuple[list[dict[str, Any]], ServedGraph | None]:
    """A feature per consecutive pair: the fastest drivable route, or why there is none."""
    if len(incidents) < 2:
        return [], None
    try:
        served: ServedGraph | None = road_graph(session)
    except InvalidValue:  # no roads imported: the pairs are listed without corridors
        served = None
    features = []
    for number, (a, b) in enumerate(zip(incidents, incidents[1:], strict=False), start=1):
        _, _, straight = _GEOD.inv(a["lon"], a["lat"], b["lon"], b["lat"])
        props: dict[str, Any] = {"n": number, "from_n": a["n"], "to_n": b["n"],
                                 "from_id": a["id"], "to_id": b["id"],
                                 "straight_m": round(float(straight), 1), "distance_m": None,
                                 "eta_s": None, "error": None, "against_one_way": False}
        geometry = None
        if straight < SAME_PLACE_M:
            props["error"] = "same_place"
        elif served is None:
            props["error"] = "no_roads"
        else:
            try:
                geometry = _route(served, a, b, props)
            except TooFarFromRoad:
                props["error"] = "too_far_from_road"
            except NoRoute:
                props["error"] = "no_route"
        features.append({"type": "Feature", "properties": props, "_line": geometry,
                         "geometry": mapping(geometry) if geometry is not None else None})
    return features, served


def _route(served: ServedGraph, a: dict[str, Any], b: dict[str, Any],
           props: dict[str, Any]) -> LineString:
    """The fastest drivable route from ``a`` to ``b``; when one-way streets allow none
    (a place on a one-way stretch that leads nowhere else), the route from ``b`` to ``a``
    turned round (``against_one_way``: a thief on two wheels does not mind)."""
    try:
        route = served.graph.route_between_points(a["lon"], a["lat"], b["lon"], b["lat"])
        line = route.geometry
    except NoRoute:
        route = served.graph.route_between_points(b["lon"], b["lat"], a["lon"], a["lat"])
        line = LineString(list(route.geometry.coords)[::-1])
        props["against_one_way"] = True
    props.update(distance_m=round(route.distance_m, 1), eta_s=round(route.eta_s, 1))
    return line


def corridor_cameras(session: Session, served: ServedGraph | None,
                     incidents: list[dict[str, Any]],
                     corridors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The cameras watching the corridors, most corridors first, each with the corridors,
    the road it watches, the hours that matter and the reason."""
    lines = [(f["properties"], f.pop("_line")) for f in corridors]
    routed = [(props, line) for props, line in lines
              if isinstance(line, LineString) and len(line.coords) >= 2]
    if not routed or served is None:
        return []
    cameras = evidence_repository.cameras_covering(
        session, MultiLineString([line for _, line in routed]))
    records = [CoverageRecord(c["id"], c["coverage"], all_round=c["azimuth_deg"] is None
                              or c["fov_deg"] is None or c["fov_deg"] >= 360.0)
               for c in cameras if c["coverage"] is not None]
    if not records:
        return []
    by_number = {i["n"]: i for i in incidents}
    watching: dict[int, dict[str, Any]] = {}
    for props, line in routed:
        try:
            lon, lat = segment_midpoints(line)
            roads = served.graph.edges_under(lon, lat, max_distance_m=ROAD_UNDER_M)
            path = path_from_line(line, mode=Mode.CAR, roads=roads)
        except EvidenceInputError:
            continue
        for passage in watch_passages(path, records):
            seen = watching.setdefault(passage.camera_id, {
                "corridors": [], "seen_m": 0.0, "edges": {}, "all_round": passage.all_round,
                "watch": (passage.lon, passage.lat)})
            if props["n"] not in seen["corridors"]:
                seen["corridors"].append(props["n"])
            seen["seen_m"] += passage.seen_m
            if passage.edge_id >= 0:
                seen["edges"][passage.edge_id] = seen["edges"].get(passage.edge_id, 0.0) \
                    + passage.seen_m
    by_id = {c["id"]: c for c in cameras}
    answer = []
    for camera_id, seen in watching.items():
        camera = by_id[camera_id]
        road = _road_name(served, seen["edges"])
        ends = sorted({n for c in seen["corridors"] for n in (c, c + 1)})
        exact = [by_number[n] for n in ends if by_number[n]["time_resolution"] == "minute"]
        hours = hour_ranges(int(i["local_time"][11:13]) for i in exact)
        weekdays = sorted({datetime.fromisoformat(i["local_time"]).weekday() for i in exact})
        answer.append({
            "camera_id": camera_id, "name": camera["name"], "kind": camera["kind"],
            "status": camera["status"], "gb_id": camera["gb_id"], "lon": camera["lon"],
            "lat": camera["lat"], "has_stream": camera["has_stream"],
            "corridors": sorted(seen["corridors"]), "incidents": ends,
            "seen_m": round(seen["seen_m"], 1), "road": road,
            "watch_lon": round(seen["watch"][0], 7), "watch_lat": round(seen["watch"][1], 7),
            "direction_known": not seen["all_round"],
            "hours": [list(r) for r in hours], "hours_text": hours_text(hours),
            "weekdays": [WEEKDAY_CODES[d] for d in weekdays],
            "reason": corridor_reason(seen_m=seen["seen_m"], corridors=seen["corridors"],
                                      road=road, hours=hours, all_round=seen["all_round"])})
    answer.sort(key=lambda c: (-len(c["corridors"]), -c["seen_m"], c["camera_id"]))
    for order, camera in enumerate(answer, start=1):
        camera["order"] = order
    return answer


WEEKDAY_CODES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def hours_text(ranges: Sequence[tuple[int, int]] | Sequence[list[int]]) -> str:
    """``22:00–02:00, 07:00–09:00``; empty for no ranges."""
    return ", ".join(f"{int(s):02d}:00–{int(e) or 24:02d}:00" for s, e in ranges)


def _road_name(served: ServedGraph, edges: dict[int, float]) -> str | None:
    for edge_id, _ in sorted(edges.items(), key=lambda item: -item[1]):
        if edge_id in served.edges.index:
            name = served.edges.at[edge_id, "name"]
            if isinstance(name, str) and name:
                return name
    return None


def corridor_reason(*, seen_m: float, corridors: Sequence[int], road: str | None,
                    hours: Sequence[tuple[int, int]] | Sequence[list[int]],
                    all_round: bool) -> str:
    """Why a camera matters to a series, in the current locale."""
    pairs = ", ".join(f"{c}→{c + 1}" for c in sorted(corridors))
    text: str = gettext("sees %(m).0f m of %(road)s on the way between incidents "
                        "%(pairs)s", m=seen_m, road=road or gettext("the corridor"),
                        pairs=pairs)
    if hours:
        text += gettext("; the series struck around %(hours)s", hours=hours_text(hours))
    if all_round:
        text += gettext(" (direction unknown: all-round view assumed)")
    return text
