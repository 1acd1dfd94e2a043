"""Crime-incident exports of any layout read into clean rows and rejects.

- :mod:`~gis.incidents.mapping`: which column holds what; presets; layout detection.
- :mod:`~gis.incidents.categories`: the common categories, the source tables and rules.
- :mod:`~gis.incidents.category_map`: an analyst's category map file (CSV).
- :mod:`~gis.incidents.sources`: files (CSV, GeoJSON, GeoPackage, Shapefile) to text tables.
- :mod:`~gis.incidents.times`: time text to UTC instants and a resolution.
- :mod:`~gis.incidents.time_columns`: what a time column holds (HHMM numbers, Excel
  serials, epoch seconds, day- or month-first dates), worked out before reading it.
- :mod:`~gis.incidents.points`: coordinate cells or geometries to WGS-84.
- :mod:`~gis.incidents.reader`: :func:`read_incidents` and :func:`write_rejects_csv`.
"""

from gis.incidents.categories import (
    Categorised,
    Category,
    CategoryTable,
    categorise,
    load_category_table,
)
from gis.incidents.category_map import category_map_csv, read_category_map
from gis.incidents.mapping import (
    PRESETS,
    ColumnMapping,
    detect_mapping,
    mapping_from_dict,
    parse_mapping,
)
from gis.incidents.reader import (
    INCIDENT_COLUMNS,
    REJECT_COLUMNS,
    IncidentReadResult,
    RejectReason,
    read_incidents,
    write_rejects_csv,
)

__all__ = [
    "INCIDENT_COLUMNS", "PRESETS", "REJECT_COLUMNS", "Categorised",
    "Category", "CategoryTable", "ColumnMapping", "IncidentReadResult", "RejectReason",
    "categorise", "category_map_csv", "detect_mapping", "load_category_table",
    "mapping_from_dict", "parse_mapping", "read_category_map", "read_incidents",
    "write_rejects_csv",
]
