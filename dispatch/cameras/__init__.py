"""Camera registry rules: camera kinds, GB/T 28181 device IDs, camera records and CSV import.

Pure decisions only: no database, no network. The service layer validates here, then writes.

Modules
-------
- :mod:`~dispatch.cameras.kinds`: camera kinds and statuses, their labels and aliases, and
  each kind's default range.
- :mod:`~dispatch.cameras.gb_id`: GB/T 28181 device IDs (:func:`validate_gb_id`); the
  rules enforced and not checked are in its docstring.
- :mod:`~dispatch.cameras.records`: camera records (:class:`CameraInput`, pydantic, unknown
  fields refused), including stream URLs; the field rules are in its docstring.
- :mod:`~dispatch.cameras.csv_import`: CSV import (:func:`parse_camera_csv`): see its
  docstring.

Every public name of these modules is re-exported here, so ``from dispatch.cameras import
X`` works. Subpackages with heavier needs are imported by name: ``dispatch.cameras.health``
(picture checks: numpy and OpenCV) and ``dispatch.cameras.catalog`` (GB/T 28181
catalogues: defusedxml and the datum conversions).
"""

from __future__ import annotations

from dispatch.cameras.csv_import import (
    COLUMN_ALIASES,
    REQUIRED_COLUMNS,
    CsvResult,
    parse_camera_csv,
)
from dispatch.cameras.gb_id import (
    CAMERA_TYPE_CODES,
    PROVINCES,
    GbId,
    InvalidGbId,
    describe_gb_type,
    validate_gb_id,
)
from dispatch.cameras.kinds import (
    DEFAULT_RANGE_M,
    KIND_ALIASES,
    STATUS_ALIASES,
    CameraKind,
    CameraStatus,
    parse_camera_kind,
    parse_camera_status,
)
from dispatch.cameras.records import CameraInput
from dispatch.tabular import RowError

__all__ = [
    "CAMERA_TYPE_CODES",
    "COLUMN_ALIASES",
    "DEFAULT_RANGE_M",
    "KIND_ALIASES",
    "PROVINCES",
    "REQUIRED_COLUMNS",
    "STATUS_ALIASES",
    "CameraInput",
    "CameraKind",
    "CameraStatus",
    "CsvResult",
    "GbId",
    "InvalidGbId",
    "RowError",
    "describe_gb_type",
    "parse_camera_csv",
    "parse_camera_kind",
    "parse_camera_status",
    "validate_gb_id",
]
