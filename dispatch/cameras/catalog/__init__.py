"""GB/T 28181 catalogues: reading the Catalog responses safely, and sorting their items.

- :mod:`~dispatch.cameras.catalog.reading`: the responses of one or more files, each in
  its encoding, parsed with defusedxml and bounded (:func:`read_catalog`).
- :mod:`~dispatch.cameras.catalog.sorting`: the items sorted into cameras, items that are
  not cameras and refusals (:func:`sort_catalog`), the catalogue's record of an item
  (:func:`catalog_record`) and the state the catalogue gives a camera
  (:func:`status_after_catalog`).

A package of its own, as ``health/`` is: it needs defusedxml and the datum conversions
(numpy), which the camera registry's rules (``dispatch.cameras``) do without.
"""

from __future__ import annotations

from dispatch.cameras.catalog.reading import (
    INFO_FIELDS,
    ITEM_FIELDS,
    MAX_CATALOG_BYTES,
    MAX_ITEMS,
    CatalogDocument,
    CatalogItem,
    CatalogMessage,
    InvalidCatalog,
    read_catalog,
)
from dispatch.cameras.catalog.sorting import (
    CAMERA_TYPES,
    DIRECTION_AZIMUTH_DEG,
    PTZ_KINDS,
    RECORDER_TYPES,
    CatalogCamera,
    CatalogSorting,
    CatalogStatus,
    RefusedItem,
    SkippedItem,
    catalog_record,
    sort_catalog,
    status_after_catalog,
)

__all__ = [
    "CAMERA_TYPES",
    "DIRECTION_AZIMUTH_DEG",
    "INFO_FIELDS",
    "ITEM_FIELDS",
    "MAX_CATALOG_BYTES",
    "MAX_ITEMS",
    "PTZ_KINDS",
    "RECORDER_TYPES",
    "CatalogCamera",
    "CatalogDocument",
    "CatalogItem",
    "CatalogMessage",
    "CatalogSorting",
    "CatalogStatus",
    "InvalidCatalog",
    "RefusedItem",
    "SkippedItem",
    "catalog_record",
    "read_catalog",
    "sort_catalog",
    "status_after_catalog",
]
