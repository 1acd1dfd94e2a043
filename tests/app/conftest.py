"""Fixtures of the app tests: a supervisor's and a dispatcher's token headers."""

from __future__ import annotations

import pytest

from tests.conftest import Accounts, bearer


@pytest.fixture
def supervisor(accounts: Accounts) -> dict[str, str]:
    return bearer(accounts.create("supervisor"))


@pytest.fixture
def dispatcher(accounts: Accounts) -> dict[str, str]:
    return bearer(accounts.create("dispatcher"))
