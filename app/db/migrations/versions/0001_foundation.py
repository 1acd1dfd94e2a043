"""Foundation: roles, users, API tokens, the append-only audit log, areas.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import geoalchemy2
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ROLES = [
    ("admin", "Administers users, settings and everything else"),
    ("dispatcher", "Runs the live map console: alerts, camera call-up, dispatch"),
    ("supervisor", "Plans three-shift patrols and checks plan against GPS tracks"),
    ("analyst", "Imports incidents and maps hot spots"),
    ("viewer", "Sees the map and reports; changes nothing"),
]


def upgrade() -> None:
    roles = op.create_table(
        "roles",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("description", sa.Text, nullable=False),
    )
    op.bulk_insert(roles, [{"name": n, "description": d} for n, d in ROLES])

    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("role", sa.String(32), sa.ForeignKey("roles.name"), nullable=False),
        sa.Column("locale", sa.String(16)),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.CheckConstraint("username ~ '^[A-Za-z0-9_.-]{2,64}$'", name="ck_users_username"),
    )

    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("label", sa.String(120), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.Column("last_used_at", sa.DateTime(timezone=True)),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
    )

    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("actor_id", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("object_type", sa.String(64)),
        sa.Column("object_id", sa.String(128)),
        sa.Column("reason", sa.Text),
        sa.Column("request_id", sa.String(64)),
        sa.Column("client_addr", sa.String(64)),
        sa.Column("details", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_action_at", "audit_log", ["action", "at"])
    op.create_index("ix_audit_log_actor_at", "audit_log", ["actor", "at"])
    # Append-only for everyone, owner included; the app role also lacks the grants.
    op.execute("""
        CREATE FUNCTION audit_log_is_append_only() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END $$
    """)
    op.execute("""
        CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
        FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only()
    """)
    op.execute("""
        CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
        FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only()
    """)
    # users.id is referenced with ON DELETE SET NULL, which would UPDATE audit rows:
    # users are deactivated, never deleted, so forbid deleting a user with audit rows.
    op.execute("""
        CREATE FUNCTION users_are_never_deleted() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'users are deactivated, not deleted'
                USING ERRCODE = 'integrity_constraint_violation';
        END $$
    """)
    op.execute("""
        CREATE TRIGGER users_no_delete BEFORE DELETE ON users
        FOR EACH ROW EXECUTE FUNCTION users_are_never_deleted()
    """)

    op.create_table(
        "areas",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("kind", sa.String(32), nullable=False, server_default="area"),
        sa.Column("geom", geoalchemy2.Geometry("MULTIPOLYGON", srid=4326, spatial_index=False),
                  nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
    )
    op.create_index("idx_areas_geom", "areas", ["geom"], postgresql_using="gist")


def downgrade() -> None:
    op.drop_table("areas")
    op.execute("DROP TRIGGER users_no_delete ON users")
    op.execute("DROP FUNCTION users_are_never_deleted()")
    op.drop_table("audit_log")
    op.execute("DROP FUNCTION audit_log_is_append_only()")
    op.drop_table("api_tokens")
    op.drop_table("users")
    op.drop_table("roles")
