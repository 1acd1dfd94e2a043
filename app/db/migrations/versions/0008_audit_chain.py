"""The audit log becomes a hash chain: every row carries
``row_hash = sha256(prev_hash || canonical JSON of its fields)``, ``prev_hash`` being the
row before's ``row_hash`` (32 zero bytes for the first), computed by PostgreSQL.

A BEFORE INSERT trigger locks the one-row ``audit_chain_head`` (``SELECT … FOR UPDATE``),
so audit inserts chain one at a time in commit order: a second transaction waits for the
first to commit and then chains onto its row (under REPEATABLE READ it fails with a
serialization error instead of forking the chain). The trigger also numbers the row
under that lock, so ids run in chain order. Existing rows are back-filled in id order;
the append-only trigger of 0001 stays.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# The fields a row's hash covers, as text that does not depend on the session (the time
# in UTC with microseconds; jsonb prints its keys in one fixed order). A column added to
# audit_log later is covered only once it is added here.
CANONICAL = """
CREATE FUNCTION audit_log_canonical(r audit_log) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'id', r.id,
        'at', to_char(r.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        'actor_id', r.actor_id,
        'actor', r.actor,
        'action', r.action,
        'object_type', r.object_type,
        'object_id', r.object_id,
        'reason', r.reason,
        'request_id', r.request_id,
        'client_addr', r.client_addr,
        'details', r.details
    )::text
$$
"""

BACKFILL = """
DO $$
DECLARE
    r audit_log;
    previous bytea := decode(repeat('00', 32), 'hex');  -- the chain starts from 32 zeros
    newest bigint := 0;
BEGIN
    FOR r IN SELECT * FROM audit_log ORDER BY id LOOP
        UPDATE audit_log
           SET prev_hash = previous,
               row_hash = sha256(previous || convert_to(audit_log_canonical(r), 'UTF8'))
         WHERE id = r.id
        RETURNING row_hash INTO previous;
        newest := r.id;
    END LOOP;
    INSERT INTO audit_chain_head (last_id, last_hash) VALUES (newest, previous);
END $$
"""

CHAIN = """
CREATE FUNCTION audit_log_chain() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    previous bytea;
BEGIN
    -- The head row is the lock: held to commit, so rows chain in commit order.
    SELECT last_hash INTO previous FROM audit_chain_head FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'audit_chain_head is empty: the audit chain cannot be extended'
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    NEW.id := nextval('{sequence}'::regclass);
    NEW.prev_hash := previous;
    NEW.row_hash := sha256(previous || convert_to(audit_log_canonical(NEW), 'UTF8'));
    UPDATE audit_chain_head SET last_id = NEW.id, last_hash = NEW.row_hash;
    RETURN NEW;
END $$
"""


def _id_sequence() -> str:
    name = op.get_bind().execute(sa.text(
        "SELECT pg_get_serial_sequence('audit_log', 'id')")).scalar_one()
    return str(name)


def upgrade() -> None:
    op.add_column("audit_log", sa.Column("prev_hash", sa.LargeBinary))
    op.add_column("audit_log", sa.Column("row_hash", sa.LargeBinary))
    op.create_table(
        "audit_chain_head",
        sa.Column("one_row", sa.Boolean, primary_key=True, server_default=sa.true()),
        sa.Column("last_id", sa.BigInteger, nullable=False),
        sa.Column("last_hash", sa.LargeBinary, nullable=False),
        sa.CheckConstraint("one_row", name="audit_chain_head_one_row"),
    )
    op.execute(CANONICAL)
    # The only UPDATE the log ever gets: the back-fill (the table is locked since
    # add_column, to the end of this migration's transaction).
    op.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_delete")
    op.execute(BACKFILL)
    op.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update_delete")
    op.alter_column("audit_log", "prev_hash", nullable=False)
    op.alter_column("audit_log", "row_hash", nullable=False)
    # Ids are given by the chain trigger under its lock (a default would use up a second).
    sequence = _id_sequence()
    op.alter_column("audit_log", "id", server_default=None)
    op.execute(CHAIN.replace("{sequence}", sequence))
    op.execute("""
        CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log
        FOR EACH ROW EXECUTE FUNCTION audit_log_chain()
    """)


def downgrade() -> None:
    op.execute("DROP TRIGGER audit_log_chain ON audit_log")
    op.execute("DROP FUNCTION audit_log_chain()")
    sequence = _id_sequence()
    op.alter_column("audit_log", "id", server_default=sa.text(f"nextval('{sequence}'::regclass)"))
    op.execute("DROP FUNCTION audit_log_canonical(audit_log)")
    op.drop_table("audit_chain_head")
    op.drop_column("audit_log", "row_hash")
    op.drop_column("audit_log", "prev_hash")
