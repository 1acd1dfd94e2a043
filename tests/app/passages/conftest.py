"""Fixtures of the passage tests: the app in Shanghai time, checkpoints registered through
the API, tokens of the roles that search, import and feed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import Accounts, DatabaseInfo, bearer, make_app

SHANGHAI = ZoneInfo("Asia/Shanghai")
# The day searched: two days ago, local; its passages lie in the default partition or in
# their day's (the tests hold for both).
DAY = (datetime.now(SHANGHAI) - timedelta(days=2)).replace(hour=0, minute=0, second=0,
                                                           microsecond=0)
CHECKPOINTS = {  # code: (name, lon, lat, directions) — central London
    "K01": ("Cheapside", -0.0950, 51.5142, ["东向西", "西向东"]),
    "K02": ("Aldgate", -0.0760, 51.5137, []),
    "K03": ("Holborn", -0.1100, 51.5175, []),
}


@pytest.fixture
def app(database: DatabaseInfo, connection: sa.Connection) -> Flask:
    return make_app(database, DB_CONNECTION=connection, TIMEZONE="Asia/Shanghai")


@pytest.fixture
def roles(accounts: Accounts) -> dict[str, dict[str, str]]:
    return {role: bearer(accounts.create(role)) for role in (
        "supervisor", "analyst", "dispatcher", "viewer", "device", "video_operator",
        "maintainer")}


def add_checkpoints(client: FlaskClient, headers: dict[str, str],
                    sites: dict[str, Any] | None = None) -> dict[str, int]:
    ids = {}
    for code, (name, lon, lat, directions) in (sites or CHECKPOINTS).items():
        answer = client.post("/api/v1/checkpoints", headers=headers, json={
            "code": code, "name": name, "lon": lon, "lat": lat, "directions": directions})
        assert answer.status_code == 201, answer.json
        ids[code] = answer.json["id"]
    return ids


@pytest.fixture
def sites(client: FlaskClient, roles: dict[str, dict[str, str]]) -> dict[str, int]:
    return add_checkpoints(client, roles["supervisor"])


def local(hour: int, minute: int = 0, second: int = 0) -> str:
    """A time of DAY written as checkpoint exports write it (local, no zone)."""
    return (DAY + timedelta(hours=hour, minutes=minute, seconds=second)).strftime(
        "%Y-%m-%d %H:%M:%S")


def iso(hour: int, minute: int = 0) -> str:
    return (DAY + timedelta(hours=hour, minutes=minute)).isoformat()


def utc(hour: int, minute: int = 0, second: int = 0) -> datetime:
    return (DAY + timedelta(hours=hour, minutes=minute, seconds=second)).astimezone(UTC)
