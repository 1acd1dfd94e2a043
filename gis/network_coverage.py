"""Coverage of the camera network per zone: road length and area seen, cameras per km.

A *zone* is any polygon with a key: a grid cell, the part of a grid cell inside one
area, a hot-spot cell. For each zone this module measures, in a metric CRS (the local
UTM zone unless one is given):

* ``area_m2`` and ``seen_m2``: the zone's area and the part of it inside the union of
  the cameras' coverage (the wedges cut by buildings);
* ``road_m`` and ``seen_road_m``: road length inside the zone, and the part of it inside
  that union, each by road class (OSM ``highway``);
* ``cameras``: cameras standing in the zone (a camera on a shared edge counts for the
  first zone, by position, that covers it);
* ``seen``: the seen part of the zone itself (EPSG:4326), for map layers and for telling
  whether an incident lies in some camera's view.

Only cameras whose coverage meets a zone, and roads that meet it, are considered, so a
zone's figures depend on nothing else: recomputing the zones a change touches keeps all
figures current (the service does this when cameras move).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis.crs import metric_crs_for, require_wgs84
from gis.errors import MissingColumnError

ROAD_CLASS_COLUMN = "highway"


@dataclass(frozen=True)
class ZoneCoverage:
    """The measured zones.

    Attributes
    ----------
    table : pandas.DataFrame
        Indexed like the zones given: ``area_m2``, ``seen_m2`` (float), ``cameras`` (int),
        ``road_m`` and ``seen_road_m`` (dicts of road class to metres).
    seen : geopandas.GeoSeries
        The seen part of each zone, EPSG:4326 (empty polygons where nothing is seen).
    """

    table: pd.DataFrame
    seen: gpd.GeoSeries


def zone_coverage(zones: gpd.GeoSeries, coverage: gpd.GeoSeries, roads: gpd.GeoDataFrame,
                  cameras: gpd.GeoSeries, *, metric_crs: Any = None) -> ZoneCoverage:
    """Measure what the cameras see of each zone.

    Parameters
    ----------
    zones : geopandas.GeoSeries
        Polygons, EPSG:4326, indexed by their keys.
    coverage : geopandas.GeoSeries
        Each camera's coverage polygon, EPSG:4326 (nulls and empties are skipped).
    roads : geopandas.GeoDataFrame
        Road lines, EPSG:4326, with a ``highway`` column (the class).
    cameras : geopandas.GeoSeries
        Camera positions (points), EPSG:4326.
    metric_crs : optional
        The CRS to measure in (metres); default: the UTM zone of the zones.

    Returns
    -------
    ZoneCoverage
        One row per zone, in the order given.

    Raises
    ------
    MissingCrsError, CrsMismatchError
        An input without a CRS or not in EPSG:4326.
    MissingColumnError
        ``roads`` without ``highway``.
    """
    for frame, what in ((zones, "zones"), (coverage, "coverage"), (roads, "roads"),
                        (cameras, "cameras")):
        require_wgs84(frame, what=what)
    if ROAD_CLASS_COLUMN not in roads.columns:
        raise MissingColumnError(f"roads lacks the {ROAD_CLASS_COLUMN!r} column")
    count = len(zones)
    if count == 0:
        return ZoneCoverage(_table(zones.index, np.zeros(0), np.zeros(0), np.zeros(0, int),
                                   [], []), gpd.GeoSeries([], index=zones.index,
                                                          crs="EPSG:4326"))
    crs = metric_crs if metric_crs is not None else metric_crs_for(zones)
    zone_m = _metric(zones, crs)
    cover_m = _metric(coverage[~(coverage.isna() | coverage.is_empty)], crs)
    seen_m = _seen_parts(zone_m, cover_m)
    road_m, seen_road_m = _road_lengths(zone_m, seen_m, roads, crs)
    camera_m = _metric(cameras[~(cameras.isna() | cameras.is_empty)], crs)
    standing = np.zeros(count, dtype=np.int64)
    if len(camera_m):
        camera_of, zone_of = shapely.STRtree(zone_m).query(camera_m, predicate="intersects")
        first = pd.Series(zone_of).groupby(camera_of).min().to_numpy()
        np.add.at(standing, first, 1)
    table = _table(zones.index, shapely.area(zone_m), shapely.area(seen_m), standing,
                   road_m, seen_road_m)
    seen = gpd.GeoSeries(seen_m, index=zones.index, crs=crs).to_crs("EPSG:4326")
    return ZoneCoverage(table, seen)


def _metric(series: gpd.GeoSeries | gpd.GeoDataFrame, crs: Any) -> Any:
    geoms = series.geometry if isinstance(series, gpd.GeoDataFrame) else series
    return np.asarray(geoms.to_crs(crs).to_numpy(), dtype=object)


def _seen_parts(zone_m: Any, cover_m: Any) -> Any:
    """The union of the coverage inside each zone (metric)."""
    seen = np.asarray([shapely.Polygon()] * len(zone_m), dtype=object)
    if len(cover_m) == 0:
        return seen
    zone_of, cover_of = shapely.STRtree(cover_m).query(zone_m, predicate="intersects")
    if len(zone_of) == 0:
        return seen
    order = np.argsort(zone_of, kind="stable")
    zone_of, cover_of = zone_of[order], cover_of[order]
    starts = np.flatnonzero(np.r_[True, zone_of[1:] != zone_of[:-1]])
    for begin, end in zip(starts, np.r_[starts[1:], len(zone_of)], strict=True):
        zone = zone_of[begin]
        union = shapely.union_all(shapely.make_valid(cover_m[cover_of[begin:end]]))
        seen[zone] = shapely.intersection(union, zone_m[zone])
    return seen


def _road_lengths(zone_m: Any, seen_m: Any, roads: gpd.GeoDataFrame,
                  crs: Any) -> tuple[list[dict[str, float]], list[dict[str, float]]]:
    count = len(zone_m)
    total: list[dict[str, float]] = [{} for _ in range(count)]
    seen_total: list[dict[str, float]] = [{} for _ in range(count)]
    usable = roads[~(roads.geometry.isna() | roads.geometry.is_empty)]
    if usable.empty:
        return total, seen_total
    road_m = _metric(usable, crs)
    classes = usable[ROAD_CLASS_COLUMN].astype(str).to_numpy()
    zone_of, road_of = shapely.STRtree(road_m).query(zone_m, predicate="intersects")
    if len(zone_of) == 0:
        return total, seen_total
    inside = shapely.intersection(road_m[road_of], zone_m[zone_of])
    length = shapely.length(inside)
    seen_length = np.zeros(len(inside))
    has_seen = ~shapely.is_empty(seen_m[zone_of])
    if has_seen.any():
        seen_length[has_seen] = shapely.length(shapely.intersection(
            inside[has_seen], seen_m[zone_of][has_seen]))
    frame = pd.DataFrame({"zone": zone_of, "cls": classes[road_of], "m": length,
                          "seen": seen_length})
    for (zone, cls), row in frame.groupby(["zone", "cls"])[["m", "seen"]].sum().iterrows():
        if row["m"] > 0:
            total[int(zone)][str(cls)] = float(row["m"])
            seen_total[int(zone)][str(cls)] = float(row["seen"])
    return total, seen_total


def _table(index: pd.Index, area: Any, seen: Any, cameras: Any, road_m: list[dict[str, float]],
           seen_road_m: list[dict[str, float]]) -> pd.DataFrame:
    return pd.DataFrame({"area_m2": np.asarray(area, dtype=np.float64),
                         "seen_m2": np.asarray(seen, dtype=np.float64),
                         "cameras": np.asarray(cameras, dtype=np.int64),
                         "road_m": road_m, "seen_road_m": seen_road_m}, index=index)
