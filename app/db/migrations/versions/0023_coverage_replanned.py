"""The camera coverage triggers of 0015 plan their statements afresh at every call.

PL/pgSQL keeps the plan of a static statement, made at its first call: usually a one-camera
change, with one-row transition tables. A later statement changing thousands of cameras
(a catalogue import, a CSV import, coverage recomputed after an OSM import) then ran the
moved-camera test as a nested loop over old × new rows for every row — quadratic: 300
cameras took 7.4 s and 2,504 minutes. With EXECUTE each statement is planned with its own
row counts (a hash join): 300 cameras in about 0.1 s. The 0015 bodies come back on
downgrade.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-05
"""

from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

# As in 0015: the grid cells a camera's coverage (or, without one, its place) touches.
_CAMERA_CELLS = """
INSERT INTO coverage_dirty (cell_id)
SELECT DISTINCT g.id FROM grid_cells g JOIN {rows} r
  ON ST_Intersects(g.geom, coalesce(r.coverage, ST_Multi(ST_Buffer(r.geom, 1e-6))))
{where}
ON CONFLICT DO NOTHING
"""
_MOVED = ("WHERE EXISTS (SELECT 1 FROM new_rows n JOIN old_rows o ON o.id = n.id "
          "WHERE n.id = r.id AND (o.coverage IS DISTINCT FROM n.coverage "
          "OR o.geom IS DISTINCT FROM n.geom))")


def _camera_functions(*, planned_each_time: bool) -> None:
    def run(statement: str) -> str:
        if not planned_each_time:
            return statement + ";"
        return "EXECUTE '" + statement.replace("'", "''") + "';"

    bodies = {
        "inserted": run(_CAMERA_CELLS.format(rows="new_rows", where="")),
        "deleted": run(_CAMERA_CELLS.format(rows="old_rows", where="")),
        "updated": run(_CAMERA_CELLS.format(rows="old_rows", where=_MOVED)) + "\n"
                   + run(_CAMERA_CELLS.format(rows="new_rows", where=_MOVED)),
    }
    for name, body in bodies.items():
        op.execute(f"""
            CREATE OR REPLACE FUNCTION coverage_cameras_{name}() RETURNS trigger
            LANGUAGE plpgsql AS $$ BEGIN {body} RETURN NULL; END $$""")


def upgrade() -> None:
    _camera_functions(planned_each_time=True)


def downgrade() -> None:
    _camera_functions(planned_each_time=False)
