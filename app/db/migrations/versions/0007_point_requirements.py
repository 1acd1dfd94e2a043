"""Must-visit points may require unit kinds (a pedestrian zone: foot patrols) and skills
(a school with a youth officer).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("must_visit_points", sa.Column("unit_kinds", ARRAY(sa.Text), nullable=False,
                                                 server_default="{}"))
    op.add_column("must_visit_points", sa.Column("skills", ARRAY(sa.Text), nullable=False,
                                                 server_default="{}"))


def downgrade() -> None:
    op.drop_column("must_visit_points", "skills")
    op.drop_column("must_visit_points", "unit_kinds")
