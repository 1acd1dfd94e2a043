"""Which road segments each camera watches, kept with its coverage (escape-camera lookups
become an index join instead of a spatial join at alert time).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "camera_roads",
        sa.Column("camera_id", sa.Integer, sa.ForeignKey("cameras.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("edge_id", sa.Integer, sa.ForeignKey("road_edges.id", ondelete="CASCADE"),
                  primary_key=True),
    )
    op.create_index("ix_camera_roads_edge", "camera_roads", ["edge_id"])
    op.execute("INSERT INTO camera_roads SELECT c.id, e.id FROM cameras c "
               "JOIN road_edges e ON ST_Intersects(c.coverage, e.geom)")


def downgrade() -> None:
    op.drop_table("camera_roads")
