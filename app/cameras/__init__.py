"""Cameras: registry API, coverage refresh, snapshots (cache and frame grabbing) and the
SQL that reads and writes them (`repository`)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Keep camera coverage up to date when the map changes (an OSM import)."""
    from app.cameras.coverage import refresh_after_osm_import
    from app.geography.hooks import register_after_osm_import

    register_after_osm_import(app, refresh_after_osm_import)
