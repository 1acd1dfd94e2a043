"""Video evidence: which cameras watch a path and in which minutes (pure).

* :mod:`~gis.evidence.modes` - the modes (car, motorcycle, foot), their speeds and the
  slack that widens a camera's time window;
* :mod:`~gis.evidence.path` - a path cut into timed straight segments (from a drawn or
  routed line, or from the pieces of road reachable from a place);
* :mod:`~gis.evidence.watch` - which cameras' coverage the path crosses, when, and the
  window of recording to pull;
* :mod:`~gis.evidence.path_input` - reading a path from GeoJSON or GPX.

Everything is EPSG:4326 longitude/latitude in degrees, metres and seconds.
"""

from __future__ import annotations

from gis.evidence.modes import MODES, Mode, ModeModel, time_window
from gis.evidence.path import TimedPath, path_from_line, path_from_pieces
from gis.evidence.path_input import line_from_geojson, line_from_gpx
from gis.evidence.watch import CoverageRecord, Passage, Sighting, plan_sightings, watch_passages

__all__ = [
    "MODES",
    "CoverageRecord",
    "Mode",
    "ModeModel",
    "Passage",
    "Sighting",
    "TimedPath",
    "line_from_geojson",
    "line_from_gpx",
    "path_from_line",
    "path_from_pieces",
    "plan_sightings",
    "time_window",
    "watch_passages",
]
