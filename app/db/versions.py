"""Data-set version counters: bumped by every import, read by per-process caches."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session


def data_version(session: Session, name: str) -> int:
    version = session.execute(sa.text("SELECT version FROM data_versions WHERE name = :n"),
                              {"n": name}).scalar_one_or_none()
    return int(version or 0)
