"""The one place planning talks to PostGIS, a section per concept: must-visit points,
stations, the roster, the routing problem's inputs, plans and routes, what the units
actually did, overdue notices and the demo data.

Services call these with plain arguments and get plain rows, ORM objects or GeoDataFrames
back. Geometries cross through :mod:`app.db.geometry` or ``geopandas.read_postgis``; GeoJSON
and coordinates are written by PostGIS (``ST_AsGeoJSON``, ``ST_X``/``ST_Y``).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime
from typing import Any

import geopandas as gpd
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import (
    MustVisitPoint,
    PatrolHotspot,
    PatrolPlan,
    PlanRoute,
    RosterEntry,
    Station,
    Unit,
)

# -- must-visit points ---------------------------------------------------------------------


def grid_cell_at(session: Session, lon: float, lat: float) -> int | None:
    """The coarsest grid cell covering the place (lowest id among equals), if any."""
    found = session.execute(sa.text(
        "SELECT g.id FROM grid_cells g "
        "WHERE ST_Covers(g.geom, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)) "
        "ORDER BY g.cell_m DESC, g.id LIMIT 1"), {"lon": lon, "lat": lat}).scalar()
    return int(found) if found is not None else None


def point_rows(session: Session, *, active_only: bool = True) -> list[sa.Row[Any]]:
    """Every point (or the active ones that have not expired) by id: ``id, name, windows,
    dwell_min, visits_per_shift, priority, covert, source, source_ref, active, grid, lon,
    lat, unit_kinds, skills, expires_at, expired``."""
    return list(session.execute(sa.text(
        "SELECT p.id, p.name, p.windows, p.dwell_min, p.visits_per_shift, p.priority, "
        "p.covert, p.source, p.source_ref, p.active, g.code AS grid, ST_X(p.geom) AS lon, "
        "ST_Y(p.geom) AS lat, p.unit_kinds, p.skills, p.expires_at, "
        "coalesce(p.expires_at <= now(), false) AS expired "
        "FROM must_visit_points p LEFT JOIN grid_cells g ON g.id = p.grid_cell_id "
        "WHERE NOT CAST(:active AS boolean) OR (p.active AND (p.expires_at IS NULL "
        "OR p.expires_at > now())) ORDER BY p.id"),
        {"active": active_only}).all())


def unproposed_pois(session: Session, kinds: list[str], *,
                    area: str | None = None) -> list[sa.Row[Any]]:
    """POIs of the kinds (inside the named area, if any) not yet proposed as a point
    (source ``poi``, ref the POI id), by id: ``id, kind, name, lon, lat``."""
    return list(session.execute(sa.text(
        "SELECT p.id, p.kind, coalesce(p.name, p.name_en, p.name_zh) AS name, "
        "ST_X(p.geom) AS lon, ST_Y(p.geom) AS lat FROM pois p "
        "WHERE p.kind = ANY(:kinds) AND (CAST(:area AS text) IS NULL "
        "OR EXISTS (SELECT 1 FROM areas a WHERE a.name = :area AND ST_Covers(a.geom, p.geom))) "
        "AND NOT EXISTS (SELECT 1 FROM must_visit_points m WHERE m.source = 'poi' "
        "AND m.source_ref = CAST(p.id AS text)) ORDER BY p.id"),
        {"kinds": kinds, "area": area}).all())


# -- stations --------------------------------------------------------------------------------


def station_named(session: Session, name: str) -> Station | None:
    return session.execute(sa.select(Station).where(Station.name == name)).scalar_one_or_none()


def station_ids(session: Session) -> dict[str, int]:
    """Every station's id by name."""
    return dict(session.execute(sa.select(Station.name, Station.id)).all())


def station_rows(session: Session) -> list[sa.Row[Any]]:
    """Every station by name with the callsigns based there: ``id, name, lon, lat, units``."""
    return list(session.execute(sa.text(
        "SELECT s.id, s.name, ST_X(s.geom) AS lon, ST_Y(s.geom) AS lat, "
        "array_remove(array_agg(u.callsign ORDER BY u.callsign), NULL) AS units "
        "FROM stations s LEFT JOIN units u ON u.station_id = s.id GROUP BY s.id "
        "ORDER BY s.name")).all())


def unit_ids(session: Session, callsigns: Collection[str] | None = None) -> dict[str, int]:
    """Unit ids by callsign: of the callsigns given (those that exist), else of every unit."""
    query = sa.select(Unit.callsign, Unit.id)
    if callsigns is not None:
        query = query.where(Unit.callsign.in_(callsigns))
    return dict(session.execute(query).all())


def base_units_at(session: Session, station_id: int, units: Collection[int]) -> None:
    """Make the station home to the units (by id)."""
    session.execute(sa.update(Unit).where(Unit.id.in_(units)).values(station_id=station_id))


