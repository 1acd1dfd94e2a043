"""Fixtures of the dispatch API tests: the London extract imported, a supervisor's and a
dispatcher's token headers."""

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
def supervisor(accounts: Accounts) -> dict[str, str]:
    return bearer(accounts.create("supervisor"))


@pytest.fixture
def dispatcher(accounts: Accounts) -> dict[str, str]:
    return bearer(accounts.create("dispatcher"))
