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


def timed_incidents_in_region(session: Session, *, kind: str, name: str, limit: int) -> int:
    """How many incidents known to the minute the region holds, counted up to ``limit``
    (enough to tell a small region from a large one without counting a large one)."""
    return int(session.execute(sa.text(f"""
        SELECT count(*) FROM (SELECT 1 FROM incidents i
                              WHERE i.time_resolution = 'minute' AND {_FILTER}
                              LIMIT :limit) AS found"""),  # noqa: S608 (constants)
        {"kind": kind, "name": name, "categories": None, "limit": limit}).scalar_one())


def without_jit(session: Session) -> None:
    """No JIT compilation for the rest of this transaction: the proposal's statements are
    index probes that PostgreSQL's cost model overrates, and compiling them costs more
    than it saves (benchmarks/tour_propose.py: who-sees-what 1.1 s with JIT, 0.5 s
    without)."""
    session.execute(sa.text("SET LOCAL jit = off"))


def hour_profile(session: Session, *, kind: str, name: str, since: datetime, until: datetime,
                 categories: Sequence[str]) -> dict[str, Any]:
    """The region's incidents in the period per weekday (0 = Monday) and hour of day,
    counting those known to the minute (as the analysis's hour × weekday table does), and
    how many there are in all and how many are known only to the day or month."""
    rows = session.execute(sa.text(f"""
        SELECT i.time_resolution = 'minute' AS timed,
               CAST(extract(isodow FROM {_LOCAL}) AS int) - 1 AS weekday,
               CAST(extract(hour FROM {_LOCAL}) AS int) AS hour, count(*) AS n
        FROM incidents i
        WHERE {_LOCAL} >= CAST(:since AS timestamp) AND {_LOCAL} < CAST(:until AS timestamp)
          AND {_FILTER}
        GROUP BY 1, 2, 3"""),  # noqa: S608 (constants)
        {"kind": kind, "name": name, "since": since, "until": until,
         "categories": list(categories) or None}).mappings()
    table = [[0] * 24 for _ in range(7)]
    coarse = 0
    for row in rows:
        if row["timed"]:
            table[row["weekday"]][row["hour"]] += int(row["n"])
        else:
            coarse += int(row["n"])
    timed = sum(map(sum, table))
    return {"table": table, "timed": timed, "too_coarse": coarse, "total": timed + coarse}


def region_incidents(session: Session, *, kind: str, name: str, since: datetime,
                     until: datetime, categories: Sequence[str], hours: Sequence[int],
                     weekday: int | None) -> gpd.GeoDataFrame:
    """Incidents in the region and period (naive local bounds, ``until`` excluded) known
    to the minute, at those hours of day (and on that weekday, 0 = Monday), as EPSG:4326
    points with ``id`` and ``local_time``."""
    frame = gpd.read_postgis(sa.text(f"""
        SELECT i.id, {_LOCAL} AS local_time, i.geom
        FROM incidents i
        WHERE {_LOCAL} >= CAST(:since AS timestamp) AND {_LOCAL} < CAST(:until AS timestamp)
          AND i.time_resolution = 'minute'
          AND CAST(extract(hour FROM {_LOCAL}) AS int) = ANY(CAST(:hours AS int[]))
          AND (CAST(:weekday AS int) IS NULL
               OR CAST(extract(isodow FROM {_LOCAL}) AS int) - 1 = CAST(:weekday AS int))
          AND {_FILTER}"""),  # noqa: S608 (constants)
        session.connection(), geom_col="geom", crs=4326,
        params={"kind": kind, "name": name, "since": since, "until": until,
                "categories": list(categories) or None, "hours": list(hours),
                "weekday": weekday})
    frame["local_time"] = pd.to_datetime(frame["local_time"])
    return frame.rename_geometry("geometry")


def cameras_seeing(session: Session, incident_ids: Sequence[int]) -> list[dict[str, Any]]:
    """Every camera with a stream whose view (its coverage cut by buildings, else its
    plain wedge) holds one of the incidents: the camera and the incidents it sees. Each
    incident probes the coverage's spatial index; the few cameras without a coverage
    (never computed) are taken apart and tested by their wedge."""
    if not incident_ids:
        return []
    rows = session.execute(sa.text("""
        WITH t AS MATERIALIZED (SELECT id, geom FROM incidents WHERE id = ANY(:ids)),
        bare AS MATERIALIZED (SELECT id, sector FROM cameras
                              WHERE coverage IS NULL AND sector IS NOT NULL
                                AND stream_url IS NOT NULL),
        seen AS (
            SELECT c.id AS camera, t.id AS incident FROM t
            JOIN cameras c ON ST_Covers(c.coverage, t.geom)
            WHERE c.stream_url IS NOT NULL
            UNION ALL
            SELECT b.id, t.id FROM bare b JOIN t ON ST_Covers(b.sector, t.geom))
        SELECT c.id, c.name, c.status, ST_X(c.geom) AS lon, ST_Y(c.geom) AS lat,
               array_agg(s.incident ORDER BY s.incident) AS sees
        FROM seen s JOIN cameras c ON c.id = s.camera
        GROUP BY c.id ORDER BY c.id"""), {"ids": list(incident_ids)}).mappings()
    return [dict(r) for r in rows]
