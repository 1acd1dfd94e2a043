"""An analyst imports an incident export on the page, in chromium, with the job worker that
`gridpatrol serve` runs: the progress bar moves, the summary names the rows refused (line,
column, reason), a reload shows it again; and an import cancelled from its progress bar
writes nothing.

The exports are real: the San Francisco export's rows moved into one of the live
database's areas (so they are accepted there; the rows it has without coordinates stay
refused), and the 24 police.uk monthly files. What the first test writes is removed at
its end, so the other pages' tests see the data they expect."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from playwright.sync_api import Page, expect

from app.db import get_session
from tests.app.analysis.test_import_incidents import BURGLARY, SF
from tests.app.jobs.test_import_jobs import first_row_without_coordinates
from tests.browser.test_login_language import sign_in

SOURCE = "browser-upload"


def sql(live_server: dict[str, Any], statement: str, **params: Any) -> Any:
    with live_server["app"].app_context():
        session = get_session()
        rows = session.execute(sa.text(statement), params)
        found = rows.all() if rows.returns_rows else None
        session.commit()
        return found


def moved_export(live_server: dict[str, Any], folder: Path, rows: int) -> tuple[Path, int]:
    """The first ``rows`` records of the SF export, their points moved to a small box
    inside an area of the live database (not London's); the line of the first record
    without coordinates."""
    ((lon, lat),) = sql(live_server, "SELECT ST_X(p), ST_Y(p) FROM (SELECT "
                        "ST_PointOnSurface(geom) AS p FROM areas WHERE name NOT ILIKE "
                        "'london%' ORDER BY id LIMIT 1) AS a")
    with SF.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        fields = list(reader.fieldnames or [])
        records = [next(reader) for _ in range(rows)]
    for record in records:
        if record["Latitude"].strip():
            record["Longitude"] = f"{lon + (float(record['Longitude']) + 122.44) * 0.02:.6f}"
            record["Latitude"] = f"{lat + (float(record['Latitude']) - 37.76) * 0.02:.6f}"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)
    path = folder / "sfpd-moved.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path, first_row_without_coordinates(path)


def test_an_analyst_imports_an_export_and_sees_its_summary_after_a_reload(
        page: Page, live_server: dict[str, Any], tmp_path: Path, artifacts: Path) -> None:
    export, bad_line = moved_export(live_server, tmp_path, 3000)
    try:
        sign_in(page, live_server, "demo-analyst")
        page.wait_for_load_state("networkidle")  # the console's map scripts have run
        with page.expect_navigation():
            page.click("#nav-analysis")
        with page.expect_navigation():
            page.click("#imports-link")
        expect(page.locator("h1")).to_have_text("Import incidents")
        page.set_input_files("#import-form input[name=files]", str(export))
        page.fill("#import-form input[name=source]", SOURCE)
        page.fill("#import-form input[name=reason]", "browser test")
        with page.expect_navigation():
            page.click("#start-import")
        assert "/analysis/imports?job=" in page.url
        expect(page.locator("#job-progress")).to_be_visible()
        expect(page.locator("#import-job-files")).to_contain_text("sfpd-moved.csv")
        # the worker imports it; the page follows the job and then shows its summary
        expect(page.locator("#import-summary")).to_be_visible(timeout=120_000)
        expect(page.locator("#job-state")).to_have_text("Done")
        expect(page.locator("#import-read")).to_have_text("3,000")
        rejected = int(page.locator("#import-rejected").inner_text().replace(",", ""))
        assert rejected > 0
        first = page.locator("#import-rejected-rows tbody tr").first
        expect(first).to_contain_text(str(bad_line))
        expect(first).to_contain_text("Longitude, Latitude")
        expect(first).to_contain_text("no coordinates")
        expect(page.locator("#import-hours rect")).to_have_count(24)
        page.screenshot(path=str(artifacts / "incident-import-done.png"), full_page=True)
        stored = sql(live_server, "SELECT count(*) FROM incidents WHERE source = :s", s=SOURCE)
        assert stored[0][0] == 3000 - rejected
        # a reload shows the same summary, from the job's stored result
        page.reload()
        expect(page.locator("#import-rejected")).to_have_text(f"{rejected:,}")
        expect(page.locator("#import-rejected-rows tbody tr").first).to_contain_text(
            str(bad_line))
        with page.expect_navigation():
            page.locator("#import-list a").first.click()
        expect(page.locator("#import-read")).to_have_text("3,000")
    finally:
        sql(live_server, "DELETE FROM incidents WHERE source = :s", s=SOURCE)


def test_an_import_cancelled_on_its_progress_bar_writes_nothing(
        page: Page, live_server: dict[str, Any]) -> None:
    monthly = sorted(BURGLARY.glob("*.csv"))  # 24 files, 108,789 rows: seconds of work
    before = sql(live_server, "SELECT count(*) FROM incident_imports")[0][0]
    sign_in(page, live_server, "demo-analyst")
    page.wait_for_load_state("networkidle")  # the console's map scripts have run
    page.goto(live_server["url"] + "/analysis/imports")
    page.set_input_files("#import-form input[name=files]", [str(p) for p in monthly])
    page.fill("#import-form input[name=source]", "browser-cancelled")
    with page.expect_navigation():
        page.click("#start-import")
    box = page.locator("#job-progress")
    expect(box).to_have_attribute("data-job-state", "running", timeout=60_000)
    page.click("#job-cancel")
    expect(box).to_have_attribute("data-job-state", "cancelled", timeout=60_000)
    expect(page.locator("#job-state")).to_have_text("Cancelled")
    expect(page.locator("#import-summary")).to_have_count(0)
    assert sql(live_server, "SELECT count(*) FROM incidents WHERE source = "
                            "'browser-cancelled'")[0][0] == 0
    assert sql(live_server, "SELECT count(*) FROM incident_imports")[0][0] == before
    assert sql(live_server, "SELECT count(*) FROM job_files")[0][0] == 0
