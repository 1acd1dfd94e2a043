"""A live server on 127.0.0.1 and Debian's chromium driven by Playwright.

The live server is the app on werkzeug's threaded server behind the front (the events
service and proxy of `gridpatrol serve`), so the console's EventSource takes the real path.

Nothing here skips: a missing /usr/bin/chromium fails the tests (`make test` installs it).
Every page a test opens is watched: a request to any host but the app, a script error, a
server error or a Content-Security-Policy violation fails the test.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from werkzeug.serving import make_server

from app.cli.demo import demo_osm_file, ensure_demo_users
from app.db import engine, get_session
from app.geography.import_grids import build_grids
from app.geography.import_osm import import_osm
from app.maps.label_font import make as make_label_font
from app.serving.front import EventSettings
from tests.browser.support import watch_csp
from tests.conftest import (
    ROOT,
    SHARED_DATA,
    TEST_SECRET,
    DatabaseInfo,
    make_app,
    scratch_database,
)
from tests.served import ThreadedFront

CHROMIUM = "/usr/bin/chromium"
LONDON = SHARED_DATA / "osm" / "london-central.osm.pbf"
EXTRACTS = {
    "London Central": LONDON,
    "Heidelberg": SHARED_DATA / "osm" / "heidelberg.osm.pbf",
    "Porto": SHARED_DATA / "osm" / "porto.osm.pbf",
    "Helsinki": demo_osm_file("helsinki"),
}
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="session")
def live_database() -> Iterator[DatabaseInfo]:
    """A database of its own for the live server, holding committed demo data."""
    with scratch_database("browser") as info:
        yield info


def closed_before_served(app: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
    """The app with each answer read and closed before werkzeug writes it.

    werkzeug's development server skips closing the answer when the browser drops the
    connection while it drains the request (a static file left open, a ResourceWarning
    failing an unrelated test). Event streams are passed through as they are.
    """
    def serve(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        streaming = False

        def started(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            nonlocal streaming
            streaming = any(name.lower() == "content-type"
                            and value.startswith("text/event-stream")
                            for name, value in headers)
            return start_response(status, headers, exc_info)

        answer = app(environ, started)
        if streaming:
            return answer
        try:
            return [b"".join(answer)]
        finally:
            close = getattr(answer, "close", None)
            if close is not None:
                close()

    return serve


JOB_WORKER = """
import sys
from app import create_app
from app.jobs.worker import serve_forever
serve_forever(create_app({"TESTING": True, "SECRET_KEY": sys.argv[2],
                          "DATABASE_URL": sys.argv[1]}), concurrency=2)
"""


@contextmanager
def job_worker(database_url: str) -> Iterator[subprocess.Popen[bytes]]:
    """As `gridpatrol serve` does: a job worker process beside the app (plans, analyses);
    a process of its own, so a plan's CPU does not starve the test server."""
    worker = subprocess.Popen([sys.executable, "-c", JOB_WORKER, database_url, TEST_SECRET],
                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield worker
    finally:
        worker.terminate()
        worker.wait(60)


@pytest.fixture(scope="session")
def live_server(live_database: DatabaseInfo,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The app on 127.0.0.1 with the four extracts (London first, with a 250 m grid) and
    the demo users."""
    app = make_app(live_database)
    make_label_font()  # as `make setup` does: the Chinese labels' web font
    with app.app_context():
        session = get_session()
        import_osm(session, LONDON, reason="browser tests")
        session.commit()
        build_grids(session, shape="square", cell_m=250)
        session.commit()
        for path in EXTRACTS.values():
            if path != LONDON:
                import_osm(session, path, reason="browser tests")
                session.commit()
        logins = ensure_demo_users(session, tmp_path_factory.mktemp("demo") / "logins.json")
    server = make_server("127.0.0.1", 0, closed_before_served(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    # as `gridpatrol serve` does: the front serves the event streams, the app the rest
    front = ThreadedFront(f"http://127.0.0.1:{server.server_port}", live_database.app_url,
                          EventSettings()).start()
    try:
        with job_worker(live_database.app_url):
            yield {"url": front.url, "logins": logins, "app": app}
    finally:
        front.stop()
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        engine(app).dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    assert os.path.exists(CHROMIUM), f"{CHROMIUM} is missing: run `make test` to install it"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, live_server: dict[str, Any]) -> Iterator[Page]:
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 800})
    page = context.new_page()
    app_host = urlsplit(live_server["url"]).netloc
    foreign: list[str] = []
    page.on("request", lambda request: foreign.append(request.url)
            if urlsplit(request.url).netloc not in (app_host, "") else None)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("response", lambda response: errors.append(f"{response.status} {response.url}")
            if response.status >= 500 else None)
    violations = watch_csp(page)
    yield page
    context.close()
    assert foreign == [], f"requests left the machine: {foreign}"
    assert errors == [], f"script errors or server errors: {errors}"
    assert violations == [], f"Content-Security-Policy violations: {violations}"


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
