"""What other areas do after map data is imported, without geography knowing them.

An area registers a hook on the app (`register_after_osm_import`, from its ``init_app``);
`app.geography.import_osm` runs the app's hooks (`run_after_osm_import`) inside the
import's savepoint, after the features are written and before the audit row, so a hook
that fails undoes the whole import. Each hook returns counts that join the import's
``written`` summary (e.g. ``{"camera_coverage": 23}``), or an empty mapping when it had
nothing to do.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from flask import Flask, current_app
from shapely.geometry.base import BaseGeometry
from sqlalchemy.orm import Session

_EXTENSION = "gridpatrol_after_osm_import"


@dataclass(frozen=True)
class OsmImported:
    """What an OSM import has just written (not committed yet).

    ``written``: rows written per table (``roads``, ``road_edges``, ``buildings``, ``pois``,
    ``landcover``, ``cameras``). ``extent``: the box around the extract's roads, buildings
    and cameras (EPSG:4326), or None when it has none of them.
    """

    written: Mapping[str, int]
    extent: BaseGeometry | None


AfterOsmImport = Callable[[Session, OsmImported], Mapping[str, int]]


def register_after_osm_import(app: Flask, hook: AfterOsmImport) -> None:
    """Run ``hook`` after every OSM import in ``app`` (once, however often registered)."""
    hooks: list[AfterOsmImport] = app.extensions.setdefault(_EXTENSION, [])
    if hook not in hooks:
        hooks.append(hook)


def run_after_osm_import(session: Session, imported: OsmImported) -> dict[str, int]:
    """Run the current app's hooks in the order registered; their counts, merged."""
    written: dict[str, int] = {}
    for hook in current_app.extensions.get(_EXTENSION, []):
        written |= hook(session, imported)
    return written
