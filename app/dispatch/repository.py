"""Dispatch in PostGIS: every query of the dispatch area (call-up candidates, units and
their positions, alerts, the radio log). Plain arguments in; ORM objects, plain rows or
the call-up's records out. Nothing here commits."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import shapely
import sqlalchemy as sa
from shapely.geometry.base import BaseGeometry
from sqlalchemy.orm import Session

from app.cameras.coverage import default_range_m
from app.db.bulk import raw_cursor
from app.db.geometry import from_ewkb_many, to_ewkb
from app.errors import StateConflict
from app.models import Alert, AlertEvent, RadioLogEntry, Unit, UnitPosition, UnitStatusChange
from dispatch.callup import CameraRecord, EdgeBatch, EscapeCamera

_EARTH_M_PER_DEG = 111_320.0

# -- call-up -------------------------------------------------------------------------------

_CANDIDATES_SQL = """
WITH p AS (SELECT ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326) AS g)
SELECT c.id, c.name, c.kind, c.status, c.azimuth_deg, c.fov_deg, c.range_m, c.stream_url,
       c.gb_id, ST_X(c.geom), ST_Y(c.geom)
FROM cameras c
WHERE c.id IN (
    SELECT k.id FROM cameras k, p
    WHERE k.geom && ST_Expand(p.g, %(dx)s, %(dy)s)
      AND ST_DWithin(k.geom::geography, p.g::geography, %(radius)s)
    UNION
    SELECT k.id FROM cameras k, p WHERE ST_Covers(k.sector, p.g))
"""
_BUILDINGS_SQL = ("SELECT ST_AsBinary(geom) FROM buildings "
                  "WHERE geom && ST_MakeEnvelope(%s, %s, %s, %s, 4326)")
_ESCAPE_SQL = """
SELECT DISTINCT ON (c.id) c.id, c.name, c.kind, c.status, c.stream_url, c.gb_id,
       ST_X(c.geom), ST_Y(c.geom), r.reached_s, e.id, e.name, e.highway
