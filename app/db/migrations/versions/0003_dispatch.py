"""Dispatch: camera coverage, units and their positions, alerts, the radio log, live events.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

import geoalchemy2
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

CHANNEL = "gridpatrol_events"


def geom(kind: str) -> geoalchemy2.Geometry:
    return geoalchemy2.Geometry(kind, srid=4326, spatial_index=False)


def now() -> sa.TextClause:
    return sa.text("now()")


def tz() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.execute("INSERT INTO roles (name, description) VALUES ('device', 'A radio gateway or "
               "mobile terminal: posts positions and radio messages, nothing else')")
    op.add_column("cameras", sa.Column("area_id", sa.Integer,
                                       sa.ForeignKey("areas.id", ondelete="SET NULL")))
    op.add_column("cameras", sa.Column("sector", geom("POLYGON")))
    op.add_column("cameras", sa.Column("coverage", geom("MULTIPOLYGON")))
    op.add_column("cameras", sa.Column("status_at", tz()))
    op.add_column("cameras", sa.Column("updated_at", tz(), nullable=False, server_default=now()))
    op.create_index("idx_cameras_sector", "cameras", ["sector"], postgresql_using="gist")
    op.create_index("idx_cameras_coverage", "cameras", ["coverage"], postgresql_using="gist")

    op.create_table(
        "units",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("callsign", sa.String(32), nullable=False, unique=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("skills", ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("radio_ids", ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("home_area_id", sa.Integer, sa.ForeignKey("areas.id", ondelete="SET NULL")),
        sa.Column("status", sa.String(24), nullable=False, server_default="out_of_service"),
        sa.Column("status_since", tz(), nullable=False, server_default=now()),
        sa.Column("alert_id", sa.Integer),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("fix_at", tz()),
        sa.Column("speed_mps", sa.Float),
        sa.Column("course_deg", sa.Float),
        sa.Column("geom", geom("POINT")),
        sa.Column("created_at", tz(), nullable=False, server_default=now()),
        sa.Column("updated_at", tz(), nullable=False, server_default=now()),
    )
    op.create_index("idx_units_geom", "units", ["geom"], postgresql_using="gist")
    op.create_index("ix_units_radio_ids", "units", ["radio_ids"], postgresql_using="gin")

    op.create_table(
        "unit_positions",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("unit_id", sa.Integer, sa.ForeignKey("units.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("at", tz(), nullable=False),
        sa.Column("received_at", tz(), nullable=False, server_default=now()),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("speed_mps", sa.Float),
        sa.Column("course_deg", sa.Float),
        sa.Column("geom", geom("POINT"), nullable=False),
    )
    op.create_index("ix_unit_positions_unit_at", "unit_positions", ["unit_id", "at"])
    op.create_index("idx_unit_positions_geom", "unit_positions", ["geom"],
                    postgresql_using="gist")

    op.create_table(
        "unit_status_log",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("unit_id", sa.Integer, sa.ForeignKey("units.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("at", tz(), nullable=False, server_default=now()),
        sa.Column("previous", sa.String(24)),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("alert_id", sa.Integer),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
    )
    op.create_index("ix_unit_status_log_unit_at", "unit_status_log", ["unit_id", "at"])

    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("level", sa.String(8), nullable=False),
        sa.Column("kind", sa.String(64)),
        sa.Column("description", sa.Text),
        sa.Column("covert", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("status", sa.String(16), nullable=False, server_default="open"),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("raised_at", tz(), nullable=False, server_default=now()),
        sa.Column("raised_by", sa.String(64), nullable=False),
        sa.Column("closed_at", tz()),
        sa.Column("area_id", sa.Integer, sa.ForeignKey("areas.id", ondelete="SET NULL")),
        sa.Column("callup", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("geom", geom("POINT"), nullable=False),
    )
    op.create_index("idx_alerts_geom", "alerts", ["geom"], postgresql_using="gist")
    op.create_index("ix_alerts_status_raised", "alerts", ["status", "raised_at"])
    op.create_foreign_key("fk_units_alert", "units", "alerts", ["alert_id"], ["id"],
                          ondelete="SET NULL")
    op.create_foreign_key("fk_unit_status_log_alert", "unit_status_log", "alerts",
                          ["alert_id"], ["id"], ondelete="SET NULL")

    op.create_table(
        "alert_events",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("alert_id", sa.Integer, sa.ForeignKey("alerts.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("at", tz(), nullable=False, server_default=now()),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("unit_id", sa.Integer, sa.ForeignKey("units.id", ondelete="SET NULL")),
        sa.Column("details", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    )
    op.create_index("ix_alert_events_alert_at", "alert_events", ["alert_id", "at"])

    op.create_table(
        "radio_log",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("at", tz(), nullable=False, server_default=now()),
        sa.Column("direction", sa.String(4), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("unit_id", sa.Integer, sa.ForeignKey("units.id", ondelete="SET NULL")),
        sa.Column("alert_id", sa.Integer, sa.ForeignKey("alerts.id", ondelete="SET NULL")),
        sa.Column("radio_id", sa.String(32)),
        sa.Column("talkgroup", sa.String(32)),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("payload", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("delivery", sa.String(16), nullable=False, server_default="none"),
        sa.Column("delivery_detail", sa.Text),
        sa.Column("actor", sa.String(64), nullable=False),
    )
    op.create_index("ix_radio_log_at", "radio_log", ["at"])
    op.create_index("ix_radio_log_alert", "radio_log", ["alert_id"])

    op.create_table(
        "position_rejects",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("received_at", tz(), nullable=False, server_default=now()),
        sa.Column("unit_id", sa.Integer, sa.ForeignKey("units.id", ondelete="SET NULL")),
        sa.Column("radio_id", sa.String(32)),
        sa.Column("line", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
    )
    op.create_index("ix_position_rejects_received", "position_rejects", ["received_at"])

    _notify_triggers()


def _notify_triggers() -> None:
    """Every committed change to units, alerts, cameras and the radio log is announced on
    one channel; each server process LISTENs and feeds its browsers (Server-Sent Events).

    Payloads are small JSON objects (PostgreSQL caps them at 8000 bytes); cameras change in
    bulk (imports), so they are announced once per statement."""
    op.execute(f"""
