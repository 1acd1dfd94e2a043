"""Every SQL statement of the map itself, one module per concept: ``features`` (GeoJSON
reads, name search, areas by name or place, the map's extent), ``areas``, ``cells`` (patrol
grid), ``edges`` (the road graph), ``tiles`` (vector basemap) and ``osm`` (the import)."""

from __future__ import annotations

from app.geography.params import BBox
from app.geography.repository.features import (
    MAX_FEATURES,
    area_id_at,
    area_id_named,
    area_ids_at,
    feature_collection,
    map_bounds,
    search_places,
)

__all__ = ["MAX_FEATURES", "BBox", "area_id_at", "area_id_named", "area_ids_at",
           "feature_collection",
           "map_bounds", "search_places"]