FROM unnest(%(edges)s::int[], %(reached)s::float8[]) AS r(edge_id, reached_s)
JOIN camera_roads cr ON cr.edge_id = r.edge_id
JOIN road_edges e ON e.id = r.edge_id
JOIN cameras c ON c.id = cr.camera_id
WHERE NOT (c.id = ANY(%(skip)s::int[]))
ORDER BY c.id, r.reached_s, e.id
"""


def cameras_near(session: Session, lon: float, lat: float, *,
                 radius_m: float) -> list[CameraRecord]:
    """Cameras within ``radius_m`` of the point, or whose stored wedge covers it."""
    dy = radius_m / _EARTH_M_PER_DEG * 1.01
    dx = dy / max(math.cos(math.radians(lat)), 0.01)
    with raw_cursor(session) as cur:
        cur.execute(_CANDIDATES_SQL, {"lon": lon, "lat": lat, "dx": dx, "dy": dy,
                                      "radius": radius_m})
        rows = cur.fetchall()
    return [CameraRecord(id=camera_id, lon=cam_lon, lat=cam_lat, azimuth_deg=azimuth,
                         fov_deg=fov, reach_m=range_m if range_m else default_range_m(kind),
                         name=name, kind=kind, status=status, range_m=range_m,
                         stream_url=stream_url, gb_id=gb_id)
            for (camera_id, name, kind, status, azimuth, fov, range_m, stream_url, gb_id,
                 cam_lon, cam_lat) in rows]


def buildings_around(session: Session, lon: float, lat: float,
                     cameras: Sequence[CameraRecord]) -> list[BaseGeometry]:
    """Footprints in the box holding the point and these cameras' positions (none for no
    cameras)."""
    if not cameras:
        return []
    lons = [lon, *(c.lon for c in cameras)]
    lats = [lat, *(c.lat for c in cameras)]
    with raw_cursor(session) as cur:
        cur.execute(_BUILDINGS_SQL, (min(lons), min(lats), max(lons), max(lats)))
        rows = cur.fetchall()
    return list(from_ewkb_many(r[0] for r in rows))


def cameras_watching(session: Session, batch: EdgeBatch, *,
                     skip: Sequence[int]) -> list[EscapeCamera]:
    """Cameras (but those in ``skip``) watching the batch's road segments, each with the
    soonest segment it watches."""
    with raw_cursor(session) as cur:
        cur.execute(_ESCAPE_SQL, {"edges": batch.edge_ids, "reached": batch.reached_s,
                                  "skip": list(skip)})
        rows = cur.fetchall()
    return [EscapeCamera(id=camera_id, reached_s=reached_s, edge_id=edge_id, road=road,
                         highway=highway, name=name, kind=kind, status=status,
                         stream_url=stream_url, gb_id=gb_id, lon=cam_lon, lat=cam_lat)
            for (camera_id, name, kind, status, stream_url, gb_id, cam_lon, cam_lat,
                 reached_s, edge_id, road, highway) in rows]


# -- units -----------------------------------------------------------------------------------

def unit_by_id(session: Session, unit_id: int, *, lock: bool = False) -> Unit | None:
    query = sa.select(Unit).where(Unit.id == unit_id)
    if lock:
        query = query.with_for_update()
    return session.execute(query).scalar_one_or_none()


def unit_by_radio_id(session: Session, radio_id: str, *, lock: bool = False) -> Unit | None:
    """The unit holding ``radio_id``. The API never gives a radio id to two units, but
    rows written around it (a database restored, a script) may: then which unit a
    position belongs to is not guessed — 409 ``radio_id_ambiguous`` naming both."""
    query = sa.select(Unit).where(sa.literal(radio_id) == sa.any_(Unit.radio_ids)) \
        .order_by(Unit.id).limit(2)
    if lock:
        query = query.with_for_update()
    found = session.execute(query).scalars().all()
    if len(found) > 1:
        raise StateConflict(
            f"Radio id {radio_id} is held by more than one unit ({found[0].callsign}, "
            f"{found[1].callsign}): give it to one of them.", field="radio_id",
            code="radio_id_ambiguous")
    return found[0] if found else None


def unit_by_callsign(session: Session, callsign: str) -> Unit | None:
    """The unit with this callsign, compared case-insensitively."""
    return session.execute(sa.select(Unit).where(
        sa.func.upper(Unit.callsign) == callsign.upper())).scalar_one_or_none()


def callsign_taken(session: Session, callsign: str) -> bool:
    return bool(session.execute(sa.select(Unit.id).where(Unit.callsign == callsign)).scalar())


def radio_id_holder(session: Session, radio_ids: Sequence[str], *,
                    other_than: int | None) -> str | None:
    """The callsign of a unit (but ``other_than``) holding one of these radio ids."""
    return session.execute(
        sa.select(Unit.callsign).where(Unit.radio_ids.overlap(list(radio_ids)),
                                       Unit.id != (other_than or -1))).scalars().first()


def units(session: Session, *, active_only: bool) -> list[Unit]:
    """Units by callsign."""
    query = sa.select(Unit).order_by(Unit.callsign)
    if active_only:
        query = query.where(Unit.active)
    return list(session.execute(query).scalars())


def active_units(session: Session) -> list[Unit]:
    return list(session.execute(sa.select(Unit).where(Unit.active)).scalars())


def units_on_alert(session: Session, alert_id: int, *, lock: bool = False) -> list[Unit]:
    """The units on the alert, by callsign (locked, by id, with ``lock``)."""
    query = sa.select(Unit).where(Unit.alert_id == alert_id)
    query = query.order_by(Unit.id).with_for_update() if lock else query.order_by(
        Unit.callsign)
    return list(session.execute(query).scalars())


def unit_positions(session: Session, unit_ids: Sequence[int]) -> dict[int, tuple[float, float]]:
    """``{unit id: (lon, lat)}`` of the units' current positions as stored."""
    rows = session.execute(
        sa.select(Unit.id, sa.func.ST_X(Unit.geom), sa.func.ST_Y(Unit.geom))
        .where(Unit.id.in_(list(unit_ids)))).all()
    return {r[0]: (float(r[1]), float(r[2])) for r in rows}


