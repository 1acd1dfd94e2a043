"""Fixtures of the tour tests: the town loaded, a supervisor and a video operator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient, FlaskCliRunner

from tests.app.tours.support import load_town, town_cameras
from tests.conftest import Accounts, bearer


@pytest.fixture
def supervisor(accounts: Accounts) -> dict[str, str]:
    return bearer(accounts.create("supervisor"))


@pytest.fixture
def operator(accounts: Accounts) -> dict[str, str]:
    return bearer(accounts.create("video_operator"))


@pytest.fixture
def town(runner: FlaskCliRunner, client: FlaskClient, supervisor: dict[str, str],
         tmp_path: Path) -> dict[str, dict[str, Any]]:
    load_town(runner, tmp_path)
    return town_cameras(client, supervisor)
