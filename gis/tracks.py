"""Where units went: visits to must-visit points and time in cells, from GNSS tracks.

A *track* is a GeoDataFrame of position fixes of one unit: point geometries in any CRS
(which must be set) and a column ``at`` of timezone-aware datetimes. Points and cells are
GeoDataFrames in the same CRS as the track (a different one raises; reproject first).
Distances are measured in a metric CRS: the local UTM zone of the track
(:func:`gis.crs.metric_crs_for`) unless ``metric_crs`` is passed.

Conventions
-----------
* **Order.** Fixes are taken in time order (the track is sorted by ``at``, stably, so the
  input may come in any order). Two fixes at the same instant raise
  :class:`~gis.errors.DuplicateFixTimeError`: the caller knows which one to keep (a GGA
  and an RMC of the same second, for instance), this module does not.
* **Gaps.** Consecutive fixes more than ``max_gap_s`` apart are not joined: the unit may
  have left and come back unseen, so a gap ends a visit or a stay and the time across it
  is counted nowhere.
* **Visits** (:func:`point_visits`). A visit is a maximal run of consecutive fixes within
  ``radius_m`` (inclusive) of a point, with no gap inside. One fix outside the circle ends
  the run, so a GNSS jump out of the circle splits a stop in two. Arrival and departure
  are *interpolated*: the unit is taken to move in a straight line at constant speed
  between fixes, and the arrival is the moment that segment, from the last fix outside
  to the first fix inside, crosses the circle (the departure likewise, from the last fix
  inside to the first outside). Where the neighbouring fix is missing (the track starts
  or ends inside) or lies across a gap, the fix time itself is used. A drive-by with one
  fix inside therefore has a dwell of about the time to cross the circle, not zero; a
  pass between two fixes that are both outside is not a visit at all.
* **Time in cells** (:func:`stays_in_cells`, :func:`time_in_cells`). Each interval
  between consecutive fixes (not across a gap) is attributed whole to the cell(s)
  holding the midpoint of its straight segment (boundary included; overlapping cells
  each get it). A stay is a maximal run of consecutive intervals attributed to one cell;
  it enters at the first interval's start fix and exits at the last interval's end fix,
  so enter and exit are fix times.

All times returned are timezone-aware, in the time zone of ``at``; durations are seconds.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyproj
import shapely
from scipy.spatial import cKDTree

from gis.crs import WGS84, metric_crs_for, require_crs, require_metric, require_same_crs
from gis.errors import (
    CoordinateRangeError,
    DuplicateFixTimeError,
    DuplicateIdError,
    EmptyInputError,
    GeometryTypeError,
    InvalidDistanceError,
    InvalidDurationError,
    InvalidGeometryError,
    MissingColumnError,
    TrackTimeError,
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

TIME_COLUMN = "at"
"""The column of fix times in a track."""

VISIT_COLUMNS = ("point_id", "arrive", "depart", "dwell_s", "fixes")
STAY_COLUMNS = ("code", "enter", "exit", "seconds")
CELL_TIME_COLUMNS = ("code", "seconds", "entries", "first_entry", "last_exit")

_POLYGONAL = ("Polygon", "MultiPolygon")


# -- checks ----------------------------------------------------------------------------

def _is_number(value: object) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def _check_radius(radius_m: float) -> float:
    if not _is_number(radius_m) or not math.isfinite(radius_m) or radius_m <= 0:
        raise InvalidDistanceError(f"radius_m must be a finite number of metres > 0, "
                                   f"not {radius_m!r}")
    return float(radius_m)


def _check_duration(value: float, *, name: str, allow_zero: bool, allow_inf: bool) -> float:
    ok = (_is_number(value) and not math.isnan(value)
          and (value >= 0 if allow_zero else value > 0)
          and (allow_inf or math.isfinite(value)))
    if not ok:
        bound = ">= 0" if allow_zero else "> 0"
        kind = "a number" if allow_inf else "a finite number"
        raise InvalidDurationError(f"{name} must be {kind} of seconds {bound}, not {value!r}")
    return float(value)


def _check_points_geometry(gdf: gpd.GeoDataFrame, *, what: str) -> None:
    geometry = gdf.geometry
    if geometry.isna().any() or geometry.is_empty.any():
        raise InvalidGeometryError(f"{what} has missing or empty geometries")
    wrong = gdf.geom_type != "Point"
    if wrong.any():
        raise GeometryTypeError(f"{what} must be points; found "
                                f"{sorted(set(gdf.geom_type[wrong]))}")


def _sorted_track(track: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Check a track (CRS, ``at``, point geometries) and return it sorted by time."""
    require_crs(track, what="the track")
    if TIME_COLUMN not in track.columns:
        raise MissingColumnError(f"the track has no column {TIME_COLUMN!r} of fix times")
    times = track[TIME_COLUMN]
    if not isinstance(times.dtype, pd.DatetimeTZDtype):
        raise TrackTimeError(f"column {TIME_COLUMN!r} must hold timezone-aware datetimes "
                             f"(one time zone), not {times.dtype}")
    if times.isna().any():
        raise TrackTimeError(f"column {TIME_COLUMN!r} has missing times")
    _check_points_geometry(track, what="the track")
    ordered = track.sort_values(TIME_COLUMN, kind="stable")
    repeated = ordered[TIME_COLUMN].duplicated()
    if repeated.any():
        first = ordered[TIME_COLUMN][repeated].iloc[0]
        raise DuplicateFixTimeError(f"the track has {int(repeated.sum())} fix(es) at a time "
                                    f"already taken, first at {first.isoformat()}; keep one "
                                    "fix per instant")
    return ordered


