"""What a tour proposal reads: a region's incidents with their local times, the region's
shape, and which cameras' views hold which incidents. Nothing here writes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import geopandas as gpd
import pandas as pd
import sqlalchemy as sa
from shapely.geometry.base import BaseGeometry
from sqlalchemy.orm import Session

from app.db.geometry import from_ewkb

_LOCAL = "(i.occurred_at AT TIME ZONE coalesce(i.timezone, 'UTC'))"
_REGION = """(SELECT geom FROM areas WHERE :kind = 'area' AND name = :name
              UNION ALL
              SELECT geom FROM grid_cells WHERE :kind = 'grid' AND code = :name
              LIMIT 1)"""
_FILTER = f"""ST_Covers({_REGION}, i.geom)
  AND (CAST(:categories AS text[]) IS NULL OR i.category = ANY(CAST(:categories AS text[])))"""


def region_shape(session: Session, *, kind: str, name: str) -> BaseGeometry | None:
    """The area's or grid cell's polygon (EPSG:4326)."""
    raw = session.execute(sa.text(f"SELECT {_REGION}"),  # noqa: S608 (constants)
                          {"kind": kind, "name": name}).scalar()
    return from_ewkb(raw)


def newest_timed_incident(session: Session, *, kind: str, name: str,
                          categories: Sequence[str]) -> datetime | None:
    """Local time of the region's newest incident known to the minute."""
    value = session.execute(sa.text(f"""
        SELECT max({_LOCAL}) FROM incidents i
        WHERE i.time_resolution = 'minute' AND {_FILTER}"""),  # noqa: S608 (constants)
        {"kind": kind, "name": name, "categories": list(categories) or None}).scalar()
    return value  # type: ignore[no-any-return]


def region_incidents(session: Session, *, kind: str, name: str, since: datetime,
                     until: datetime, categories: Sequence[str]) -> gpd.GeoDataFrame:
    """Incidents in the region and period (naive local bounds, ``until`` excluded), as
    EPSG:4326 points with ``id``, ``category``, ``time_resolution`` and ``local_time``."""
    frame = gpd.read_postgis(sa.text(f"""
        SELECT i.id, i.category, i.time_resolution, {_LOCAL} AS local_time, i.geom
        FROM incidents i
        WHERE {_LOCAL} >= CAST(:since AS timestamp) AND {_LOCAL} < CAST(:until AS timestamp)
          AND {_FILTER}"""),  # noqa: S608 (constants)
        session.connection(), geom_col="geom", crs=4326,
        params={"kind": kind, "name": name, "since": since, "until": until,
                "categories": list(categories) or None})
    frame["local_time"] = pd.to_datetime(frame["local_time"])
    return frame.rename_geometry("geometry")


def cameras_seeing(session: Session, incident_ids: Sequence[int]) -> list[dict[str, Any]]:
    """Every camera with a stream whose view (its coverage cut by buildings, else its
    plain wedge) holds one of the incidents: the camera and the incidents it sees."""
    if not incident_ids:
        return []
    rows = session.execute(sa.text("""
        SELECT c.id, c.name, c.status, ST_X(c.geom) AS lon, ST_Y(c.geom) AS lat,
               array_agg(i.id ORDER BY i.id) AS sees
        FROM incidents i
        JOIN cameras c ON c.stream_url IS NOT NULL
             AND ST_Covers(coalesce(c.coverage, c.sector), i.geom)
        WHERE i.id = ANY(:ids)
        GROUP BY c.id ORDER BY c.id"""), {"ids": list(incident_ids)}).mappings()
    return [dict(r) for r in rows]
