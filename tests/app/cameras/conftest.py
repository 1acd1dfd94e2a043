"""The labelled camera-health clips, made once per test run with FFmpeg (about 20 s)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.camera_clips import Clip, labelled_set, other_streets, warm_up_clips


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