# -- the roster ------------------------------------------------------------------------------


def grid_codes(session: Session) -> list[str]:
    """Every grid cell's code, in order."""
    return list(session.execute(sa.text("SELECT code FROM grid_cells ORDER BY code")).scalars())


def roster_entry(session: Session, day: date, shift: str, unit_id: int) -> RosterEntry | None:
    return session.execute(sa.select(RosterEntry).where(
        RosterEntry.day == day, RosterEntry.shift == shift,
        RosterEntry.unit_id == unit_id)).scalar_one_or_none()


def roster_rows(session: Session, day: date) -> list[sa.Row[Any]]:
    """The day's entries by start and callsign: ``shift, callsign, kind, grids, station``
    (the entry's, else the unit's), ``start_at, end_at, note``."""
    return list(session.execute(sa.text(
        "SELECT r.shift, u.callsign, u.kind, r.grids, coalesce(s.name, us.name) AS station, "
        "r.start_at, r.end_at, r.note FROM roster_entries r JOIN units u ON u.id = r.unit_id "
        "LEFT JOIN stations s ON s.id = r.station_id "
        "LEFT JOIN stations us ON us.id = u.station_id "
        "WHERE r.day = :day ORDER BY r.start_at, u.callsign"), {"day": day}).all())


def rostered_extent(session: Session, day: date) -> tuple[float, float, float, float] | None:
    """West, south, east, north of the grid cells rostered on the day (any shift); None
    when nobody is rostered or their cells are gone."""
    row = session.execute(sa.text("""
        SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (
            SELECT ST_Extent(g.geom) AS e FROM grid_cells g
            WHERE g.code IN (SELECT unnest(r.grids) FROM roster_entries r
                             WHERE r.day = :day)) x
        WHERE e IS NOT NULL"""), {"day": day}).first()
    return None if row is None else (row[0], row[1], row[2], row[3])


# -- the routing problem's inputs ------------------------------------------------------------


def rostered_units(session: Session, day: date, shift: str) -> list[sa.Row[Any]]:
    """The active units rostered for the day and shift, by callsign: ``entry_id, unit_id,
    callsign, kind, skills, grids, start_at, end_at`` and the station they start from (the
    entry's, else the unit's; all NULL with neither): ``station_id, station_name, lon,
    lat``."""
    return list(session.execute(sa.text("""
        SELECT r.id AS entry_id, r.unit_id, u.callsign, u.kind, u.skills, r.grids,
               r.start_at, r.end_at,
               coalesce(rs.id, us.id) AS station_id, coalesce(rs.name, us.name) AS station_name,
               ST_X(coalesce(rs.geom, us.geom)) AS lon, ST_Y(coalesce(rs.geom, us.geom)) AS lat
        FROM roster_entries r JOIN units u ON u.id = r.unit_id
        LEFT JOIN stations rs ON rs.id = r.station_id
        LEFT JOIN stations us ON us.id = u.station_id
        WHERE r.day = :day AND r.shift = :shift AND u.active
        ORDER BY u.callsign"""), {"day": day, "shift": shift}).all())


def points_in_cells(session: Session, codes: list[str], *, at: datetime) -> list[sa.Row[Any]]:
    """The active must-visit points inside the cells that have not expired by ``at`` (a
    shift's start), by id: ``id, name, windows, dwell_min, visits_per_shift, priority,
    covert, lon, lat, cells`` (the codes of the cells holding it), ``unit_kinds, skills,
    expires_at``."""
    return list(session.execute(sa.text("""
        SELECT p.id, p.name, p.windows, p.dwell_min, p.visits_per_shift, p.priority, p.covert,
               ST_X(p.geom) AS lon, ST_Y(p.geom) AS lat, array_agg(DISTINCT g.code) AS cells,
               p.unit_kinds, p.skills, p.expires_at
        FROM must_visit_points p JOIN grid_cells g ON ST_Covers(g.geom, p.geom)
        WHERE p.active AND (p.expires_at IS NULL OR p.expires_at > :at) AND g.code = ANY(:codes)
        GROUP BY p.id ORDER BY p.id"""), {"codes": codes, "at": at}).all())


def points_outside_cells(session: Session, codes: list[str], *,
                         at: datetime) -> list[sa.Row[Any]]:
    """The active must-visit points in none of the cells that have not expired by ``at``,
    by id: ``id, name, windows, visits_per_shift, lon, lat, cells`` (the codes of the grid
    cells that hold it; empty when it lies in no cell), ``expires_at``."""
    return list(session.execute(sa.text("""
        SELECT p.id, p.name, p.windows, p.visits_per_shift,
               ST_X(p.geom) AS lon, ST_Y(p.geom) AS lat,
               coalesce(array_agg(g.code ORDER BY g.code) FILTER (WHERE g.code IS NOT NULL),
                        '{}') AS cells, p.expires_at
        FROM must_visit_points p LEFT JOIN grid_cells g ON ST_Covers(g.geom, p.geom)
        WHERE p.active AND (p.expires_at IS NULL OR p.expires_at > :at) AND NOT EXISTS (
            SELECT 1 FROM grid_cells r
            WHERE r.code = ANY(:codes) AND ST_Covers(r.geom, p.geom))
        GROUP BY p.id ORDER BY p.id"""), {"codes": codes, "at": at}).all())


