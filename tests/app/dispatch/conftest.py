"""Fixtures of the dispatch API tests: the London extract imported (the role headers are
in tests/app/conftest.py)."""

from __future__ import annotations

import pytest
from flask.testing import FlaskCliRunner

from tests.app.dispatch.support import LONDON


@pytest.fixture
def london(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["import", "osm", str(LONDON)])
    assert result.exit_code == 0, result.output

