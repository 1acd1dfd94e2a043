"""The drivable road graph's edges, as the routing engine reads them."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.db.geometry import from_ewkb_many

EDGES_SQL = sa.text("SELECT id AS edge_id, u, v, length_m, travel_s, oneway, name, "
                    "ST_AsBinary(geom) AS geometry FROM road_edges")


def load_edges(session: Session) -> gpd.GeoDataFrame:
    """Every road edge, geometries parsed in one vectorised call (EPSG:4326)."""
    result = session.execute(EDGES_SQL)
    names = list(result.keys())
    rows = result.all()
    columns = dict(zip(names, zip(*rows, strict=True), strict=True)) if rows else {
        name: () for name in names}
    geometry = from_ewkb_many(columns.pop("geometry"))
    return gpd.GeoDataFrame(pd.DataFrame(columns), geometry=geometry, crs="EPSG:4326")
