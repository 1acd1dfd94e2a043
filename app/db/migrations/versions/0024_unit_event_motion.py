"""A unit's live event carries its speed and course, as ``GET /api/v1/units`` does.

The console shows a unit's last speed and course; without them in the ``unit`` event
(0003) a unit moving on the map would lose them until the next reload. The 0003 body comes
back on downgrade.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06
"""

from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

CHANNEL = "gridpatrol_events"


def _notify_unit(*, motion: bool) -> None:
    extra = "'speed_mps', NEW.speed_mps, 'course_deg', NEW.course_deg," if motion else ""
    op.execute(f"""
CREATE OR REPLACE FUNCTION gridpatrol_notify_unit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('{CHANNEL}', json_build_object(
    'type', 'unit', 'id', NEW.id, 'callsign', NEW.callsign, 'kind', NEW.kind,
    'status', NEW.status, 'status_since', NEW.status_since, 'alert_id', NEW.alert_id,
    'active', NEW.active, 'fix_at', NEW.fix_at, {extra}
    'lon', ST_X(NEW.geom), 'lat', ST_Y(NEW.geom))::text);
  RETURN NULL;
END $$""")


def upgrade() -> None:
    _notify_unit(motion=True)


def downgrade() -> None:
    _notify_unit(motion=False)