def status_history(session: Session, unit_id: int, *, limit: int = 50) -> list[UnitStatusChange]:
    """The unit's status changes, newest first."""
    return list(session.execute(
        sa.select(UnitStatusChange).where(UnitStatusChange.unit_id == unit_id)
        .order_by(UnitStatusChange.at.desc()).limit(limit)).scalars())


def add_positions(session: Session, unit_id: int, positions: Iterable[Any], *,
                  source: str) -> None:
    """Append fixes (objects with lon, lat, at, speed_mps, course_deg) to the history."""
    session.execute(sa.insert(UnitPosition), [
        {"unit_id": unit_id, "at": p.at, "source": source, "speed_mps": p.speed_mps,
         "course_deg": p.course_deg, "geom": to_ewkb(shapely.Point(p.lon, p.lat))}
        for p in positions])


# -- alerts ----------------------------------------------------------------------------------

def alert_for_update(session: Session, alert_id: int) -> Alert | None:
    """The alert, its row locked until the transaction ends."""
    return session.execute(sa.select(Alert).where(Alert.id == alert_id).with_for_update()
                           ).scalar_one_or_none()


def alerts(session: Session, *, status: str, limit: int = 200) -> list[Alert]:
    """Alerts newest first: ``open`` (not closed), ``closed`` or ``all``."""
    query = sa.select(Alert).order_by(Alert.raised_at.desc()).limit(limit)
    if status == "open":
        query = query.where(Alert.status != "closed")
    elif status == "closed":
        query = query.where(Alert.status == "closed")
    return list(session.execute(query).scalars())


def alert_position(session: Session, alert_id: int) -> tuple[float, float]:
    """``(lon, lat)`` of the alert as stored."""
    lon, lat = session.execute(sa.select(sa.func.ST_X(Alert.geom), sa.func.ST_Y(Alert.geom))
                               .where(Alert.id == alert_id)).one()
    return lon, lat


def alert_events(session: Session, alert_id: int) -> list[AlertEvent]:
    """The alert's timeline, oldest first."""
    return list(session.execute(sa.select(AlertEvent).where(AlertEvent.alert_id == alert_id)
                                .order_by(AlertEvent.at, AlertEvent.id)).scalars())


# -- the radio log ---------------------------------------------------------------------------

def radio_entries(session: Session, entry_ids: Sequence[int]) -> list[RadioLogEntry]:
    return list(session.execute(sa.select(RadioLogEntry).where(
        RadioLogEntry.id.in_(list(entry_ids))).order_by(RadioLogEntry.id)).scalars())


def radio_log(session: Session, *, since: datetime | None, alert_id: int | None,
              limit: int) -> list[RadioLogEntry]:
    """The newest ``limit`` entries (after ``since``, of ``alert_id``), oldest first."""
    query = sa.select(RadioLogEntry)
    if since is not None:
        query = query.where(RadioLogEntry.at > since)
    if alert_id is not None:
        query = query.where(RadioLogEntry.alert_id == alert_id)
    rows = list(session.execute(query.order_by(RadioLogEntry.at.desc(),
                                               RadioLogEntry.id.desc()).limit(limit)).scalars())
    return rows[::-1]


def units_by_id(session: Session, unit_ids: Sequence[int]) -> dict[int, Unit]:
    """The units with these ids, by id (missing ids are left out)."""
    if not unit_ids:
        return {}
    return {u.id: u for u in session.execute(
        sa.select(Unit).where(Unit.id.in_(list(unit_ids)))).scalars()}
