"""Crime-incident exports of any layout read into clean rows and rejects.

- :mod:`~gis.incidents.mapping`: which column holds what; presets; layout detection.
- :mod:`~gis.incidents.categories`: the common categories and the source tables.
- :mod:`~gis.incidents.sources`: files (CSV, GeoJSON, GeoPackage, Shapefile) to text tables.
- :mod:`~gis.incidents.times`: time text to UTC instants and a resolution.
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
    "categorise", "detect_mapping", "load_category_table", "mapping_from_dict",
    "parse_mapping", "read_incidents", "write_rejects_csv",
]
