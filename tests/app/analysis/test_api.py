"""Hot spots, near repeats and time tables through the API on real PostGIS and the real
exports, cross-checked against esda/libpysal and SQL counts."""

from __future__ import annotations

import json
import re
import warnings
from html import unescape
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
import sqlalchemy as sa
from flask.testing import FlaskClient, FlaskCliRunner
from scipy.stats import norm

from tests.app.analysis.test_import_incidents import BURGLARY, LONDON_BOX, SF, write_box
from tests.app.jobs.support import follow_job
from tests.conftest import Accounts, bearer, login


@pytest.fixture
def burglary(runner: FlaskCliRunner, tmp_path: Path) -> None:
    box = write_box(tmp_path / "box.geojson", "London central", LONDON_BOX)
    assert runner.invoke(args=["import", "boundary", str(box)]).exit_code == 0
    result = runner.invoke(args=["import", "incidents", str(BURGLARY), "--rejects",
                                 str(tmp_path / "rejects.csv")])
    assert result.exit_code == 3, result.output  # partly written: rows outside rejected


@pytest.fixture
def analyst(accounts: Accounts) -> dict[str, str]:
    return bearer(accounts.create("analyst"))


def get(client: FlaskClient, headers: dict[str, str], path: str, status: int = 200) -> Any:
    response = client.get(path, headers=headers)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return json.loads(response.get_data(as_text=True)) if status == 200 else response.json


def test_gi_star_matches_esda_and_sql_counts(client: FlaskClient, burglary: None,
                                            analyst: dict[str, str],
                                            connection: sa.Connection) -> None:
    query = "/api/v1/hotspots?method=gi_star&cell_m=500&category=burglary&from=2023-01&to=2024-12"
    answer = get(client, analyst, query)
    features = answer["features"]
    summary = answer["properties"]
    assert summary["incidents"] == 31_413 and summary["counted"] == 31_413
    assert summary["snapped_to_edge_cells"] > 0  # the box edge is a chord in UTM
    counts = np.array([f["properties"]["count"] for f in features], dtype=float)
    # counts: PostGIS point-in-polygon per cell agrees, but for the incidents just outside
    # the outermost cells, which the analysis gives to the nearest cell
    geoms = [json.dumps(f["geometry"]) for f in features]
    sql_counts = connection.execute(sa.text(
        "SELECT (SELECT count(*) FROM incidents i WHERE ST_Covers(ST_SetSRID("
        "ST_GeomFromGeoJSON(g), 4326), i.geom)) FROM unnest(CAST(:g AS text[])) "
        "WITH ORDINALITY AS t(g, n) ORDER BY n"), {"g": geoms}).scalars().all()
    extra = counts - np.array(sql_counts, dtype=float)
    assert (extra >= 0).all() and extra.sum() == summary["snapped_to_edge_cells"]
    # z-scores: esda's G_Local (star, binary) with libpysal's queen weights built here
    import geopandas as gpd
    from esda.getisord import G_Local
    from libpysal.weights import Queen

    cells = gpd.GeoDataFrame(geometry=[shapely.geometry.shape(f["geometry"])
                                       for f in features], crs=4326).to_crs(32630)
    with warnings.catch_warnings():  # libpysal warns about islands/disconnected parts
        warnings.simplefilter("ignore")
        w = Queen.from_dataframe(cells, use_index=False)
        reference = G_Local(counts, w, transform="B", star=True, permutations=0)
    z = np.array([f["properties"]["z"] for f in features])
    np.testing.assert_allclose(z, reference.Zs, atol=1e-5)  # the API rounds to 6 decimals
    # the defaults decide as Esri: two-sided p from z, FDR at each confidence level
    significance = summary["significance"]
    assert (significance["p_method"], significance["fdr"], significance["permutations"]) \
        == ("analytical", True, 0)
    p = np.array([f["properties"]["p"] for f in features])
    np.testing.assert_allclose(p, 2 * norm.sf(np.abs(reference.Zs)), atol=1e-6)
    unadjusted = get(client, analyst, query + "&fdr=false")
    assert unadjusted["properties"]["significance"]["fdr"] is False
    for fdr, collection in ((True, answer), (False, unadjusted)):
        bins = np.array([f["properties"]["bin"] for f in collection["features"]])
        expected = esri_bins(reference.Zs, fdr=fdr)
        assert set(np.flatnonzero(bins >= 2)) == set(np.flatnonzero(expected >= 2))
        np.testing.assert_array_equal(bins, expected)
    bins = np.array([f["properties"]["bin"] for f in features])
    assert (bins >= 2).sum() > 10
    hottest = features[int(np.argmax(z))]["properties"]
    assert hottest["bin"] == 3 and hottest["p_fdr"] <= 0.01
    assert {"code", "count", "z", "p", "p_fdr", "bin"} <= set(hottest)
    critical = significance["critical_p"]
    assert set(critical) == {"90", "95", "99"} and 0 < critical["95"] <= 0.05
    assert (p[bins >= 2] <= critical["95"] + 1e-6).all()


