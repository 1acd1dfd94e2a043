"""What TAK clients are shown, read from PostgreSQL: units with a position, alerts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import Alert, Unit


def units(session: Session, unit_ids: Sequence[int] | None) -> list[Any]:
    """``(id, callsign, kind, status, alert_id, active, fix_at, speed_mps, course_deg,
    lon, lat)`` of every unit with a position, or of those of ``unit_ids``."""
    query = sa.select(Unit.id, Unit.callsign, Unit.kind, Unit.status, Unit.alert_id,
                      Unit.active, Unit.fix_at, Unit.speed_mps, Unit.course_deg,
                      sa.func.ST_X(Unit.geom).label("lon"),
                      sa.func.ST_Y(Unit.geom).label("lat"))
    if unit_ids is None:
        query = query.where(Unit.geom.is_not(None))
    else:
        query = query.where(Unit.id.in_(list(unit_ids)))
    return list(session.execute(query.order_by(Unit.id)).all())


def alerts(session: Session, alert_ids: Sequence[int] | None) -> list[Any]:
    """``(id, level, kind, description, status, covert, raised_at, lon, lat)`` of the
    alerts not closed, or of those of ``alert_ids`` (closed ones too)."""
    query = sa.select(Alert.id, Alert.level, Alert.kind, Alert.description, Alert.status,
                      Alert.covert, Alert.raised_at, sa.func.ST_X(Alert.geom).label("lon"),
                      sa.func.ST_Y(Alert.geom).label("lat"))
    if alert_ids is None:
        query = query.where(Alert.status != "closed")
    else:
        query = query.where(Alert.id.in_(list(alert_ids)))
    return list(session.execute(query.order_by(Alert.id)).all())
