"""What the simulator reads from PostgreSQL (it writes nothing: everything it says goes
over MQTT): the units it drives, their patrol routes, where to start."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from shapely.geometry.base import BaseGeometry
from sqlalchemy.orm import Session

from app.db.geometry import from_ewkb
from app.models import PlanRoute, Station, Unit


def units_with_radios(session: Session, callsigns: Sequence[str] | None) -> list[Any]:
    """``(id, callsign, kind, status, radio_ids, lon, lat, station_lon, station_lat)`` of
    the active units with a radio (of these callsigns, when given), by callsign."""
    query = (sa.select(Unit.id, Unit.callsign, Unit.kind, Unit.status, Unit.radio_ids,
                       sa.func.ST_X(Unit.geom), sa.func.ST_Y(Unit.geom),
                       sa.func.ST_X(Station.geom), sa.func.ST_Y(Station.geom))
             .outerjoin(Station, Station.id == Unit.station_id)
             .where(Unit.active, sa.func.cardinality(Unit.radio_ids) > 0)
             .order_by(Unit.callsign))
    if callsigns:
        query = query.where(Unit.callsign.in_(list(callsigns)))
    return list(session.execute(query).all())


def patrol_route(session: Session, unit_id: int, now: datetime) -> BaseGeometry | None:
    """The unit's planned route for now: the one whose period holds ``now``, else its
    latest one starting within a day before (the simulated unit keeps patrolling it)."""
    covering = session.execute(
        sa.select(PlanRoute.geom).where(PlanRoute.unit_id == unit_id,
                                        PlanRoute.start_at <= now, PlanRoute.end_at > now,
                                        PlanRoute.geom.is_not(None))
        .order_by(PlanRoute.start_at.desc()).limit(1)).scalar()
    if covering is None:
        covering = session.execute(
            sa.select(PlanRoute.geom).where(
                PlanRoute.unit_id == unit_id, PlanRoute.geom.is_not(None),
                PlanRoute.start_at <= now, PlanRoute.start_at > now - timedelta(days=1))
            .order_by(PlanRoute.start_at.desc()).limit(1)).scalar()
    return from_ewkb(covering) if covering is not None else None


def statuses(session: Session, unit_ids: Sequence[int]) -> dict[int, str]:
    """``{unit id: status}``."""
    if not unit_ids:
        return {}
    rows = session.execute(sa.select(Unit.id, Unit.status).where(
        Unit.id.in_(list(unit_ids)))).all()
    return {int(unit_id): str(status) for unit_id, status in rows}
