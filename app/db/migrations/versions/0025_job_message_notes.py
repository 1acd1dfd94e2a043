"""A job's message as a note: the template and arguments it was written from, beside the
English text, so that a page words it in its reader's language (the worker that writes
it has no reader). NULL for a message written without one; the text stays as it was.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-12
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("jobs", sa.Column("message_note", JSONB))


def downgrade() -> None:
    op.drop_column("jobs", "message_note")
