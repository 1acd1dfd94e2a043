"""The planning repository where it decides something itself: which of a plan's routes are
kept and in what order, route geometries in as EWKB and out as PostGIS writes them, and an
overdue notice written once per point and window."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
import shapely
import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.db.geometry import from_ewkb, to_ewkb
from app.models import MustVisitPoint, PatrolPlan, PlanRoute, Unit
from app.planning.repository import (
    delete_unlocked_routes,
    insert_notice,
    notices_sent,
    route_rows,
    routes_of,
)

START = datetime(2026, 11, 18, 8, 0, tzinfo=UTC)


@pytest.fixture
def session(connection: sa.Connection) -> Iterator[Session]:
    with Session(bind=connection, join_transaction_mode="create_savepoint") as session:
        yield session


def a_plan(session: Session) -> tuple[PatrolPlan, list[Unit]]:
    """A day-shift plan and two units, R-2 made before R-1."""
    units = [Unit(callsign=callsign, kind="patrol_car") for callsign in ("R-2", "R-1")]
    plan = PatrolPlan(day=date(2026, 11, 18), shift="day", engine="vroom", seed=1)
    session.add_all([*units, plan])
    session.flush()
    return plan, units


def test_routes_round_trip_their_geometry_and_only_locked_ones_survive(
        session: Session) -> None:
    plan, (second, first) = a_plan(session)
    path = shapely.MultiLineString([[(-0.098512345678, 51.5155), (-0.099, 51.5138)],
                                    [(-0.099, 51.5138), (-0.1010, 51.5190)]])
    kept = PlanRoute(plan_id=plan.id, unit_id=second.id, start_at=START,
                     end_at=START + timedelta(hours=8), locked=True, geom=to_ewkb(path))
    dropped = PlanRoute(plan_id=plan.id, unit_id=first.id, start_at=START,
                        end_at=START + timedelta(hours=8), geom=None)
    session.add_all([kept, dropped])
    session.flush()
    session.refresh(kept)
    stored = from_ewkb(kept.geom)
    assert stored is not None and stored.equals_exact(path, 0)  # EWKB keeps every digit
    rows = route_rows(session, plan.id)
    assert [row.callsign for row in rows] == ["R-1", "R-2"]  # by callsign, not by id
    assert rows[0].geometry is None
    assert json.loads(rows[1].geometry) == {  # written by PostGIS, 7 decimals
        "type": "MultiLineString",
        "coordinates": [[[-0.0985123, 51.5155], [-0.099, 51.5138]],
                        [[-0.099, 51.5138], [-0.101, 51.519]]]}
    assert [r.id for r in routes_of(session, plan.id)] == [kept.id, dropped.id]
    assert [r.id for r in routes_of(session, plan.id, locked=True)] == [kept.id]
    assert [r.id for r in routes_of(session, plan.id, locked=False)] == [dropped.id]
    delete_unlocked_routes(session, plan.id)
    assert [r.id for r in routes_of(session, plan.id)] == [kept.id]


def test_an_overdue_notice_is_written_once_per_point_and_window(session: Session) -> None:
    plan, (unit, _) = a_plan(session)
    point = MustVisitPoint(name="school gate", geom=to_ewkb(shapely.Point(-0.099, 51.5138)))
    session.add(point)
    session.flush()
    closes = START + timedelta(hours=1)
    written = insert_notice(session, point_id=point.id, window_end=closes, unit_id=unit.id,
                            plan_id=plan.id, message="first check")
    again = insert_notice(session, point_id=point.id, window_end=closes, unit_id=unit.id,
                          plan_id=plan.id, message="second check")
    afternoon = insert_notice(session, point_id=point.id, window_end=closes + timedelta(hours=8),
                              unit_id=unit.id, plan_id=plan.id, message="next window")
    assert isinstance(written, int) and isinstance(afternoon, int) and written != afternoon
    assert again is None
    assert notices_sent(session, plan.id) == {(point.id, closes),
                                              (point.id, closes + timedelta(hours=8))}
