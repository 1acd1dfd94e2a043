"""The labelled camera-health clips, made once per test run with FFmpeg (about 20 s), and
the rig of the health round's tests: one camera on a clip, a maintainer keeping it."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tests.app.dispatch.support import add_camera
from tests.camera_clips import Clip, labelled_set, other_streets, warm_up_clips
from tests.conftest import Accounts, DatabaseInfo, bearer, make_app


@dataclass(frozen=True)
class ClipSet:
    folder: Path
    warm_up: list[Clip]
    labelled: list[Clip]
    others: list[Clip]

    def clip(self, name: str) -> Clip:
        return next(c for c in [*self.warm_up, *self.labelled, *self.others]
                    if c.name == name)


@pytest.fixture(scope="session")
def clip_set(tmp_path_factory: pytest.TempPathFactory) -> ClipSet:
    folder = tmp_path_factory.mktemp("camera-clips")
    _, labelled = labelled_set(folder / "camera-1")
    return ClipSet(folder, warm_up_clips(folder / "camera-1" / "earlier"), labelled,
                   other_streets(folder / "others"))


@dataclass
class Rig:
    app: Flask
    client: FlaskClient
    accounts: Accounts
    supervisor: dict[str, str]
    outbox: Path
    link: Path
    camera_id: int

    def show(self, clip: Path) -> None:
        """Point the camera's stream (a link under the media folder) at ``clip``."""
        self.link.unlink(missing_ok=True)
        self.link.symlink_to(clip)

    def check(self, *extra: str) -> str:
        result = self.app.test_cli_runner().invoke(
            args=["cameras", "check", "--once", "--camera", str(self.camera_id), *extra])
        assert result.exit_code == 0, result.output
        return result.output

    def sent(self) -> list[dict[str, Any]]:
        if not self.outbox.exists():
            return []
        return [json.loads(line) for line in self.outbox.read_text().splitlines()]


@pytest.fixture
def rig(database: DatabaseInfo, connection: sa.Connection, clip_set: ClipSet,
        tmp_path: Path) -> Iterator[Rig]:
    live = clip_set.folder / "live"
    live.mkdir(exist_ok=True)
    link = live / f"camera-{secrets.token_hex(4)}.mp4"
    app = make_app(database, DB_CONNECTION=connection, MEDIA_DIR=str(clip_set.folder),
                   RADIO_GATEWAY=f"file:{tmp_path / 'outbox.jsonl'}", HEALTH_WORKERS=2)
    client = app.test_client()
    accounts = Accounts(app)
    supervisor = bearer(accounts.create("supervisor"))
    link.symlink_to(clip_set.clip("clean").path)
    camera = add_camera(client, supervisor, name="Main St", stream_url=str(link))
    response = client.post("/api/v1/maintainers", headers=supervisor, json={
        "code": "MT-EQ", "name": "Equipment Co", "kind": "equipment", "contact": "tg-9",
        "response_h": 2, "repair_h": 24})
    assert response.status_code == 200, response.json
    assigned = client.post("/api/v1/maintainers/MT-EQ/cameras", headers=supervisor,
                           json={"camera_ids": [camera["id"]]})
    assert assigned.json == {"maintainer": "MT-EQ", "assigned": 1}
    yield Rig(app, client, accounts, supervisor, tmp_path / "outbox.jsonl", link, camera["id"])
    link.unlink(missing_ok=True)
