"""What the analyses read: incidents filtered by period, category and area, and the grid
of cells they are counted in.

Periods are compared in each incident's *local* time (the zone its source reported in):
``from=2023-06`` means June as the police force counted it, so a police.uk June record,
stored as 2023-05-31 23:00 UTC, is in June, not May.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
from sqlalchemy.orm import Session

from app.analysis import repository
from app.analysis.params import DataFilter
from app.errors import InvalidValue, RecordNotFound
from app.geography.import_grids import load_areas
from app.geography.repository.areas import area_exists
from gis.grids import build_grid


def load_incidents(session: Session, data: DataFilter) -> gpd.GeoDataFrame:
    """Incidents matching ``data`` as EPSG:4326 points with ``local_time`` (naive, the
    source's own clock), ``time_resolution`` and ``category``."""
    if data.area:
        require_area(session, data.area)
    return repository.incidents_frame(session, since=_naive(data.since),
                                      until=_naive(data.until), categories=data.category,
                                      area=data.area)


def incidents_matching(session: Session, data: DataFilter) -> int:
    """How many incidents match ``data`` (counted, not loaded: an analysis's size)."""
    if data.area:
        require_area(session, data.area)
    return repository.incidents_count(session, since=_naive(data.since),
                                      until=_naive(data.until), categories=data.category,
                                      area=data.area)


def time_counts(session: Session, data: DataFilter) -> list[Any]:
    """Incidents matching ``data`` counted per local weekday × hour and per month, in the
    database (see :func:`app.analysis.repository.incident_time_counts`)."""
    if data.area:
        require_area(session, data.area)
    return repository.incident_time_counts(session, since=_naive(data.since),
                                           until=_naive(data.until),
                                           categories=data.category, area=data.area)


def incidents_at_most(session: Session, data: DataFilter, limit: int) -> bool:
    """Whether at most ``limit`` incidents match ``data``: without counting while the
    whole table is estimated at half as many or fewer (the statistics' row estimate,
    which may lag a little behind), else counted."""
    estimate = repository.incidents_estimate(session)
    if 0 < estimate <= limit // 2:
        return True
    return incidents_matching(session, data) <= limit


def analysis_cells(session: Session, *, cell_m: float, shape: str,
                   area: str | None) -> tuple[gpd.GeoDataFrame, bool]:
    """The patrol grid of that size and shape if one is stored (so results name the cells
    supervisors plan with), else the same lattice built for this run (same codes).
    Returns the EPSG:4326 cells (``code``, ``name``, ``area_name``) and whether stored."""
    stored = repository.stored_cells(session, shape=shape, cell_m=cell_m, area=area)
    if not stored.empty:
        return stored, True
    areas = load_areas(session, area)
    cells = build_grid(areas, shape=shape, cell_size_m=cell_m)  # type: ignore[arg-type]
    cells["name"] = None
    return cells[["code", "name", "area_name", "geometry"]], False


def incident_summary(session: Session) -> dict[str, Any]:
    """What is loaded: totals per source, category and resolution, and the time span."""
    rows = repository.incident_groups(session)
    return {"groups": [{"source": r[0], "category": r[1], "time_resolution": r[2],
                        "count": r[3], "first": r[4].isoformat(), "last": r[5].isoformat(),
                        "first_local": r[6].isoformat(), "last_local": r[7].isoformat()}
                       for r in rows],
            "total": sum(r[3] for r in rows)}


def require_area(session: Session, name: str) -> None:
    """Refuse an area name that is not loaded (before any work is queued)."""
    if not area_exists(session, name):
        raise RecordNotFound(f"No area named {name!r}.", field="area")


def _naive(moment: Any) -> Any:
    return None if moment is None else moment.replace(tzinfo=None)


def require_incidents(found: gpd.GeoDataFrame | int) -> None:
    """Refuse an analysis of nothing (``found``: the incidents loaded, or their count)."""
    if (found if isinstance(found, int) else len(found)) == 0:
        raise InvalidValue("No incidents match: widen the period, category or area, or "
                            "import incidents first (gridpatrol import incidents FILE).",
                            field="from", code="no_incidents")