def esri_bins(z: np.ndarray, *, fdr: bool) -> np.ndarray:
    """Gi_Bin written out: two-sided normal p, levels 0.10/0.05/0.01, with FDR the
    Benjamini-Hochberg step-up at each level over all cells."""
    p = 2 * norm.sf(np.abs(z))
    ordered = np.sort(p)
    bins = np.zeros(p.size, dtype=int)
    for magnitude, level in ((1, 0.10), (2, 0.05), (3, 0.01)):
        if fdr:
            passing = np.flatnonzero(ordered <= np.arange(1, p.size + 1) * level / p.size)
            bins[p <= (ordered[passing[-1]] if passing.size else -1.0)] = magnitude
        else:
            bins[p <= level] = magnitude
    return np.sign(z).astype(int) * bins


def test_other_methods_and_exports(client: FlaskClient, burglary: None,
                                   analyst: dict[str, str]) -> None:
    base = "/api/v1/hotspots?cell_m=500&permutations=99&"
    lisa = get(client, analyst, base + "method=lisa")
    quadrants = {f["properties"]["quadrant"] for f in lisa["features"]}
    assert "HH" in quadrants and quadrants <= {"HH", "LL", "HL", "LH", "not significant"}
    significance = lisa["properties"]["significance"]
    assert (significance["p_method"], significance["permutations"], significance["fdr"],
            significance["alpha"]) == ("permutation", 99, False, 0.05)
    labelled = [f["properties"] for f in lisa["features"]
                if f["properties"]["quadrant"] != "not significant"]
    assert all(c["p"] <= 0.05 for c in labelled)  # two-sided pseudo p at 95 %
    kde = get(client, analyst, base + "method=kde")
    assert kde["properties"]["bandwidth_m"] > 0
    total = sum(f["properties"]["density_per_km2"] for f in kde["features"]) * 0.25
    assert total == pytest.approx(31_413, rel=0.25)  # density × cell area ≈ incidents
    emerging = get(client, analyst, base + "method=emerging&time_bin=quarter")
    assert emerging["properties"]["time_bins"][0] == "2023Q1"
    assert emerging["properties"]["significance"]["fdr_scope"] == "every bin of the cube"
    assert emerging["properties"]["neighbourhood"] == {"time_steps": 1,
                                                       "global_window": "entire cube"}
    assert len(emerging["properties"]["time_bins"]) == 8
    weekly = client.get(base + "method=emerging&time_bin=week", headers=analyst)
    assert weekly.status_code == 422  # police.uk months cannot be put in weeks
    csv_text = client.get(base + "method=gi_star&format=csv",
                          headers=analyst).get_data(as_text=True)
    assert csv_text.splitlines()[0].startswith("code,")


def test_periods_are_read_in_local_time(client: FlaskClient, burglary: None,
                                        analyst: dict[str, str]) -> None:
    # a June record (stored as 31 May 23:00 UTC, British Summer Time) is June's
    june = get(client, analyst, "/api/v1/incident-times?from=2023-06&to=2023-06")
    assert june["monthly"]["months"] == ["2023-06"]
    assert june["hour_weekday"]["counted"] == 0  # months only: no hour of any weekday
    assert june["hour_weekday"]["too_coarse"] == june["incidents"] > 0


def test_bad_parameters_are_named(client: FlaskClient, analyst: dict[str, str]) -> None:
    for query, field in (("method=magic", "method"), ("from=2023-13", "from"),
                         ("cell_m=5", "cell_m"), ("from=2024-01&to=2023-01", "to"),
                         ("colour=red", "colour"),
                         ("method=lisa&p_method=analytical", "p_method"),
                         ("p_method=permutation&permutations=10", "permutations")):
        response = client.get(f"/api/v1/hotspots?{query}", headers=analyst)
        assert response.status_code == 422, (query, response.json)
        assert response.json["field"] == field, (query, response.json)
    empty = client.get("/api/v1/hotspots", headers=analyst)
    assert empty.status_code == 422 and empty.json["error"] == "no_incidents"


