"""The analyst's page, rendered: how to load incidents when there are none, what is loaded
when there are, every method's result in Chinese without an English class or parameter
name, labelled tables, and a kernel-density legend whose rows never repeat."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pyproj
import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from app.analysis.map import _heat_legend, distinct_numbers
from gis.hotspots import DensityRaster
from tests.app.analysis.test_import_incidents import BURGLARY, LONDON_BOX, write_box
from tests.app.jobs.support import follow_job
from tests.app.page_words import english_left, english_names, visible_text
from tests.conftest import Accounts, login

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
ANALYSIS_TABLES = ("grid_shape", "time_bin", "method", "neighbours", "p_method", "gi_bin",
                   "lisa_quadrant", "emerging_pattern", "cell_field", "grid_origin",
                   "bandwidth_rule", "weekday", "time_resolution")
AREA = "London central"


@pytest.fixture
def analyst_client(client: FlaskClient, accounts: Accounts) -> FlaskClient:
    login(client, accounts.create("analyst"))
    return client


@pytest.fixture
def six_months(runner: FlaskCliRunner, tmp_path: Path) -> None:
    """Half a year of police.uk burglary (month resolution) inside the extract's box."""
    box = write_box(tmp_path / "box.geojson", AREA, LONDON_BOX)
    assert runner.invoke(args=["import", "boundary", str(box)]).exit_code == 0
    files = sorted(BURGLARY.glob("2024-0[1-6]-*.csv"))
    assert len(files) == 6
    result = runner.invoke(args=["import", "incidents", *map(str, files),
                                 "--rejects", str(tmp_path / "rejects.csv")])
    assert result.exit_code == 3, result.output  # the rows outside the box are refused


def test_with_no_incidents_the_page_says_how_to_load_them(analyst_client: FlaskClient
                                                         ) -> None:
    page = analyst_client.get("/analysis").get_data(as_text=True)
    assert 'id="load-incidents"' in page
    assert "gridpatrol import incidents" in page and "/api/v1/incidents/imports" in page
    chinese = visible_text(analyst_client.get("/analysis", headers=ZH).get_data(as_text=True))
    assert "尚未导入任何案件" in chinese and "gridpatrol import incidents" in chinese


def test_the_page_opens_on_what_is_loaded(analyst_client: FlaskClient, six_months: None
                                          ) -> None:
    page = analyst_client.get("/analysis").get_data(as_text=True)
    assert 'id="load-incidents"' not in page
    table = page[page.index('id="incidents-loaded-table"'):]
    table = visible_text(table[:table.index("</table>")])
    assert re.search(r"police_uk\s+Burglary\s+to the month\s+[\d,]+\s+2024-01\s+2024-06",
                     table), table
    # the month pickers are bounded by the data and start empty, with a placeholder
    assert 'data-min="2024-01" data-max="2024-06"' in page
    assert re.search(r'name="from" value="" data-picker="month" placeholder="[^"]+"', page)


@pytest.mark.parametrize("query", [
    "method=gi_star&cell_m=500",
    "method=lisa&cell_m=500&permutations=99",
    "method=emerging&cell_m=1000&time_bin=month",
    "method=kde&cell_m=500",
], ids=lambda q: q.split("&")[0].split("=")[1])
def test_every_method_reads_in_chinese(app: Flask, analyst_client: FlaskClient,
                                       six_months: None, query: str) -> None:
    response = follow_job(analyst_client, analyst_client.get(
        f"/analysis?run=1&area={AREA}&{query}", headers=ZH), headers=ZH)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="analysis-error"' not in html, \
        visible_text(html)[:800]
    text = visible_text(html)
    assert "正方形" in text  # the cell shape, in the form and in the summary
    left = english_left(text, english_names(app, ANALYSIS_TABLES),
                        allowed=[AREA, "Getis-Ord Gi*"])
    assert left == []
    # the finished job's message, written in English by the worker, is worded in Chinese
    box = html[html.index('id="job-progress"'):]
    box = visible_text(box[:box.index("</section>")])
    assert re.search(r"[\d,]+ 个网格中共 [\d,]+ 起案件", box), box
    assert not re.search(r"incidents in [\d,]+ cells", text)
    assert re.search(r'<a id="job-result" hidden', html)  # the result is here: no link to it
    if "emerging" in query:  # Esri's space-time neighbourhood, said in the summary
        assert "时空邻域" in text and "前 1 个时间段" in text, text
    if "kde" not in query:
        head = html[html.index('id="top-cells"'):]
        head = visible_text(head[:head.index("</thead>")])
        assert "网格" in head and "案件" in head, head  # Cell, Incidents: labelled columns


def test_an_english_page_names_the_same_things_in_english(analyst_client: FlaskClient,
                                                          six_months: None) -> None:
    html = follow_job(analyst_client, analyst_client.get(
        f"/analysis?run=1&area={AREA}&method=emerging&cell_m=1000")).get_data(as_text=True)
    text = visible_text(html)
    assert "Cells per class" in text and "square 1000 m" in text
    assert re.search(r"(No pattern detected|hot spot|cold spot): [\d,]+", text), text
    assert "Trend z-score" in text


def raster(top: float) -> DensityRaster:
    density = np.zeros((4, 4))
    density[1, 2] = top
    return DensityRaster(density_per_km2=density, west_m=500_000.0, north_m=5_700_000.0,
                         cell_m=100.0, crs=pyproj.CRS("EPSG:32630"), bandwidth_m=300.0,
                         kernel="quartic")


@pytest.mark.parametrize("top", [2.4, 0.37, 7.0, 1234.5, 250_000.0])
def test_the_density_legend_never_repeats_a_row(top: float) -> None:
    rows = _heat_legend(raster(top))
    texts = [text for _, text in rows]
    assert len(rows) == 5 and len(set(texts)) == 5, texts
    assert all(text.startswith("≥ ") for text in texts)
    values = [float(t[2:].replace(",", "")) for t in texts]
    assert values == sorted(values, reverse=True) and values[-1] > 0


def test_an_empty_surface_has_one_legend_row() -> None:
    assert [text for _, text in _heat_legend(raster(0.0))] == ["≥ 0"]


def test_numbers_get_the_decimals_that_tell_them_apart() -> None:
    assert distinct_numbers([2.1, 1.5, 0.9, 0.3, 0.048]) == ["2.10", "1.50", "0.90", "0.30",
                                                              "0.05"]
    assert distinct_numbers([2100.0, 1500.0, 900.0]) == ["2,100", "1,500", "900"]
    assert distinct_numbers([0.0, 0.0]) == ["0", "0"]
