"""Fixtures of the evidence tests: the London extract imported, an analyst's token."""

from __future__ import annotations

import pytest
from flask.testing import FlaskCliRunner

from tests.app.dispatch.support import LONDON
from tests.conftest import Accounts, bearer


@pytest.fixture
def london(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["import", "osm", str(LONDON)])
    assert result.exit_code == 0, result.output


@pytest.fixture
def analyst(accounts: Accounts) -> dict[str, str]:
    return bearer(accounts.create("analyst"))
