"""Fixtures of the ingest tests: a real broker, a database of their own (the service
commits, as it does in production), the app on it, and units."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import shapely
from flask import Flask

from app.db import engine, get_session
from app.db.geometry import to_ewkb
from app.ingest.broker import Broker
from app.models import Alert, Unit
from tests.app.ingest.support import running_broker
from tests.conftest import DatabaseInfo, make_app, scratch_database


@pytest.fixture(scope="module")
def broker() -> Iterator[Broker]:
    with running_broker() as started:
        yield started


@pytest.fixture(scope="module")
def ingest_database() -> Iterator[DatabaseInfo]:
    with scratch_database("ingest") as info:
        yield info


@pytest.fixture(scope="module")
def ingest_app(ingest_database: DatabaseInfo) -> Iterator[Flask]:
    app = make_app(ingest_database)
    yield app
    engine(app).dispose()


@pytest.fixture
def journal(tmp_path: Path) -> Path:
    return tmp_path / "journal.sqlite"


class Units:
    """Units and alerts made in the ingest database (committed)."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.count = 0

    def add(self, *, radio_ids: tuple[str, ...] = (), status: str = "available") -> int:
        self.count += 1
        with self.app.app_context():
            session = get_session()
            unit = Unit(callsign=f"T-{secrets.token_hex(4)}", kind="patrol_car",
                        status=status, radio_ids=list(radio_ids))
            session.add(unit)
            session.commit()
            return unit.id

    def dispatch(self, unit_id: int) -> int:
        """An alert with ``unit_id`` dispatched to it."""
        with self.app.app_context():
            session = get_session()
            alert = Alert(level="red", kind="robbery", source="test", raised_by="test",
                          geom=to_ewkb(shapely.Point(24.94, 60.17)))
            session.add(alert)
            session.flush()
            unit = session.get(Unit, unit_id)
            unit.status, unit.alert_id = "dispatched", alert.id
            session.commit()
            return alert.id


@pytest.fixture
def units(ingest_app: Flask) -> Units:
    return Units(ingest_app)
