"""The map console with the Heidelberg area in headless chromium: time until idle.

    .venv/bin/python benchmarks/map_page.py [--runs 5]

"Idle" is when the visible basemap vector tiles are drawn and the areas layer has
loaded (``gridpatrol.idleAt``, ms since navigation started), in a new browser context
each run (no browser cache). Run 1 renders tiles in PostGIS; later runs hit the
server's tile cache. Target ≤ 2 s. The page is also timed to Playwright's
``networkidle`` (500 ms without requests, so it includes that wait).
"""

from __future__ import annotations

import argparse
import threading
import time

from common import HEIDELBERG, bench_database, median, percentile, table
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from app.cli.demo import ensure_demo_users
from app.db import get_session
from app.geography.import_grids import build_grids
from app.geography.import_osm import import_osm
from tests.browser.support import wait_for  # the page's CSP refuses wait_for_function's eval

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with bench_database() as bench:
        app = bench["app"]
        with app.app_context():
            session = get_session()
            import_osm(session, HEIDELBERG)
            session.commit()
            build_grids(session, shape="square", cell_m=500)
            session.commit()
            import tempfile
            from pathlib import Path
            logins = ensure_demo_users(session, Path(tempfile.mkdtemp()) / "logins.json")
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_port}"
        idle, network_idle = [], []
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            for _ in range(args.runs):
                context = browser.new_context(viewport={"width": 1280, "height": 800})
                page = context.new_page()
                page.goto(url + "/login")
                page.fill("#username", "demo-dispatcher")
                page.fill("#password", logins["demo-dispatcher"])
                start = time.perf_counter()
                page.click("#sign-in")
                wait_for(page, "window.gridpatrol && gridpatrol.idleAt !== null")
                idle.append(page.evaluate("gridpatrol.idleAt") / 1000)
                page.wait_for_load_state("networkidle")
                network_idle.append(time.perf_counter() - start)
                context.close()
            browser.close()
        server.shutdown()
    rows = [["map idle (tiles + areas), s", f"{idle[0]:.2f}", f"{median(idle[1:] or idle):.2f}",
             f"{percentile(idle, 95):.2f}"],
            ["to networkidle incl. 0.5 s quiet, s", f"{network_idle[0]:.2f}",
             f"{median(network_idle[1:] or network_idle):.2f}",
             f"{percentile(network_idle, 95):.2f}"]]
    print(f"Heidelberg map console, {args.runs} runs, 1280×800")
    print(table(rows, ["measure", "run 1 (cold tiles)", "median warm", "p95"]))
    print(f"target ≤ 2 s to idle: {'met' if max(idle) <= 2.0 else 'NOT met'}")


if __name__ == "__main__":
    main()
