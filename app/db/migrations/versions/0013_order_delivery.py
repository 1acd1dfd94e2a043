"""Orders out and their fate: delivery states of outbound radio messages (attempts, when
next tried, sent, delivered, acknowledged), console alarms (orders not acknowledged or not
delivered, status timers run out), announced live like the rest.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

CHANNEL = "gridpatrol_events"
NEEDS_ACK = ("dispatch_order", "cancel")


def tz() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("radio_log", sa.Column("needs_ack", sa.Boolean, nullable=False,
                                         server_default=sa.false()))
    op.add_column("radio_log", sa.Column("attempts", sa.Integer, nullable=False,
                                         server_default="0"))
    op.add_column("radio_log", sa.Column("sends", sa.Integer, nullable=False,
                                         server_default="0"))
    for column in ("next_attempt_at", "last_sent_at", "delivered_at", "acknowledged_at"):
        op.add_column("radio_log", sa.Column(column, tz()))
    op.add_column("radio_log", sa.Column("transport", sa.String(16)))
    op.add_column("radio_log", sa.Column("sent_to", JSONB, nullable=False,
                                         server_default=sa.text("'[]'::jsonb")))
    op.execute("UPDATE radio_log SET needs_ack = true WHERE direction = 'out' "
               "AND kind IN ('dispatch_order', 'cancel')")
    # Orders already out before this revision went through the file or webhook gateway:
    # 'delivered' then meant 'taken by the gateway', which is 'sent' now.
    op.execute("UPDATE radio_log SET delivery = 'sent', sends = 1, attempts = 1, "
               "last_sent_at = at WHERE direction = 'out' AND delivery = 'delivered'")
    op.create_index("ix_radio_log_outstanding", "radio_log", ["id"],
                    postgresql_where=sa.text(
                        "direction = 'out' AND (delivery = 'queued' OR (needs_ack AND "
                        "delivery IN ('sent', 'delivered', 'failed')))"))
    op.create_index("ix_radio_log_unit_at", "radio_log", ["unit_id", "at"])
    op.create_table(
        "console_alarms",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("key", sa.String(160), nullable=False, unique=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("unit_id", sa.Integer, sa.ForeignKey("units.id", ondelete="CASCADE")),
        sa.Column("alert_id", sa.Integer, sa.ForeignKey("alerts.id", ondelete="SET NULL")),
        sa.Column("radio_log_id", sa.BigInteger,
                  sa.ForeignKey("radio_log.id", ondelete="SET NULL")),
        sa.Column("raised_at", tz(), nullable=False, server_default=sa.text("now()")),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("details", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("cleared_at", tz()),
        sa.Column("cleared_reason", sa.Text),
        sa.Column("acknowledged_at", tz()),
        sa.Column("acknowledged_by", sa.String(64)),
    )
    op.create_index("ix_console_alarms_open", "console_alarms", ["raised_at"],
                    postgresql_where=sa.text("cleared_at IS NULL"))
    op.create_index("ix_console_alarms_radio_log", "console_alarms", ["radio_log_id"])
    op.execute(f"""
CREATE OR REPLACE FUNCTION gridpatrol_notify_radio() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('{CHANNEL}', json_build_object(
    'type', 'radio', 'id', NEW.id, 'at', NEW.at, 'direction', NEW.direction,
    'kind', NEW.kind, 'unit_id', NEW.unit_id, 'alert_id', NEW.alert_id,
    'delivery', NEW.delivery, 'delivery_detail', left(NEW.delivery_detail, 300),
    'needs_ack', NEW.needs_ack, 'attempts', NEW.attempts, 'sends', NEW.sends,
    'acknowledged_at', NEW.acknowledged_at, 'body', left(NEW.body, 500))::text);
  RETURN NULL;
END $$;

CREATE FUNCTION gridpatrol_notify_alarm() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('{CHANNEL}', json_build_object(
    'type', 'alarm', 'id', NEW.id, 'kind', NEW.kind, 'unit_id', NEW.unit_id,
    'alert_id', NEW.alert_id, 'radio_log_id', NEW.radio_log_id, 'raised_at', NEW.raised_at,
    'message', left(NEW.message, 500), 'cleared_at', NEW.cleared_at,
    'acknowledged_at', NEW.acknowledged_at)::text);
  RETURN NULL;
END $$;
CREATE TRIGGER console_alarms_notify AFTER INSERT OR UPDATE ON console_alarms
  FOR EACH ROW EXECUTE FUNCTION gridpatrol_notify_alarm();
""")


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS console_alarms_notify ON console_alarms")
    op.execute("DROP FUNCTION IF EXISTS gridpatrol_notify_alarm()")
    op.execute(f"""
CREATE OR REPLACE FUNCTION gridpatrol_notify_radio() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('{CHANNEL}', json_build_object(
    'type', 'radio', 'id', NEW.id, 'at', NEW.at, 'direction', NEW.direction,
    'kind', NEW.kind, 'unit_id', NEW.unit_id, 'alert_id', NEW.alert_id,
    'delivery', NEW.delivery, 'body', left(NEW.body, 500))::text);
  RETURN NULL;
END $$;
""")
    op.drop_table("console_alarms")
    op.drop_index("ix_radio_log_unit_at", "radio_log")
    op.drop_index("ix_radio_log_outstanding", "radio_log")
    op.execute("UPDATE radio_log SET delivery = 'delivered' WHERE delivery IN "
               "('sent', 'acknowledged')")
    for column in ("sent_to", "transport", "acknowledged_at", "delivered_at", "last_sent_at",
                   "next_attempt_at", "sends", "attempts", "needs_ack"):
        op.drop_column("radio_log", column)