CREATE FUNCTION gridpatrol_notify_unit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('{CHANNEL}', json_build_object(
    'type', 'unit', 'id', NEW.id, 'callsign', NEW.callsign, 'kind', NEW.kind,
    'status', NEW.status, 'status_since', NEW.status_since, 'alert_id', NEW.alert_id,
    'active', NEW.active, 'fix_at', NEW.fix_at,
    'lon', ST_X(NEW.geom), 'lat', ST_Y(NEW.geom))::text);
  RETURN NULL;
END $$;
CREATE TRIGGER units_notify AFTER INSERT OR UPDATE ON units
  FOR EACH ROW EXECUTE FUNCTION gridpatrol_notify_unit();

CREATE FUNCTION gridpatrol_notify_alert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('{CHANNEL}', json_build_object(
    'type', 'alert', 'id', NEW.id, 'level', NEW.level, 'kind', NEW.kind,
    'status', NEW.status, 'covert', NEW.covert, 'raised_at', NEW.raised_at,
    'lon', ST_X(NEW.geom), 'lat', ST_Y(NEW.geom))::text);
  RETURN NULL;
END $$;
CREATE TRIGGER alerts_notify AFTER INSERT OR UPDATE ON alerts
  FOR EACH ROW EXECUTE FUNCTION gridpatrol_notify_alert();

CREATE FUNCTION gridpatrol_notify_alert_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('{CHANNEL}', json_build_object(
    'type', 'alert_event', 'id', NEW.id, 'alert_id', NEW.alert_id, 'event', NEW.event,
    'unit_id', NEW.unit_id, 'at', NEW.at, 'actor', NEW.actor)::text);
  RETURN NULL;
END $$;
CREATE TRIGGER alert_events_notify AFTER INSERT ON alert_events
  FOR EACH ROW EXECUTE FUNCTION gridpatrol_notify_alert_event();

CREATE FUNCTION gridpatrol_notify_radio() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('{CHANNEL}', json_build_object(
    'type', 'radio', 'id', NEW.id, 'at', NEW.at, 'direction', NEW.direction,
    'kind', NEW.kind, 'unit_id', NEW.unit_id, 'alert_id', NEW.alert_id,
    'delivery', NEW.delivery, 'body', left(NEW.body, 500))::text);
  RETURN NULL;
END $$;
CREATE TRIGGER radio_log_notify AFTER INSERT OR UPDATE ON radio_log
  FOR EACH ROW EXECUTE FUNCTION gridpatrol_notify_radio();

CREATE FUNCTION gridpatrol_notify_cameras() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('{CHANNEL}', json_build_object('type', 'cameras', 'op', TG_OP)::text);
  RETURN NULL;
END $$;
CREATE TRIGGER cameras_notify AFTER INSERT OR UPDATE OR DELETE ON cameras
  FOR EACH STATEMENT EXECUTE FUNCTION gridpatrol_notify_cameras();
""")


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS cameras_notify ON cameras")
    for name in ("unit", "alert", "alert_event", "radio", "cameras"):
        op.execute(f"DROP FUNCTION IF EXISTS gridpatrol_notify_{name}() CASCADE")
    op.drop_constraint("fk_units_alert", "units", type_="foreignkey")
    for table in ("position_rejects", "radio_log", "alert_events", "unit_status_log",
                  "unit_positions"):
        op.drop_table(table)
    op.drop_table("alerts")
    op.drop_table("units")
    op.drop_index("idx_cameras_coverage", "cameras")
    op.drop_index("idx_cameras_sector", "cameras")
    for column in ("updated_at", "status_at", "coverage", "sector", "area_id"):
        op.drop_column("cameras", column)
    op.execute("DELETE FROM roles WHERE name = 'device'")
