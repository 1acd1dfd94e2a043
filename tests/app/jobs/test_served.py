"""``gridpatrol serve`` starts the job worker beside the app server: a request that becomes
a job over real HTTP is finished by it; stopping the server stops the worker."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path
from typing import Any

from flask import Flask

from tests.app.analysis.test_import_incidents import SF
from tests.app.jobs.conftest import People
from tests.conftest import DatabaseInfo
from tests.served import served


def fetch(url: str, headers: dict[str, str]) -> tuple[int, dict[str, str], Any]:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - loopback
    with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310 - loopback
        return answer.status, dict(answer.headers), json.loads(answer.read())


def test_serve_runs_the_jobs(jobs_app: Flask, jobs_database: DatabaseInfo, people: People,
                             tmp_path: Path) -> None:
    result = jobs_app.test_cli_runner().invoke(
        args=["import", "incidents", str(SF), "--rejects", str(tmp_path / "r.csv")])
    assert result.exit_code == 3, result.output
    analyst = people.make("analyst")
    with served(jobs_database.app_url, tmp_path / "serve.log") as server:
        status, headers, job = fetch(
            server.url + "/api/v1/near-repeat?category=burglary&permutations=99",
            analyst["headers"] | {"Prefer": "respond-async"})
        assert status == 202 and headers["Location"] == f"/api/v1/jobs/{job['id']}"
        deadline = time.monotonic() + 240
        while job["state"] in ("queued", "running"):
            assert time.monotonic() < deadline, f"job not done: {job}"
            time.sleep(0.3)
            _, _, job = fetch(server.url + headers["Location"], analyst["headers"])
        assert job["state"] == "done", job
        _, _, table = fetch(server.url + job["result"], analyst["headers"])
        assert table["events"] == 484
    log = (tmp_path / "serve.log").read_text()
    assert "job worker" in log and "done in" in log