def test_near_repeat_on_sf(client: FlaskClient, runner: FlaskCliRunner, tmp_path: Path,
                           analyst: dict[str, str]) -> None:
    result = runner.invoke(args=["import", "incidents", str(SF), "--rejects",
                                 str(tmp_path / "r.csv")])
    assert result.exit_code == 3, result.output  # partly written: 608 without coordinates
    answer = get(client, analyst, "/api/v1/near-repeat?category=burglary&permutations=99")
    assert answer["events"] == 484 and answer["excluded_coarse_time"] == 0
    assert len(answer["bands"]) == 11 * 11
    assert answer["pairs"] == 484 * 483 // 2
    assert sum(b["observed"] for b in answer["bands"]) == answer["pairs"]
    first = answer["bands"][0]
    assert first["distance"] == "[0, 100) m" and first["ratio"] is not None


def test_save_and_promote_are_audited(client: FlaskClient, burglary: None,
                                      analyst: dict[str, str], accounts: Accounts,
                                      connection: sa.Connection) -> None:
    params = {"method": "gi_star", "cell_m": 500, "permutations": 999, "category": "burglary"}
    viewer = bearer(accounts.create("viewer"))
    refused = client.post("/api/v1/hotspot-results", json={"name": "x", "params": params},
                          headers=viewer)
    assert refused.status_code == 403
    saved = client.post("/api/v1/hotspot-results", json={"name": "Burglary 2023-24",
                                                          "params": params}, headers=analyst)
    assert saved.status_code == 201, saved.json
    result_id = saved.json["id"]
    stored = get(client, analyst, f"/api/v1/hotspot-results/{result_id}")
    hot = [f["properties"]["code"] for f in stored["features"]
           if f["properties"]["bin"] >= 2]
    assert hot and stored["properties"]["params"]["cell_m"] == 500
    promoted = client.post(f"/api/v1/hotspot-results/{result_id}/promote",
                           json={"target": "patrol_hotspots", "reason": "weekly review"},
                           headers=analyst)
    assert promoted.status_code == 200, promoted.json
    assert sorted(promoted.json["codes"]) == sorted(hot)
    rows = connection.execute(sa.text(
        "SELECT code, dosage_min, dosage_max, revisit_min FROM patrol_hotspots")).all()
    assert sorted(r[0] for r in rows) == sorted(hot)
    assert {(r[1], r[2], r[3]) for r in rows} == {(10, 16, 120)}
    points = client.post(f"/api/v1/hotspot-results/{result_id}/promote",
                         json={"target": "must_visit_points", "codes": hot[:2]},
                         headers=analyst)
    assert points.status_code == 200, points.json
    inside = connection.execute(sa.text(
        "SELECT bool_and(ST_Covers(h.geom, m.geom)) FROM must_visit_points m "
        "JOIN patrol_hotspots h ON h.code = m.source_ref")).scalar_one()
    assert inside is True
    actions = connection.execute(sa.text(
        "SELECT action FROM audit_log WHERE action LIKE 'hotspots.%' ORDER BY id")).scalars()
    assert list(actions) == ["hotspots.save", "hotspots.promote.patrol_hotspots",
                             "hotspots.promote.must_visit_points"]
    unknown = client.post(f"/api/v1/hotspot-results/{result_id}/promote",
                          json={"codes": ["nope"]}, headers=analyst)
    assert unknown.status_code == 422 and unknown.json["field"] == "codes"


def test_analyst_page_renders_every_method(client: FlaskClient, burglary: None,
                                           accounts: Accounts) -> None:
    login(client, accounts.create("analyst"))
    base = "/analysis?run=1&cell_m=500&permutations=99&category=burglary&method="
    kde = follow_job(client, client.get(base + "kde")).get_data(as_text=True)
    assert "data:image/png;base64," in kde and "hotspot-legend" in kde
    lisa = follow_job(client, client.get(base + "lisa")).get_data(as_text=True)
    assert "High-high cluster" in lisa and "top-cells" in lisa
    assert "Two-sided p-values from 99 permutations, no FDR correction" in lisa
    gi = follow_job(client, client.get(base + "gi_star")).get_data(as_text=True)
    assert "Two-sided p-values from z-scores (analytical), FDR-corrected" in gi
    assert 'id="run-critical-p"' in gi
    emerging = follow_job(client, client.get(base + "emerging&time_bin=quarter")
                          ).get_data(as_text=True)
    assert "Emerging hot-spot patterns" in emerging
    bad = follow_job(client, client.get(base + "emerging&time_bin=week")).get_data(as_text=True)
    assert 'id="analysis-error"' in bad and "time_bin" in bad
    # the form sends every field; the export links keep only what the hot-spot API takes
    page = follow_job(client, client.get(
        base + "gi_star&distance_band_m=100&time_band_days=1&metric=euclidean")
                      ).get_data(as_text=True)
    for link in ("export-geojson", "export-csv"):
        found = re.search(rf'href="([^"]+)" id="{link}"', page)
        assert found, link
        exported = client.get(unescape(found[1]))
        assert exported.status_code == 200, (link, exported.get_data(as_text=True)[:300])
    # police.uk months cannot form near-repeat pairs: said, not a server error
    near = follow_job(client, client.get("/analysis?run=1&method=near_repeat&category=burglary"))
    assert near.status_code == 200 and 'id="analysis-error"' in near.get_data(as_text=True)
    for html in (kde, lisa, emerging):  # every script and style sheet is served from here
        assets = re.findall(r'<(?:script[^>]*\ssrc|link[^>]*\shref)="([^"]+)"', html)
        assert assets and all(a.startswith("/") or a.startswith("data:") for a in assets), \
            assets


