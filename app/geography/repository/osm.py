"""Writing an OSM extract: roads streamed through COPY, the road graph's edges, buildings,
POIs, land cover and cameras, all under one savepoint."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import geopandas as gpd
from sqlalchemy.orm import Session

from app.db.bulk import UpsertStream, bump_version, raw_cursor, upsert, upsert_stream

ROAD_COLUMNS = ["osm_id", "highway", "name", "name_zh", "name_en", "ref", "oneway",
                "maxspeed_kmh", "speed_kmh", "drivable", "walkable", "geom"]
EDGE_COLUMNS = ["osm_way_id", "seq", "u", "v", "length_m", "travel_s", "oneway", "highway",
                "name", "geom"]
BUILDING_COLUMNS = ["osm_key", "building", "name", "height_m", "levels", "geom"]
POI_COLUMNS = ["osm_key", "kind", "name", "name_zh", "name_en", "tags", "geom"]
LANDCOVER_COLUMNS = ["osm_key", "kind", "name", "geom"]
CAMERA_COLUMNS = ["osm_key", "source", "name", "kind", "azimuth_deg", "fov_deg", "height_m",
                  "mount", "tags", "geom"]


class OsmWriter:
    """Writes one extract on one cursor, inside the savepoint :func:`osm_writer` opened."""

    def __init__(self, cur: Any) -> None:
        self._cur = cur

    @contextmanager
    def roads(self) -> Iterator[UpsertStream]:
        """A COPY stream of road frames, upserted by ``osm_id`` as they come."""
        with upsert_stream(self._cur, "roads", ROAD_COLUMNS, key="osm_id") as stream:
            yield stream

    def edges(self, edges: gpd.GeoDataFrame) -> int:
        """Upsert road graph edges; pieces of re-drawn ways that no longer exist go."""
        cur = self._cur
        cur.execute("SELECT EXISTS (SELECT 1 FROM road_edges)")
        had_edges = cur.fetchone()[0]
        written = upsert(cur, "road_edges", edges, EDGE_COLUMNS, key=("osm_way_id", "seq"))
        if had_edges and not edges.empty:  # a way re-drawn with fewer junctions leaves
            # stale pieces behind (every way in the file, whichever of its pieces it kept)
            cur.execute("DELETE FROM road_edges e WHERE EXISTS (SELECT 1 FROM "
                        "_import_road_edges t WHERE t.osm_way_id = e.osm_way_id) AND NOT "
                        "EXISTS (SELECT 1 FROM _import_road_edges n WHERE "
                        "n.osm_way_id = e.osm_way_id AND n.seq = e.seq)")
        return written

    def roads_changed(self) -> None:
        """Tell every process that the roads (and so the road graph) changed."""
        bump_version(self._cur, "roads")

    def features(self, *, buildings: gpd.GeoDataFrame, pois: gpd.GeoDataFrame,
                 landcover: gpd.GeoDataFrame, cameras: gpd.GeoDataFrame) -> dict[str, int]:
        """Upsert buildings, POIs, land cover and cameras by their OSM key."""
        cur = self._cur
        if not buildings.empty:
            buildings = buildings.assign(levels=buildings["levels"].astype("Int64"))
        return {
            "buildings": upsert(cur, "buildings", buildings, BUILDING_COLUMNS, key="osm_key"),
            "pois": upsert(cur, "pois", pois, POI_COLUMNS, key="osm_key"),
            "landcover": upsert(cur, "landcover", landcover, LANDCOVER_COLUMNS,
                                key="osm_key"),
            "cameras": upsert(cur, "cameras", cameras, CAMERA_COLUMNS, key="osm_key")}


@contextmanager
def osm_writer(session: Session) -> Iterator[OsmWriter]:
    """A savepoint and a cursor for one extract: leaving the block by an exception rolls
    back everything written in it."""
    with session.begin_nested(), raw_cursor(session) as cur:
        yield OsmWriter(cur)
