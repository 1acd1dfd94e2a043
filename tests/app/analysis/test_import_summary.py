"""What an incident import tells the analyst, on the command line, in the API and in its
stored record: how times were read, incidents per hour of day and per resolution, and the
source categories no table knows, with a way to map them that re-classifies stored rows.

The fixture is the real SF export rewritten as a US city's records system writes it
(``TIME OCC`` as HHMM whole numbers, offence descriptions in capitals as the category).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from tests.conftest import Accounts, bearer, csrf_token, login
from tests.gis.incidents.test_real_exports import HHMM_MAPPING, write_hhmm_export


@pytest.fixture
def export(tmp_path: Path) -> tuple[Path, pd.DataFrame]:
    path = tmp_path / "la_style.csv"
    return path, write_hhmm_export(path)


@pytest.fixture
def analyst(accounts: Accounts) -> dict[str, str]:
    return bearer(accounts.create("analyst"))


def direct_hours(rows: pd.DataFrame) -> list[int]:
    """Incidents per hour counted straight from the file (the rows with a place)."""
    placed = rows[rows["LAT"] != "0"]
    hours = (placed["TIME OCC"].astype(int) // 100).value_counts()
    return [int(hours.get(h, 0)) for h in range(24)]


def scalar(connection: sa.Connection, sql: str, **params: Any) -> Any:
    return connection.execute(sa.text(sql), params).scalar_one()


def test_the_cli_shows_hours_notes_and_unmapped_categories(
        runner: FlaskCliRunner, connection: sa.Connection, export: tuple[Path, pd.DataFrame],
        tmp_path: Path) -> None:
    path, rows = export
    result = runner.invoke(args=["import", "incidents", str(path), "--source", "la",
                                 "--mapping", HHMM_MAPPING, "--rejects",
                                 str(tmp_path / "r.csv")])
    assert result.exit_code == 3, result.output  # written, with rows refused (no coordinates)
    out = result.output
    assert "time: la_style.csv: 'TIME OCC' read as HHMM whole numbers" in out
    assert "time: la_style.csv: 'DATE OCC' read month-first" in out
    assert "time resolution: minute 11,276" in out
    hours = direct_hours(rows)
    printed = {line.split()[0]: line.split()[-1] for line in out.splitlines()
               if line.startswith("    ") and line.split()[0].isdigit() and len(line) > 50}
    assert printed == {f"{h:02d}": f"{n:,}" for h, n in enumerate(hours)}
    stored = connection.execute(sa.text(
        "SELECT counts->'hours', counts->'unknown_categories', counts->>'unmapped_path' "
        "FROM incident_imports WHERE source = 'la'")).one()
    assert stored[0] == hours
    # the unmapped values are listed with their counts, in the summary and in a file
    unknown = stored[1]
    assert unknown["DOG, BITE OR ATTACK"] == scalar(
        connection, "SELECT count(*) FROM incidents WHERE source_category = :v",
        v="DOG, BITE OR ATTACK") > 0
    assert "unmapped source categories, filed as 'other'" in out and "--category-map" in out
    with open(stored[2], encoding="utf-8-sig", newline="") as handle:
        listed = {row["source_category"]: int(row["count"]) for row in csv.DictReader(handle)}
    assert listed == unknown
    assert "mapped by keyword rule" in out


def test_a_category_map_file_maps_and_reclassifies(
        runner: FlaskCliRunner, connection: sa.Connection, export: tuple[Path, pd.DataFrame],
        tmp_path: Path) -> None:
    path, _ = export
    args = ["import", "incidents", str(path), "--source", "la", "--mapping", HHMM_MAPPING,
            "--rejects", str(tmp_path / "r.csv")]
    assert runner.invoke(args=args).exit_code == 3  # written, rows without coordinates refused
    unmapped = scalar(connection, "SELECT counts->>'unmapped_path' FROM incident_imports")
    filled = Path(unmapped).read_text(encoding="utf-8-sig").replace(
        "DOG, BITE OR ATTACK\",16,", "DOG, BITE OR ATTACK\",16,non_crime")
    assert "non_crime" in filled
    mapping_file = tmp_path / "map.csv"
    mapping_file.write_text(filled, encoding="utf-8")
    again = runner.invoke(args=[*args, "--category-map", str(mapping_file)])
    assert again.exit_code == 3, again.output  # written again; the same rows refused
    assert "category map: 1 entries stored for 'la'; 0 incidents of earlier" in again.output
    assert "16 updated" in again.output  # the same rows, now non-crime
    assert scalar(connection, "SELECT count(*) FROM incidents WHERE source_category = "
                              "'DOG, BITE OR ATTACK' AND category = 'non_crime'") == 16
    assert scalar(connection, "SELECT category FROM incident_category_map WHERE source = 'la' "
                              "AND source_category = 'DOG, BITE OR ATTACK'") == "non_crime"
    bad = tmp_path / "bad.csv"
    bad.write_text("source_category,category\nDOG, BITE OR ATTACK,dogs\n", encoding="utf-8")
    refused = runner.invoke(args=[*args, "--category-map", str(bad)])
    assert refused.exit_code != 0 and "unknown category" in refused.output


def test_a_category_map_given_later_reclassifies_the_rows_of_earlier_imports(
        runner: FlaskCliRunner, connection: sa.Connection, export: tuple[Path, pd.DataFrame],
        tmp_path: Path) -> None:
    path, rows = export
    first = runner.invoke(args=["import", "incidents", str(path), "--source", "la",
                                "--mapping", HHMM_MAPPING, "--rejects", str(tmp_path / "a.csv")])
    assert first.exit_code == 3, first.output
    assert scalar(connection, "SELECT count(*) FROM incidents WHERE source_category = "
                              "'DOG, BITE OR ATTACK' AND category = 'other'") == 16
    # next month's file of the same source: one row, none of them dog bites
    later = tmp_path / "la_next.csv"
    row = rows[(rows["LAT"] != "0") & (rows["Crm Cd Desc"] != "DOG, BITE OR ATTACK")].head(1)
    row.assign(DR_NO="next-1").to_csv(later, index=False)
    mapping_file = tmp_path / "map.csv"
    mapping_file.write_text('source_category,category\n"DOG, BITE OR ATTACK",non_crime\n',
                            encoding="utf-8")
    # (one row cannot show how its dates and times are written: the mapping says so)
    again = runner.invoke(args=["import", "incidents", str(later), "--source", "la",
                                "--mapping", HHMM_MAPPING + ",date_format=mdy,time_format=hhmm",
                                "--category-map", str(mapping_file),
                                "--rejects", str(tmp_path / "b.csv")])
    assert again.exit_code == 0, again.output
    assert "written: 1 new, 0 updated" in again.output  # this file's one row
    assert "16 incidents of earlier imports re-classified" in again.output
    # ... but the map, stored for the source, re-classified the earlier import's rows
    assert scalar(connection, "SELECT count(*) FROM incidents WHERE source_category = "
                              "'DOG, BITE OR ATTACK' AND category = 'non_crime' AND "
                              "import_id = (SELECT min(id) FROM incident_imports)") == 16
    assert scalar(connection, "SELECT count(*) FROM incidents WHERE source_category = "
                              "'DOG, BITE OR ATTACK' AND category <> 'non_crime'") == 0


def test_an_ambiguous_time_column_is_refused_with_examples(
        runner: FlaskCliRunner, connection: sa.Connection, tmp_path: Path) -> None:
    path = tmp_path / "few.csv"
    path.write_text("id,date,time,lon,lat\na,2024-01-05,745,-0.1,51.5\n"
                    "b,2024-01-06,100,-0.1,51.5\n", encoding="utf-8")
    result = runner.invoke(args=["import", "incidents", str(path), "--tz", "Europe/London",
                                 "--mapping", "id=id,date=date,time=time,lon=lon,lat=lat"])
    assert result.exit_code != 0
    assert "'745' is 07:45 or 12:25" in result.output
    assert "time_format=hhmm or time_format=minutes" in result.output
    assert "database was not changed" in result.output
    assert scalar(connection, "SELECT count(*) FROM incidents") == 0


def test_the_api_imports_an_upload_and_answers_with_the_summary(
        client: FlaskClient, analyst: dict[str, str], accounts: Accounts,
        export: tuple[Path, pd.DataFrame]) -> None:
    path, rows = export
    small = rows.iloc[::6]  # through the month: days above 12 say the dates are month-first
    data = small.to_csv(index=False).encode("utf-8")

    def form() -> dict[str, Any]:
        return {"files": (io.BytesIO(data), "la_style.csv"), "mapping": HHMM_MAPPING,
                "source": "la"}

    viewer = bearer(accounts.create("viewer"))
    assert client.post("/api/v1/incidents/imports", data=form(), headers=viewer,
                       content_type="multipart/form-data").status_code == 403
    response = client.post("/api/v1/incidents/imports", data=form(), headers=analyst,
                           content_type="multipart/form-data")
    assert response.status_code == 201, response.get_data(as_text=True)
    summary = response.json["summary"]
    assert summary["hours"] == direct_hours(small)
    assert summary["resolutions"] == {"minute": summary["accepted"]}
    assert any("HHMM" in note for note in summary["time_notes"])
    assert "/" not in (summary["unmapped_path"] or "")  # a file name, never a server path
    stored = client.get(f"/api/v1/incidents/imports/{response.json['id']}", headers=viewer)
    assert stored.status_code == 200 and stored.json["summary"]["hours"] == summary["hours"]
    assert client.get("/api/v1/incidents/imports", headers=viewer).json["imports"][0][
        "id"] == response.json["id"]
    ambiguous = io.BytesIO(b"id,date,time,lon,lat\na,2024-01-05,745,1,1\n")
    refused = client.post("/api/v1/incidents/imports", headers=analyst,
                          content_type="multipart/form-data",
                          data={"files": (ambiguous, "警情 少量.csv"), "tz": "UTC",
                                "mapping": "id=id,date=date,time=time,lon=lon,lat=lat"})
    assert refused.status_code == 422 and refused.json["field"] == "time_format"
    assert "'745' is 07:45 or 12:25" in refused.json["message"]


def test_the_category_map_endpoint_reclassifies_stored_incidents(
        client: FlaskClient, analyst: dict[str, str], accounts: Accounts,
        runner: FlaskCliRunner, connection: sa.Connection,
        export: tuple[Path, pd.DataFrame], tmp_path: Path) -> None:
    path, _ = export
    assert runner.invoke(args=["import", "incidents", str(path), "--source", "la", "--mapping",
                               HHMM_MAPPING, "--rejects", str(tmp_path / "r.csv")]).exit_code == 3
    viewer = bearer(accounts.create("viewer"))
    before = client.get("/api/v1/incidents/category-map", headers=viewer).json
    unmapped = {u["source_category"]: u["count"] for u in before["unmapped"]}
    assert unmapped["DOG, BITE OR ATTACK"] == 16
    assert unmapped == scalar(connection, "SELECT counts->'unknown_categories' FROM "
                                          "incident_imports")
    assert {c["code"] for c in before["categories"]} >= {"theft", "other", "non_crime"}
    body = {"source": "la", "mappings": [{"source_category": "dog, bite or attack",
                                          "category": "non_crime"}], "reason": "animal calls"}
    assert client.post("/api/v1/incidents/category-map", json=body,
                       headers=viewer).status_code == 403
    saved = client.post("/api/v1/incidents/category-map", json=body, headers=analyst)
    assert saved.status_code == 200, saved.json
    assert saved.json["reclassified"] == {"total": 16, "by_category": {"non_crime": 16}}
    assert scalar(connection, "SELECT count(*) FROM incidents WHERE category = 'non_crime' "
                              "AND source_category = 'DOG, BITE OR ATTACK'") == 16
    audited = connection.execute(sa.text(
        "SELECT reason, details->'reclassified' FROM audit_log "
        "WHERE action = 'incidents.category_map'")).one()
    assert audited == ("animal calls", 16)
    after = client.get("/api/v1/incidents/category-map", headers=viewer).json
    assert "DOG, BITE OR ATTACK" not in {u["source_category"] for u in after["unmapped"]}
    entry = after["mappings"][0]
    assert (entry["source"], entry["category"]) == ("la", "non_crime")
    bad = client.post("/api/v1/incidents/category-map", headers=analyst, json={
        "mappings": [{"source_category": "x", "category": "dogs"}]})
    assert bad.status_code == 422 and bad.json["field"] == "category"
    removed = client.delete(f"/api/v1/incidents/category-map/{entry['id']}", headers=analyst)
    assert removed.status_code == 200
    assert removed.json["reclassified"]["by_category"] == {"other": 16}
    assert scalar(connection, "SELECT count(*) FROM incidents WHERE category = 'other' "
                              "AND source_category = 'DOG, BITE OR ATTACK'") == 16


def test_the_analyst_page_maps_unmapped_categories(
        app: Flask, client: FlaskClient, accounts: Accounts, runner: FlaskCliRunner,
        connection: sa.Connection, tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("id,when,what,lon,lat\n"
                    "1,2024-05-01 10:00,<b>Knitting</b>,-0.1,51.5\n"
                    "2,2024-05-01 11:00,<b>Knitting</b>,-0.1,51.5\n"
                    "3,2024-05-01 12:00,VEHICLE - STOLEN,-0.1,51.5\n", encoding="utf-8")
    assert runner.invoke(args=["import", "incidents", str(path), "--source", "odd", "--mapping",
                               "id=id,datetime=when,category=what,lon=lon,lat=lat,tz=UTC",
                               "--rejects", str(tmp_path / "r.csv")]).exit_code == 0
    login(client, accounts.create("viewer"))
    shown = client.get("/analysis/categories").get_data(as_text=True)
    assert "&lt;b&gt;Knitting&lt;/b&gt;" in shown and "<b>Knitting" not in shown
    assert "save-category-map" not in shown  # a viewer sees, an analyst maps
    client = app.test_client()
    login(client, accounts.create("analyst"))
    page = client.get("/analysis/categories").get_data(as_text=True)
    assert 'id="save-category-map"' in page
    token = csrf_token(client, "/analysis/categories")
    done = client.post("/analysis/categories", data={
        "csrf_token": token, "source-1": "odd", "value-1": "<b>Knitting</b>",
        "category-1": "anti_social_behaviour", "reason": "hobby noise"},
        follow_redirects=True)
    assert "2 incidents re-classified" in done.get_data(as_text=True)
    assert scalar(connection, "SELECT count(*) FROM incidents WHERE source = 'odd' AND "
                              "category = 'anti_social_behaviour'") == 2
    assert scalar(connection, "SELECT category FROM incidents WHERE source_id = '3'") == (
        "vehicle_crime")  # a keyword rule, untouched
