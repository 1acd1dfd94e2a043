"""Coverage of the camera network: per grid cell and per area, road length seen by road
class, area seen, cameras per km of road, and the share of a period's incidents inside
some camera's view; kept current when cameras change.

How it stays current: the triggers of migration 0015 mark every grid cell that a camera's
old or new position or coverage meets (and every cell when areas change, a cell when it
is built or moved); :func:`refresh_figures` recomputes only the marked cells (one camera
moved: the few cells its wedges meet), and every answer of ``GET /api/v1/coverage`` runs
it first. A new roads version (an OSM import) marks every cell. The figures are stored
per *zone*, the part of a cell inside one area, so a cell straddling two areas counts for
each by its share (`gis.network_coverage`).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from app.db.versions import data_version
from app.evidence.repository import coverage as repository
from gis.network_coverage import zone_coverage

logger = logging.getLogger(__name__)

BATCH_CELLS = 4000
"""Cells recomputed per database round (all of a prefecture's 500 m grid in one)."""


def refresh_figures(session: Session, *, limit: int | None = None,
                    progress: Callable[[int, int], None] | None = None) -> int:
    """Recompute the marked cells (at most ``limit``); the caller commits. Returns how
    many cells were recomputed. ``progress(done, total)`` is told after each batch."""
    version = data_version(session, "roads")
    done = 0
    total = repository.pending_cells(session)
    while limit is None or done < limit:
        batch = BATCH_CELLS if limit is None else min(BATCH_CELLS, limit - done)
        cells = repository.claim_dirty(session, roads_version=version, limit=batch)
        if not cells:
            break
        _recompute(session, cells)
        done += len(cells)
        total = max(total, done)
        if progress is not None:
            progress(done, total)
    if done:
        logger.info("coverage figures of %d grid cells recomputed", done)
    return done


def _recompute(session: Session, cells: list[int]) -> None:
    zones = repository.zones_of_cells(session, cells)
    if zones.empty:
        repository.store_zones(session, cells, _empty_table(), zones, zones)
        return
    cameras = repository.cameras_in_cells(session, cells)
    roads = repository.roads_in_cells(session, cells)
    measured = zone_coverage(zones, cameras["coverage"], roads, cameras.geometry)
    repository.store_zones(session, cells, measured.table, zones, measured.seen)


def _empty_table() -> pd.DataFrame:
    return pd.DataFrame({"area_m2": [], "seen_m2": [], "cameras": [], "road_m": [],
                         "seen_road_m": []})


def figures(frame: pd.DataFrame, *, level: str) -> list[dict[str, Any]]:
    """Zones summed per grid cell (``level="grid"``) or per area, with their shares."""
    if frame.empty:
        return []
    keys = ["cell_id", "code", "cell_name"] if level == "grid" else ["area_id", "area_name"]
    rows = []
    for key, group in frame.groupby(keys, sort=True, dropna=False):
        values = {k: None if isinstance(v, float) and math.isnan(v) else v  # NULL names
                  for k, v in zip(keys, key if isinstance(key, tuple) else (key,),
                                  strict=True)}
        road = _sum_classes(group["road_m"])
        seen_road = _sum_classes(group["seen_road_m"])
        road_km = sum(road.values()) / 1000.0
        seen_km = sum(seen_road.values()) / 1000.0
        area_km2 = float(group["area_m2"].sum()) / 1e6
        seen_km2 = float(group["seen_m2"].sum()) / 1e6
        incidents = int(group["incidents"].sum())
        seen_incidents = int(group["incidents_seen"].sum())
        cameras = int(group["cameras"].sum())
        if level == "grid":
            values["areas"] = sorted(str(a) for a in group["area_name"])
        rows.append(values | {
            "road_km": round(road_km, 3), "seen_road_km": round(seen_km, 3),
            "seen_road_share": _share(seen_km, road_km),
            "by_class": {cls: {"km": round(road[cls] / 1000, 3),
                               "seen_km": round(seen_road.get(cls, 0.0) / 1000, 3),
                               "seen_share": _share(seen_road.get(cls, 0.0), road[cls])}
                         for cls in sorted(road)},
            "area_km2": round(area_km2, 4), "seen_km2": round(seen_km2, 4),
            "seen_area_share": _share(seen_km2, area_km2),
            "cameras": cameras,
            "cameras_per_road_km": round(cameras / road_km, 3) if road_km > 0 else None,
            "incidents": incidents, "incidents_seen": seen_incidents,
            "incidents_seen_share": _share(seen_incidents, incidents),
            "computed_at": group["computed_at"].min().isoformat()})
    return rows


def _sum_classes(values: pd.Series) -> dict[str, float]:
    total: dict[str, float] = {}
    for classes in values:
        for cls, metres in (classes or {}).items():
            total[cls] = total.get(cls, 0.0) + float(metres)
    return total


def _share(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole > 0 else None
