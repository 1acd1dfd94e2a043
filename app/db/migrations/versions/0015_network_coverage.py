"""Coverage of the camera network per zone (a grid cell's part inside one area), kept
current: triggers mark the cells a camera, grid cell or area change touches as dirty, and
the service recomputes those (app/evidence/coverage.py).

Revision ID: 0015
Revises: 0014
Create Date: 2027-01-11
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects.postgresql import JSONB

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_CAMERA_CELLS = """
INSERT INTO coverage_dirty (cell_id)
SELECT DISTINCT g.id FROM grid_cells g JOIN {rows} r
  ON ST_Intersects(g.geom, coalesce(r.coverage, ST_Multi(ST_Buffer(r.geom, 1e-6))))
{where}
ON CONFLICT DO NOTHING
"""


def upgrade() -> None:
    op.create_table(
        "coverage_zones",
        sa.Column("cell_id", sa.Integer, sa.ForeignKey("grid_cells.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("area_id", sa.Integer, sa.ForeignKey("areas.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("area_m2", sa.Float, nullable=False),
        sa.Column("seen_m2", sa.Float, nullable=False),
        sa.Column("cameras", sa.Integer, nullable=False),
        sa.Column("road_m", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("seen_road_m", JSONB, nullable=False,
                  server_default=sa.text("'{}'::jsonb")),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.text("now()")),
        sa.Column("geom", Geometry("MULTIPOLYGON", srid=4326, spatial_index=False),
                  nullable=False),
        sa.Column("seen", Geometry("MULTIPOLYGON", srid=4326, spatial_index=False)),
    )
    op.create_index("ix_coverage_zones_area", "coverage_zones", ["area_id"])
    op.create_index("idx_coverage_zones_geom", "coverage_zones", ["geom"],
                    postgresql_using="gist")
    op.create_index("idx_coverage_zones_seen", "coverage_zones", ["seen"],
                    postgresql_using="gist")
    op.create_table(
        "coverage_dirty",
        sa.Column("cell_id", sa.Integer, sa.ForeignKey("grid_cells.id", ondelete="CASCADE"),
                  primary_key=True),
    )
    op.create_table(
        "coverage_state",
        sa.Column("id", sa.SmallInteger, primary_key=True),
        sa.Column("roads_version", sa.BigInteger, nullable=False, server_default="-1"),
        sa.CheckConstraint("id = 1", name="ck_coverage_state_one_row"),
    )
    op.execute("INSERT INTO coverage_state (id) VALUES (1)")
    op.execute("INSERT INTO coverage_dirty SELECT id FROM grid_cells")
    # Cameras: statement triggers with transition tables (an import of thousands of cameras
    # marks their cells in one join); a change that leaves position and coverage alone (a
    # status) marks nothing.
    op.execute(f"""
        CREATE FUNCTION coverage_cameras_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN {_CAMERA_CELLS.format(rows="new_rows", where="")}; RETURN NULL; END $$""")
    op.execute(f"""
        CREATE FUNCTION coverage_cameras_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN {_CAMERA_CELLS.format(rows="old_rows", where="")}; RETURN NULL; END $$""")
    moved = ("WHERE EXISTS (SELECT 1 FROM new_rows n JOIN old_rows o ON o.id = n.id "
             "WHERE n.id = r.id AND (o.coverage IS DISTINCT FROM n.coverage "
             "OR o.geom IS DISTINCT FROM n.geom))")
    op.execute(f"""
        CREATE FUNCTION coverage_cameras_updated() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          {_CAMERA_CELLS.format(rows="old_rows", where=moved)};
          {_CAMERA_CELLS.format(rows="new_rows", where=moved)};
          RETURN NULL;
        END $$""")
    for event, rows, function in (("INSERT", "NEW TABLE AS new_rows", "inserted"),
                                  ("DELETE", "OLD TABLE AS old_rows", "deleted"),
                                  ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows",
                                   "updated")):
        op.execute(f"CREATE TRIGGER coverage_cameras_{function} AFTER {event} ON cameras "
                   f"REFERENCING {rows} FOR EACH STATEMENT "
                   f"EXECUTE FUNCTION coverage_cameras_{function}()")
    op.execute("""
        CREATE FUNCTION coverage_cell_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          INSERT INTO coverage_dirty (cell_id) VALUES (NEW.id) ON CONFLICT DO NOTHING;
          RETURN NULL;
        END $$""")
    op.execute("CREATE TRIGGER coverage_cell_changed AFTER INSERT OR UPDATE OF geom, "
               "area_id ON grid_cells FOR EACH ROW EXECUTE FUNCTION coverage_cell_changed()")
    op.execute("""
        CREATE FUNCTION coverage_areas_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          INSERT INTO coverage_dirty (cell_id) SELECT id FROM grid_cells
          ON CONFLICT DO NOTHING;
          RETURN NULL;
        END $$""")
    op.execute("CREATE TRIGGER coverage_areas_changed AFTER INSERT OR UPDATE OR DELETE ON "
               "areas FOR EACH STATEMENT EXECUTE FUNCTION coverage_areas_changed()")


def downgrade() -> None:
    op.execute("DROP TRIGGER coverage_areas_changed ON areas")
    op.execute("DROP TRIGGER coverage_cell_changed ON grid_cells")
    for function in ("inserted", "deleted", "updated"):
        op.execute(f"DROP TRIGGER coverage_cameras_{function} ON cameras")
        op.execute(f"DROP FUNCTION coverage_cameras_{function}()")
    op.execute("DROP FUNCTION coverage_cell_changed()")
    op.execute("DROP FUNCTION coverage_areas_changed()")
    op.drop_table("coverage_state")
    op.drop_table("coverage_dirty")
    op.drop_table("coverage_zones")