def _check_keyed(gdf: gpd.GeoDataFrame, *, column: str, what: str) -> None:
    if column not in gdf.columns:
        raise MissingColumnError(f"{what} has no column {column!r}")
    repeated = gdf[column].duplicated()
    if repeated.any():
        raise DuplicateIdError(f"{what} repeat {column} value(s) "
                               f"{sorted(map(str, set(gdf[column][repeated])))}")


def _metric_crs(track: gpd.GeoDataFrame, metric_crs: Any) -> pyproj.CRS:
    return metric_crs_for(track) if metric_crs is None else require_metric(metric_crs)


def _xy(gdf: gpd.GeoDataFrame, crs: pyproj.CRS) -> FloatArray:
    return np.asarray(shapely.get_coordinates(gdf.to_crs(crs).geometry.array), dtype=np.float64)


def _seconds(times: pd.Series) -> FloatArray:
    """Seconds since the first of ``times``, as floats."""
    return np.asarray((times - times.iloc[0]) / pd.Timedelta(seconds=1), dtype=np.float64)


def _empty(columns: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series([], dtype=dtype) for name, dtype in columns.items()})


def _time_dtype(track: gpd.GeoDataFrame) -> Any:
    dtype = track[TIME_COLUMN].dtype if TIME_COLUMN in track.columns else None
    tz = dtype.tz if isinstance(dtype, pd.DatetimeTZDtype) else "UTC"
    return pd.DatetimeTZDtype("ns", tz)


# -- numeric core ----------------------------------------------------------------------

def _runs(group: IntArray, member: IntArray, broken: npt.NDArray[np.bool_]
          ) -> tuple[IntArray, IntArray]:
    """First and last positions of runs in pairs sorted by (group, member).

    A run continues while the group stays the same, the member is the previous one + 1
    and ``broken`` (for the pair and its predecessor) is False.
    """
    if group.size == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    new = np.ones(group.size, dtype=bool)
    new[1:] = (group[1:] != group[:-1]) | (member[1:] != member[:-1] + 1) | broken
    starts = np.flatnonzero(new).astype(np.int64)
    ends = np.append(starts[1:] - 1, group.size - 1).astype(np.int64)
    return starts, ends