def test_time_tables_counted_in_sql_equal_the_pure_counts(
        client: FlaskClient, burglary: None, runner: FlaskCliRunner, tmp_path: Path,
        analyst: dict[str, str], app: Any) -> None:
    """The hour × weekday and monthly tables are counted by PostgreSQL; the reference is
    gis.hotspots.temporal on the incidents loaded into pandas, as the tables were made
    before (SF: minute times in Los Angeles time; London: months in London time)."""
    from werkzeug.datastructures import MultiDict

    from app.analysis.data import incidents_at_most, load_incidents
    from app.analysis.params import DataFilter, from_query
    from app.db import get_session
    from app.jobs.worker import run_inline
    from gis.hotspots import hour_weekday_counts, monthly_counts

    sf_box = write_box(tmp_path / "sf.geojson", "San Francisco", (-122.53, 37.69, -122.35,
                                                                  37.84))
    assert runner.invoke(args=["import", "boundary", str(sf_box)]).exit_code == 0
    assert runner.invoke(args=["import", "incidents", str(SF), "--rejects",
                               str(tmp_path / "r.csv")]).exit_code == 3
    queries = ["", "from=2018-12-08&to=2018-12-20", "category=theft,burglary",
               "area=London central", "from=2023-03&to=2023-05&category=burglary"]
    for query in queries:
        answer = get(client, analyst, f"/api/v1/incident-times?{query}")
        with app.app_context():
            data = from_query(DataFilter, MultiDict(
                [tuple(part.split("=", 1)) for part in query.split("&") if part]))
            frame = load_incidents(get_session(), data)
        hours = hour_weekday_counts(frame["local_time"], frame["time_resolution"])
        months = monthly_counts(frame["local_time"], frame["time_resolution"])
        assert answer["incidents"] == len(frame) > 0, query
        assert answer["hour_weekday"]["counts"] == hours.table.to_numpy().tolist(), query
        assert answer["hour_weekday"]["weekdays"] == [str(d) for d in hours.table.index]
        assert (answer["hour_weekday"]["counted"], answer["hour_weekday"]["too_coarse"]) \
            == (hours.counted, hours.too_coarse), query
        assert answer["monthly"]["months"] == [str(m) for m in months.counts.index], query
        assert answer["monthly"]["counts"] == months.counts.tolist(), query
    # both data sets at once: SF's minutes fill the table, London's months do not; the
    # months between December 2018 and January 2023 are there, with nothing in them
    both = get(client, analyst, "/api/v1/incident-times")
    assert both["hour_weekday"]["counted"] == 11_276
    assert both["hour_weekday"]["too_coarse"] == 31_413
    assert both["monthly"]["months"][:2] == ["2018-12", "2019-01"]
    assert both["monthly"]["counts"][1] == 0 and len(both["monthly"]["months"]) == 73
    nothing = client.get("/api/v1/incident-times?from=2030-01", headers=analyst)
    assert nothing.status_code == 422 and nothing.json["error"] == "no_incidents"
    # past a million matching incidents (here: asked for) the tables are a job
    with app.app_context():
        assert incidents_at_most(get_session(), DataFilter(), 1_000_000)
    queued = client.get("/api/v1/incident-times", headers={
        **analyst, "Prefer": "respond-async"})
    assert queued.status_code == 202 and queued.json["kind"] == "incident_times"
    with app.app_context():
        session = get_session()
        assert run_inline(session, queued.json["id"]).state == "done"
        session.commit()
    assert get(client, analyst, f"/api/v1/jobs/{queued.json['id']}/result") == both
