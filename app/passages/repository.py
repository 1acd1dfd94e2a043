"""Every SQL statement of the checkpoint passages: checkpoints, passages written through a
temporary table (COPY, then one INSERT that skips reads already stored), plate searches,
a plate's trace, and "through A then B". Nothing here commits.

Every query on ``passages`` bounds ``passed_at`` by constants of the statement, so the
planner reads only the days asked for (the partitions are pruned when the plan is made;
``through_a_then_b`` prunes the second side at run time, per row of the first)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from psycopg import sql
from sqlalchemy.orm import Session

from app.db.bulk import raw_cursor
from app.models import Checkpoint

WRITE_COLUMNS = ("checkpoint_id", "passed_at", "plate", "direction", "lane", "vehicle_type",
                 "vehicle_colour", "plate_colour")
_STAGE = "_passage_import"


@dataclass(frozen=True)
class CheckpointRow:
    """A checkpoint as the passages need it."""

    id: int
    code: str
    name: str
    directions: list[str]
    active: bool
    lon: float
    lat: float
    area: str | None = None


_CHECKPOINT_SELECT = """SELECT c.id, c.code, c.name, c.directions, c.active, ST_X(c.geom),
    ST_Y(c.geom), a.name FROM checkpoints c LEFT JOIN areas a ON a.id = c.area_id"""


def _checkpoint(row: Any) -> CheckpointRow:
    return CheckpointRow(int(row[0]), row[1], row[2], list(row[3] or []), bool(row[4]),
                         float(row[5]), float(row[6]), row[7])


def checkpoints(session: Session, *, codes: Sequence[str] | None = None,
                active_only: bool = False) -> list[CheckpointRow]:
    """Checkpoints by code (all of them, or those of ``codes``)."""
    where, params = [], {}
    if codes is not None:
        where.append("c.code = ANY(:codes)")
        params["codes"] = list(codes)
    if active_only:
        where.append("c.active")
    text = _CHECKPOINT_SELECT + (" WHERE " + " AND ".join(where) if where else "")
    rows = session.execute(sa.text(text + " ORDER BY c.code"), params).all()
    return [_checkpoint(row) for row in rows]


def checkpoint(session: Session, checkpoint_id: int) -> CheckpointRow | None:
    row = session.execute(sa.text(_CHECKPOINT_SELECT + " WHERE c.id = :id"),
                          {"id": checkpoint_id}).first()
    return None if row is None else _checkpoint(row)


def checkpoint_record(session: Session, checkpoint_id: int) -> Checkpoint | None:
    return session.get(Checkpoint, checkpoint_id)


def checkpoint_id_of(session: Session, code: str) -> int | None:
    found = session.execute(sa.text("SELECT id FROM checkpoints WHERE code = :code"),
                            {"code": code}).scalar()
    return None if found is None else int(found)


# -- writing ---------------------------------------------------------------------------------

class PassageWriter:
    """Stages passages with COPY into a temporary table, then writes them in one INSERT
    that skips those already stored (same checkpoint, time, lane and plate)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.staged = 0
        with raw_cursor(session) as cur:
            cur.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(_STAGE)))
            cur.execute(sql.SQL(
                "CREATE TEMP TABLE {} (checkpoint_id integer, passed_at timestamptz, "
                "plate text, direction text, lane smallint, vehicle_type text, "
                "vehicle_colour text, plate_colour text) ON COMMIT DROP").format(
                    sql.Identifier(_STAGE)))

    def stage(self, rows: Iterable[tuple[Any, ...]]) -> None:
        """COPY rows (in :data:`WRITE_COLUMNS` order) into the stage."""
        with raw_cursor(self.session) as cur, cur.copy(sql.SQL(
                "COPY {} ({}) FROM STDIN").format(
                    sql.Identifier(_STAGE),
                    sql.SQL(", ").join(map(sql.Identifier, WRITE_COLUMNS)))) as copy:
            for row in rows:
                copy.write_row(row)
                self.staged += 1

    def write(self, *, source: str) -> int:
        """Insert the staged passages; the number written (the others were stored)."""
        columns = sql.SQL(", ").join(map(sql.Identifier, WRITE_COLUMNS))
        with raw_cursor(self.session) as cur:
            cur.execute(sql.SQL(
                "INSERT INTO passages ({}, source) SELECT {}, %s FROM {} "
                "ON CONFLICT DO NOTHING").format(columns, columns, sql.Identifier(_STAGE)),
                (source,))
            written = cur.rowcount
            cur.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(_STAGE)))
        return int(written)


# -- reading ---------------------------------------------------------------------------------

PASSAGE_COLUMNS = ("id", "passed_at", "plate", "direction", "lane", "vehicle_type",
                   "vehicle_colour", "plate_colour", "checkpoint_id", "checkpoint_code",
                   "checkpoint_name", "lon", "lat")
_PASSAGES = """SELECT p.id, p.passed_at, p.plate, p.direction, p.lane, p.vehicle_type,
    p.vehicle_colour, p.plate_colour, c.id, c.code, c.name, ST_X(c.geom), ST_Y(c.geom)
FROM passages p JOIN checkpoints c ON c.id = p.checkpoint_id
WHERE p.passed_at >= :start AND p.passed_at < :end AND {plate}{checkpoints}
ORDER BY p.passed_at, p.id
LIMIT :limit"""


def find_passages(session: Session, *, plate: str, exact: bool, start: datetime,
                  end: datetime, checkpoint_ids: Sequence[int] | None, limit: int
                  ) -> list[dict[str, Any]]:
    """Passages of a plate (``exact``) or matching a ``LIKE`` pattern, in [start, end),
    at the given checkpoints (all when None), oldest first, at most ``limit``."""
    text = _PASSAGES.format(
        plate="p.plate = :plate" if exact else "p.plate LIKE :plate",
        checkpoints=" AND p.checkpoint_id = ANY(:ids)" if checkpoint_ids else "")
    params: dict[str, Any] = {"start": start, "end": end, "plate": plate, "limit": limit}
    if checkpoint_ids:
        params["ids"] = list(checkpoint_ids)
    rows = session.execute(sa.text(text), params).all()
    return [dict(zip(PASSAGE_COLUMNS, row, strict=True)) for row in rows]


THROUGH_COLUMNS = ("plate", "first_at", "first_direction", "first_lane", "then_at",
                   "then_direction", "then_lane")
_THROUGH = """SELECT a.plate, a.passed_at, a.direction, a.lane, b.passed_at, b.direction, b.lane
FROM passages a
JOIN LATERAL (
    SELECT n.passed_at, n.direction, n.lane FROM passages n
    WHERE n.plate = a.plate AND n.checkpoint_id = :then AND n.passed_at > a.passed_at
      AND n.passed_at <= a.passed_at + :within
    ORDER BY n.passed_at LIMIT 1) b ON true
WHERE a.checkpoint_id = :first AND a.passed_at >= :start AND a.passed_at < :end
ORDER BY a.passed_at, a.plate
LIMIT :limit"""


def through_a_then_b(session: Session, *, first: int, then: int, within: timedelta,
                     start: datetime, end: datetime, limit: int) -> list[dict[str, Any]]:
    """Vehicles that passed ``first`` in [start, end) and ``then`` within ``within`` after
    (the first such passage), in the order they passed ``first``."""
    rows = session.execute(sa.text(_THROUGH), {
        "first": first, "then": then, "within": within, "start": start, "end": end,
        "limit": limit}).all()
    return [dict(zip(THROUGH_COLUMNS, row, strict=True)) for row in rows]