def _crossing(start_xy: FloatArray, end_xy: FloatArray, centre_xy: FloatArray,
              radius_m: float, *, entering: bool) -> FloatArray:
    """Fraction along each segment start->end where it crosses the circle.

    ``entering``: the start is outside and the end inside (the smaller root); else the
    start is inside and the end outside (the larger root).
    """
    d = end_xy - start_xy
    w = start_xy - centre_xy
    a = np.einsum("ij,ij->i", d, d)
    b = np.einsum("ij,ij->i", w, d)
    c = np.einsum("ij,ij->i", w, w) - radius_m * radius_m
    root = np.sqrt(np.maximum(b * b - a * c, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        s = (-b - root) / a if entering else (-b + root) / a
    clipped: FloatArray = np.clip(np.nan_to_num(s, nan=1.0 if entering else 0.0), 0.0, 1.0)
    return clipped


def _visit_runs(t_s: FloatArray, fix_xy: FloatArray, point_xy: FloatArray, *,
                radius_m: float, max_gap_s: float) -> dict[str, Any]:
    """Visits as arrays: point index, first/last fix, arrival/departure offsets (s)."""
    n = t_s.size
    hits = cKDTree(fix_xy).query_ball_point(point_xy, r=radius_m, return_sorted=True)
    counts = np.fromiter((len(h) for h in hits), dtype=np.int64, count=len(hits))
    point_of = np.repeat(np.arange(len(hits), dtype=np.int64), counts)
    fix_of = (np.concatenate([np.asarray(h, dtype=np.int64) for h in hits])
              if counts.sum() else np.empty(0, np.int64))
    gap = t_s[fix_of[1:]] - t_s[fix_of[:-1]] > max_gap_s
    starts, ends = _runs(point_of, fix_of, gap)
    point, first, last = point_of[starts], fix_of[starts], fix_of[ends]

    # Arrival: interpolate on the segment from the fix before (outside) when there is one
    # within max_gap_s; it is outside, or the run would have started earlier.
    arrive_s = t_s[first].copy()
    before = first - 1
    joined = (before >= 0) & (t_s[np.maximum(before, 0)] - t_s[first] >= -max_gap_s)
    if joined.any():
        i, j = before[joined], first[joined]
        s = _crossing(fix_xy[i], fix_xy[j], point_xy[point[joined]], radius_m, entering=True)
        arrive_s[joined] = t_s[i] + s * (t_s[j] - t_s[i])
    depart_s = t_s[last].copy()
    after = last + 1
    joined = (after < n) & (t_s[np.minimum(after, n - 1)] - t_s[last] <= max_gap_s)
    if joined.any():
        i, j = last[joined], after[joined]
        s = _crossing(fix_xy[i], fix_xy[j], point_xy[point[joined]], radius_m, entering=False)
        depart_s[joined] = t_s[i] + s * (t_s[j] - t_s[i])
    return {"point": point, "first": first, "last": last, "arrive_s": arrive_s,
            "depart_s": depart_s, "fixes": ends - starts + 1}


# -- public API ------------------------------------------------------------------------

def point_visits(track: gpd.GeoDataFrame, points: gpd.GeoDataFrame, *,
                 radius_m: float = 50.0, min_dwell_s: float = 0.0,
                 max_gap_s: float = 300.0, metric_crs: Any = None) -> pd.DataFrame:
    """List the visits a track makes to must-visit points.

    Parameters
    ----------
    track : geopandas.GeoDataFrame
        Fixes of one unit: point geometries (any CRS, which must be set) and ``at``,
        timezone-aware datetimes, unique; any order.
    points : geopandas.GeoDataFrame
        Must-visit points, in the track's CRS, with a unique ``id`` column.
    radius_m : float, default 50
        A fix within this distance (metres, inclusive) of a point is at the point.
    min_dwell_s : float, default 0
        Visits shorter than this (seconds) are left out.
    max_gap_s : float, default 300
        Fixes further apart than this (seconds) do not belong to one visit; ``inf`` for
        no limit.
    metric_crs : pyproj.CRS or anything pyproj accepts, optional
        Projected CRS in metres to measure in; default the track's UTM zone.

    Returns
    -------
    pandas.DataFrame
        One row per visit, ordered by arrival then by the order of ``points``:
        ``point_id`` (from ``points.id``), ``arrive`` and ``depart`` (timezone-aware,
        interpolated where the circle is crossed; see the module docstring), ``dwell_s``
        (``depart - arrive`` in seconds) and ``fixes`` (fixes inside, >= 1).

    Raises
    ------
    MissingCrsError, CrsMismatchError, CrsError
        A missing CRS; the points in another CRS; a ``metric_crs`` not in metres.
    MissingColumnError, DuplicateIdError
        No ``at`` in the track or ``id`` in the points; a repeated point id.
    TrackTimeError, DuplicateFixTimeError
        Times missing or not timezone-aware; two fixes at the same instant.
    GeometryTypeError, InvalidGeometryError
        A geometry that is not a point, or is missing or empty.
    InvalidDistanceError, InvalidDurationError
        ``radius_m`` not > 0; ``min_dwell_s`` not >= 0; ``max_gap_s`` not > 0.
    """
    radius = _check_radius(radius_m)
    min_dwell = _check_duration(min_dwell_s, name="min_dwell_s", allow_zero=True,
                                allow_inf=False)
    max_gap = _check_duration(max_gap_s, name="max_gap_s", allow_zero=False, allow_inf=True)
    require_same_crs(track, points, what=("the track", "the points"))
    ordered = _sorted_track(track)
    _check_keyed(points, column="id", what="the points")
    _check_points_geometry(points, what="the points")
    time_dtype = _time_dtype(track)
    if ordered.empty or points.empty:
        return _empty({"point_id": points["id"].dtype, "arrive": time_dtype,
                       "depart": time_dtype, "dwell_s": "float64", "fixes": "int64"})
    crs = _metric_crs(ordered, metric_crs)
    times = ordered[TIME_COLUMN].reset_index(drop=True)
    t_s = _seconds(times)
    runs = _visit_runs(t_s, _xy(ordered, crs), _xy(points, crs),
                       radius_m=radius, max_gap_s=max_gap)
    # Offsets from the fix times keep exact fix times where nothing was interpolated.
    arrive = (times.iloc[runs["first"]].reset_index(drop=True)
              + pd.to_timedelta(runs["arrive_s"] - t_s[runs["first"]], unit="s"))
    depart = (times.iloc[runs["last"]].reset_index(drop=True)
              + pd.to_timedelta(runs["depart_s"] - t_s[runs["last"]], unit="s"))
    visits = pd.DataFrame({
        "point_id": points["id"].to_numpy()[runs["point"]],
        "arrive": arrive.astype(time_dtype),
        "depart": depart.astype(time_dtype),
        "dwell_s": runs["depart_s"] - runs["arrive_s"],
        "fixes": runs["fixes"].astype(np.int64),
        "_order": runs["point"],
    })
    visits = visits.loc[visits["dwell_s"] >= min_dwell]
    visits = visits.sort_values(["arrive", "_order"], kind="stable")
    return visits.drop(columns="_order").reset_index(drop=True)


def stays_in_cells(track: gpd.GeoDataFrame, cells: gpd.GeoDataFrame, *,
                   max_gap_s: float = 300.0, metric_crs: Any = None) -> pd.DataFrame:
    """List each stay of a track in each cell (hot-spot cells, patrol grid cells).

    Parameters
    ----------
    track : geopandas.GeoDataFrame
        Fixes of one unit, as for :func:`point_visits`.
    cells : geopandas.GeoDataFrame
        Polygons or multipolygons in the track's CRS with a unique ``code`` column.
    max_gap_s : float, default 300
        Intervals between fixes longer than this (seconds) count nowhere and end a stay;
        ``inf`` for no limit.
    metric_crs : pyproj.CRS or anything pyproj accepts, optional
        Projected CRS in metres in which segment midpoints are taken; default the track's
        UTM zone.

    Returns
    -------
    pandas.DataFrame
        One row per stay, ordered by entry then by the order of ``cells``: ``code``,
        ``enter`` and ``exit`` (fix times, timezone-aware) and ``seconds``
        (``exit - enter``). Intervals are attributed by the midpoint of their segment
        (see the module docstring).

    Raises
    ------
    MissingCrsError, CrsMismatchError, CrsError
        A missing CRS; the cells in another CRS; a ``metric_crs`` not in metres.
    MissingColumnError, DuplicateIdError
        No ``at`` in the track or ``code`` in the cells; a repeated code.
    TrackTimeError, DuplicateFixTimeError
        Times missing or not timezone-aware; two fixes at the same instant.
    GeometryTypeError, InvalidGeometryError
        A fix that is not a point, a cell that is not polygonal; a missing or empty one.
    InvalidDurationError
        ``max_gap_s`` not > 0.
    """
    max_gap = _check_duration(max_gap_s, name="max_gap_s", allow_zero=False, allow_inf=True)
    require_same_crs(track, cells, what=("the track", "the cells"))
    ordered = _sorted_track(track)
    _check_keyed(cells, column="code", what="the cells")
    if cells.geometry.isna().any() or cells.geometry.is_empty.any():
        raise InvalidGeometryError("the cells have missing or empty geometries")
    wrong = ~cells.geom_type.isin(_POLYGONAL)
    if wrong.any():
        raise GeometryTypeError("cells must be polygons or multipolygons; found "
                                f"{sorted(set(cells.geom_type[wrong]))}")
    time_dtype = _time_dtype(track)
    empty = _empty({"code": cells["code"].dtype, "enter": time_dtype, "exit": time_dtype,
                    "seconds": "float64"})
    if len(ordered) < 2 or cells.empty:
        return empty
    crs = _metric_crs(ordered, metric_crs)
    times = ordered[TIME_COLUMN].reset_index(drop=True)
    t_s = _seconds(times)
    xy = _xy(ordered, crs)
    usable = np.flatnonzero(np.diff(t_s) <= max_gap).astype(np.int64)
    midpoints = shapely.points((xy[usable] + xy[usable + 1]) / 2.0)
    cell_geoms = np.asarray(cells.to_crs(crs).geometry.array, dtype=object)
    hit_interval, hit_cell = shapely.STRtree(cell_geoms).query(midpoints, predicate="intersects")
    interval = usable[hit_interval].astype(np.int64)
    cell = hit_cell.astype(np.int64)
    order = np.lexsort((interval, cell))
    interval, cell = interval[order], cell[order]
    starts, ends = _runs(cell, interval, np.zeros(max(interval.size - 1, 0), dtype=bool))
    if starts.size == 0:
        return empty
    enter_i, exit_i = interval[starts], interval[ends] + 1
    stays = pd.DataFrame({
        "code": cells["code"].to_numpy()[cell[starts]],
        "enter": times.iloc[enter_i].reset_index(drop=True).astype(time_dtype),
        "exit": times.iloc[exit_i].reset_index(drop=True).astype(time_dtype),
        "seconds": t_s[exit_i] - t_s[enter_i],
        "_order": cell[starts],
    })
    stays = stays.sort_values(["enter", "_order"], kind="stable")
    return stays.drop(columns="_order").reset_index(drop=True)


def time_in_cells(track: gpd.GeoDataFrame, cells: gpd.GeoDataFrame, *,
                  max_gap_s: float = 300.0, metric_crs: Any = None) -> pd.DataFrame:
    """Sum up the time a track spends in each cell.

    Parameters
    ----------
    track, cells, max_gap_s, metric_crs
        As for :func:`stays_in_cells`.

    Returns
    -------
    pandas.DataFrame
        One row per cell, in the order of ``cells`` (cells never entered included):
        ``code``, ``seconds`` (total), ``entries`` (number of stays), ``first_entry`` and
        ``last_exit`` (timezone-aware; NaT for a cell never entered).

    Raises
    ------
    As :func:`stays_in_cells`.
    """
    stays = stays_in_cells(track, cells, max_gap_s=max_gap_s, metric_crs=metric_crs)
    per_cell = stays.groupby("code", sort=False).agg(
        seconds=("seconds", "sum"), entries=("seconds", "size"),
        first_entry=("enter", "min"), last_exit=("exit", "max"))
    table = pd.DataFrame({"code": cells["code"].to_numpy()}).merge(
        per_cell, how="left", left_on="code", right_index=True)
    table["seconds"] = table["seconds"].fillna(0.0).astype(np.float64)
    table["entries"] = table["entries"].fillna(0).astype(np.int64)
    time_dtype = stays["enter"].dtype
    table["first_entry"] = table["first_entry"].astype(time_dtype)
    table["last_exit"] = table["last_exit"].astype(time_dtype)
    return table.loc[:, list(CELL_TIME_COLUMNS)].reset_index(drop=True)


def _aeqd(lon: float, lat: float) -> pyproj.CRS:
    return pyproj.CRS.from_proj4(f"+proj=aeqd +lat_0={lat!r} +lon_0={lon!r} +datum=WGS84 "
                                 "+units=m +no_defs")


def shift_track(track: gpd.GeoDataFrame, *, to_lon: float, to_lat: float) -> gpd.GeoDataFrame:
    """Move a track so that its first fix lands on a given place, keeping its shape in metres.

    Used to replay a real track recorded elsewhere over the area a test or demo works in.
    Each fix keeps its distance and bearing from the first fix: the track is projected to
    an azimuthal equidistant CRS centred on its first fix, and those metre offsets are
    read back in one centred on the target. Over a few kilometres distances between fixes
    change by far less than a millimetre per hundred metres.

    Parameters
    ----------
    track : geopandas.GeoDataFrame
        Fixes with point geometries (any CRS, which must be set) and timezone-aware,
        unique ``at``; the first fix is the earliest.
    to_lon, to_lat : float
        Where the first fix goes, EPSG:4326 degrees.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy in EPSG:4326, rows and columns in the input order, geometries moved.

    Raises
    ------
    CoordinateRangeError
        ``to_lon``/``to_lat`` are not finite degrees in range.
    EmptyInputError
        The track has no fix.
    MissingCrsError, MissingColumnError, TrackTimeError, DuplicateFixTimeError,
    GeometryTypeError, InvalidGeometryError
        As for :func:`point_visits`.
    """
    if not all(_is_number(v) and math.isfinite(v) for v in (to_lon, to_lat)) \
            or not (-180.0 <= to_lon <= 180.0 and -90.0 <= to_lat <= 90.0):
        raise CoordinateRangeError(f"({to_lon!r}, {to_lat!r}) is not a longitude/latitude "
                                   "in degrees")
    ordered = _sorted_track(track)
    if ordered.empty:
        raise EmptyInputError("cannot shift an empty track")
    wgs = track.to_crs(WGS84)
    anchor = wgs.geometry.loc[ordered.index[0]]
    source = pyproj.Transformer.from_crs(WGS84, _aeqd(anchor.x, anchor.y), always_xy=True)
    target = pyproj.Transformer.from_crs(_aeqd(float(to_lon), float(to_lat)), WGS84,
                                         always_xy=True)
    lonlat = shapely.get_coordinates(wgs.geometry.array)
    east, north = source.transform(lonlat[:, 0], lonlat[:, 1])
    lon, lat = target.transform(east, north)
    moved = wgs.copy()
    moved[wgs.geometry.name] = gpd.GeoSeries(shapely.points(lon, lat), index=wgs.index,
                                             crs=WGS84)
    return moved