def hotspots_in_cells(session: Session, codes: list[str]) -> list[sa.Row[Any]]:
    """The active patrol hot-spot cells whose inner point lies in the cells, by code:
    ``code, name, dosage_min, revisit_min, lon, lat`` (the inner point), ``cells``."""
    return list(session.execute(sa.text("""
        SELECT h.code, coalesce(h.name, h.code) AS name, h.dosage_min, h.revisit_min,
               ST_X(ST_PointOnSurface(h.geom)) AS lon, ST_Y(ST_PointOnSurface(h.geom)) AS lat,
               array_agg(DISTINCT g.code) AS cells
        FROM patrol_hotspots h
        JOIN grid_cells g ON ST_Covers(g.geom, ST_PointOnSurface(h.geom))
        WHERE h.active AND g.code = ANY(:codes)
        GROUP BY h.id ORDER BY h.code"""), {"codes": codes}).all())


# -- plans and their routes ------------------------------------------------------------------


def find_plan(session: Session, day: date, shift: str, *,
              for_update: bool = False) -> PatrolPlan | None:
    """The plan of the day and shift, if any (row-locked with ``for_update``)."""
    query = sa.select(PatrolPlan).where(PatrolPlan.day == day, PatrolPlan.shift == shift)
    if for_update:
        query = query.with_for_update()
    return session.execute(query).scalar_one_or_none()


def plans_on(session: Session, day: date) -> list[PatrolPlan]:
    """The day's plans in the order they were first made."""
    return list(session.execute(sa.select(PatrolPlan).where(PatrolPlan.day == day)
                                .order_by(PatrolPlan.id)).scalars())


def plans_between(session: Session, first: date, last: date) -> list[PatrolPlan]:
    """The plans of the days from ``first`` to ``last``, both included."""
    return list(session.execute(sa.select(PatrolPlan).where(
        PatrolPlan.day.between(first, last))).scalars())


def routes_of(session: Session, plan_id: int, *,
              locked: bool | None = None) -> list[PlanRoute]:
    """The plan's routes by id (only the locked, or the unlocked, ones with ``locked``)."""
    query = sa.select(PlanRoute).where(PlanRoute.plan_id == plan_id)
    if locked is not None:
        query = query.where(PlanRoute.locked.is_(locked))
    return list(session.execute(query.order_by(PlanRoute.id)).scalars())


def delete_unlocked_routes(session: Session, plan_id: int) -> None:
    session.execute(sa.delete(PlanRoute).where(PlanRoute.plan_id == plan_id,
                                               PlanRoute.locked.is_(False)))


def unit_routes(session: Session, plan_id: int) -> list[sa.Row[Any]]:
    """The plan's routes by callsign: ``unit_id, callsign, stops``."""
    return list(session.execute(sa.text(
        "SELECT r.unit_id, u.callsign, r.stops FROM plan_routes r JOIN units u "
        "ON u.id = r.unit_id WHERE r.plan_id = :p ORDER BY u.callsign"), {"p": plan_id}).all())


def route_rows(session: Session, plan_id: int) -> list[sa.Row[Any]]:
    """The plan's routes by callsign for the map and the exports: ``id, unit_id, callsign,
    kind, locked, start_at, end_at, travel_s, distance_m, stops, geometry`` (GeoJSON text
    written by PostGIS, 7 decimals; NULL without a road path)."""
    return list(session.execute(sa.text(
        "SELECT r.id, r.unit_id, u.callsign, u.kind, r.locked, r.start_at, r.end_at, "
        "r.travel_s, r.distance_m, r.stops, ST_AsGeoJSON(r.geom, 7) AS geometry "
        "FROM plan_routes r JOIN units u ON u.id = r.unit_id WHERE r.plan_id = :p "
        "ORDER BY u.callsign"), {"p": plan_id}).all())


# -- what the units did ----------------------------------------------------------------------


def unit_track(session: Session, unit_id: int, start: datetime,
               end: datetime) -> gpd.GeoDataFrame:
    """The unit's fixes in [start, end], one per instant (the first received): ``at``
    (UTC) and ``geometry`` (EPSG:4326)."""
    track = gpd.read_postgis(sa.text(
        "SELECT DISTINCT ON (at) at, geom FROM unit_positions WHERE unit_id = :u "
        "AND at BETWEEN :a AND :b ORDER BY at, id"), session.connection(), geom_col="geom",
        params={"u": unit_id, "a": start, "b": end})
    track["at"] = pd.to_datetime(track["at"], utc=True)
    return track.rename_geometry("geometry")


