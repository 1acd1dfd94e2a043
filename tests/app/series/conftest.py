"""Fixtures of the series tests: an analyst's token."""

from __future__ import annotations

import pytest

from tests.conftest import Accounts, bearer


@pytest.fixture
def analyst(accounts: Accounts) -> dict[str, str]:
    return bearer(accounts.create("analyst"))
