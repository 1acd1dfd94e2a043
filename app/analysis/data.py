"""What the analyses read: incidents filtered by period, category and area, and the grid
of cells they are counted in.

Periods are compared in each incident's *local* time (the zone its source reported in):
``from=2023-06`` means June as the police force counted it, so a police.uk June record,
stored as 2023-05-31 23:00 UTC, is in June, not May.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.analysis.params import DataFilter
from app.errors import InvalidValue, RecordNotFound
from app.geography.import_grids import load_areas
from gis.grids import build_grid

_LOCAL = "(i.occurred_at AT TIME ZONE coalesce(i.timezone, 'UTC'))"
_INCIDENTS_SQL = f"""
SELECT i.id, i.category, i.time_resolution, {_LOCAL} AS local_time, i.geom
FROM incidents i
WHERE (CAST(:since AS timestamp) IS NULL OR {_LOCAL} >= CAST(:since AS timestamp))
  AND (CAST(:until AS timestamp) IS NULL OR {_LOCAL} < CAST(:until AS timestamp))
  AND (CAST(:categories AS text[]) IS NULL OR i.category = ANY(CAST(:categories AS text[])))
  AND (CAST(:area AS text) IS NULL OR EXISTS (
        SELECT 1 FROM areas a WHERE a.name = :area AND ST_Covers(a.geom, i.geom)))
"""  # noqa: S608 - the only interpolation is the constant expression _LOCAL
_STORED_CELLS_SQL = """
SELECT g.code, g.name, a.name AS area_name, g.geom
FROM grid_cells g LEFT JOIN areas a ON a.id = g.area_id
WHERE g.shape = :shape AND abs(g.cell_m - :cell_m) < 0.01
  AND (CAST(:area AS text) IS NULL OR a.name = :area)
ORDER BY g.code
"""


def load_incidents(session: Session, data: DataFilter) -> gpd.GeoDataFrame:
    """Incidents matching ``data`` as EPSG:4326 points with ``local_time`` (naive, the
    source's own clock), ``time_resolution`` and ``category``."""
    if data.area:
        _require_area(session, data.area)
    params = {"since": _naive(data.since), "until": _naive(data.until),
              "categories": list(data.category) or None, "area": data.area}
    frame = gpd.read_postgis(sa.text(_INCIDENTS_SQL), session.connection(), geom_col="geom",
                             params=params)
    frame["local_time"] = pd.to_datetime(frame["local_time"])
    return frame.rename_geometry("geometry")


def analysis_cells(session: Session, *, cell_m: float, shape: str,
                   area: str | None) -> tuple[gpd.GeoDataFrame, bool]:
    """The patrol grid of that size and shape if one is stored (so results name the cells
    supervisors plan with), else the same lattice built for this run (same codes).
    Returns the EPSG:4326 cells (``code``, ``name``, ``area_name``) and whether stored."""
    stored = gpd.read_postgis(sa.text(_STORED_CELLS_SQL), session.connection(),
                              geom_col="geom",
                              params={"shape": shape, "cell_m": cell_m, "area": area})
    if not stored.empty:
        return stored.rename_geometry("geometry"), True
    areas = load_areas(session, area)
    cells = build_grid(areas, shape=shape, cell_size_m=cell_m)  # type: ignore[arg-type]
    cells["name"] = None
    return cells[["code", "name", "area_name", "geometry"]], False


def incident_summary(session: Session) -> dict[str, Any]:
    """What is loaded: totals per source, category and resolution, and the time span."""
    rows = session.execute(sa.text(
        "SELECT source, category, time_resolution, count(*), min(occurred_at), "
        "max(occurred_at) FROM incidents GROUP BY 1, 2, 3 ORDER BY 1, 2, 3")).all()
    return {"groups": [{"source": r[0], "category": r[1], "time_resolution": r[2],
                        "count": r[3], "first": r[4].isoformat(), "last": r[5].isoformat()}
                       for r in rows],
            "total": sum(r[3] for r in rows)}


def _require_area(session: Session, name: str) -> None:
    if session.execute(sa.text("SELECT 1 FROM areas WHERE name = :n"), {"n": name}).first() \
            is None:
        raise RecordNotFound(f"No area named {name!r}.", field="area")


def _naive(moment: Any) -> Any:
    return None if moment is None else moment.replace(tzinfo=None)


def require_incidents(frame: gpd.GeoDataFrame) -> None:
    if frame.empty:
        raise InvalidValue("No incidents match: widen the period, category or area, or "
                            "import incidents first (gridpatrol import incidents FILE).",
                            field="from", code="no_incidents")
