"""Files given to a job (an incident export uploaded from a page or the API): stored with
the job, so whichever worker takes it reads them, and deleted by a trigger as soon as the
job is done, failed or cancelled — however it ended (a worker, ``gridpatrol jobs run``,
a cancel before it started, the sweep of a dead worker's job).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-09
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "job_files",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("job_id", sa.Integer, sa.ForeignKey("jobs.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.UniqueConstraint("job_id", "role", "name", name="uq_job_files_name"),
    )
    op.execute("""
        CREATE FUNCTION job_files_drop_when_finished() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            DELETE FROM job_files WHERE job_id = NEW.id;
            RETURN NULL;
        END $$;
        CREATE TRIGGER jobs_drop_files AFTER UPDATE OF state ON jobs
        FOR EACH ROW WHEN (NEW.state IN ('done', 'failed', 'cancelled')
                           AND OLD.state IS DISTINCT FROM NEW.state)
        EXECUTE FUNCTION job_files_drop_when_finished();
    """)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS jobs_drop_files ON jobs; "
               "DROP FUNCTION IF EXISTS job_files_drop_when_finished()")
    op.drop_table("job_files")