def hotspot_cells(session: Session, codes: list[str]) -> gpd.GeoDataFrame:
    """The patrol hot-spot cells with the codes: ``code, dosage_min, dosage_max,
    revisit_min, geometry`` (EPSG:4326)."""
    return gpd.read_postgis(sa.text(
        "SELECT code, dosage_min, dosage_max, revisit_min, geom FROM patrol_hotspots "
        "WHERE code = ANY(:c)"), session.connection(), geom_col="geom",
        params={"c": codes}).rename_geometry("geometry")


# -- overdue notices -------------------------------------------------------------------------


def try_check_lock(session: Session, key: int) -> bool:
    """Take the transaction's advisory lock ``key``; False when another holds it."""
    return bool(session.execute(sa.text("SELECT pg_try_advisory_xact_lock(:k)"),
                                {"k": key}).scalar())


def notices_sent(session: Session, plan_id: int) -> set[tuple[int, datetime]]:
    """The plan's notices so far: ``(point_id, window_end)``."""
    return {(pid, at) for pid, at in session.execute(sa.text(
        "SELECT point_id, window_end FROM overdue_notices WHERE plan_id = :p"),
        {"p": plan_id}).all()}


def insert_notice(session: Session, *, point_id: int, window_end: datetime, unit_id: int,
                  plan_id: int, message: str) -> int | None:
    """Write the notice and return its id; None when the point and window have one already
    (written by another check: the unique key decides, not a read before the write)."""
    found = session.execute(sa.text(
        "INSERT INTO overdue_notices (point_id, window_end, unit_id, plan_id, message) "
        "VALUES (:p, :w, :u, :plan, :m) ON CONFLICT (point_id, window_end) DO NOTHING "
        "RETURNING id"), {"p": point_id, "w": window_end, "u": unit_id, "plan": plan_id,
                          "m": message}).scalar()
    return None if found is None else int(found)


# -- demo data -------------------------------------------------------------------------------


def has_rows(session: Session, model: type[Station | MustVisitPoint | PatrolHotspot]) -> bool:
    """Whether the model's table holds anything."""
    return session.execute(sa.select(sa.literal(1)).select_from(model).limit(1)
                           ).first() is not None


def grid_extent(session: Session) -> tuple[float, float, float, float]:
    """West, south, east, north of the grid cells."""
    west, south, east, north = session.execute(sa.text(
        "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
        "(SELECT ST_Extent(geom) AS e FROM grid_cells) x")).one()
    return west, south, east, north


def add_unit(session: Session, callsign: str, kind: str, radio_id: str) -> None:
    """A unit with one radio id, unless the callsign is taken."""
    session.execute(sa.text(
        "INSERT INTO units (callsign, kind, radio_ids) VALUES (:c, :k, ARRAY[:r]) "
        "ON CONFLICT (callsign) DO NOTHING"), {"c": callsign, "k": kind, "r": radio_id})


def mark_demo_hotspots(session: Session, *, count: int) -> None:
    """Patrol hot spots ('demo hot spot <code>') in the ``count`` grid cells holding the
    most must-visit points (ties by code)."""
    session.execute(sa.text(
        "INSERT INTO patrol_hotspots (code, name, geom) SELECT g.code, "
        "'demo hot spot ' || g.code, g.geom FROM grid_cells g "
        "JOIN must_visit_points m ON ST_Covers(g.geom, m.geom) "
        "GROUP BY g.id ORDER BY count(*) DESC, g.code LIMIT :n"), {"n": count})


# -- the size of a planning run (inline or as a job) -------------------------------------

def plan_workload(session: Session, day: date, shift: str | None) -> tuple[int, int]:
    """Rostered units on ``day`` (one shift, or all) and the active must-visit points and
    patrol hot spots they may be sent to: what a plan's cost grows with."""
    units = session.execute(sa.select(sa.func.count()).select_from(RosterEntry).where(
        RosterEntry.day == day, *([RosterEntry.shift == shift] if shift else []))
    ).scalar_one()
    points = session.execute(sa.select(sa.func.count()).select_from(MustVisitPoint).where(
        MustVisitPoint.active, sa.or_(MustVisitPoint.expires_at.is_(None),
                                      MustVisitPoint.expires_at > sa.func.now()))
    ).scalar_one()
    spots = session.execute(sa.select(sa.func.count()).select_from(PatrolHotspot).where(
        PatrolHotspot.active)).scalar_one()
    return int(units), int(points) + int(spots)
