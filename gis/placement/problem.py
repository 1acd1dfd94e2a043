"""The camera-placement problem on a map.

Candidate cameras at junctions, demand from road length and recency-weighted incidents,
and what existing cameras already serve.

Decisions
---------
* **Sites** are road junctions: graph nodes where three or more road edges meet.
* **Candidates**: at every site, each kind of :data:`CANDIDATE_KINDS`: a fixed camera
  (60° field of view, 60 m) in four directions — along the first road leaving the
  junction and at quarter turns from it, so on a street grid they look down the
  streets — and a dome (all round, 40 m). At most one candidate per site is chosen.
* A candidate's coverage is its plain wedge (`gis.coverage.coverage_sectors`): buildings
  are not cut out here (thousands of candidates); once a proposed camera is registered,
  its real coverage is computed with the buildings.
* **Road demand**: every road is cut into pieces of at most ``step_m`` (25 m); each
  piece's midpoint is a demand point weighing its length times its class weight
  (:data:`ROAD_WEIGHTS`: main roads count more than service roads and footways).
* **Incident demand**: each incident is a demand point weighing
  ``0.5 ** (age_days / half_life_days)`` (recent crime counts more; default half-life
  one year).
* **Both**: road and incident weights are each scaled to sum to 1, then added with the
  share ``incident_share`` (default 0.5) given to incidents.
* **Served**: demand points inside some existing camera's coverage are served already;
  they weigh nothing in the problem and count in the coverage "before".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyproj
import scipy.sparse as sp
import shapely

from gis.coverage import coverage_sectors
from gis.crs import metric_crs_for, require_wgs84
from gis.errors import MissingColumnError, PlacementError


@dataclass(frozen=True)
class CandidateKind:
    """A kind of camera proposed at each site.

    Parameters
    ----------
    name : str
        The camera kind (as the registry names it).
    fov_deg : float or None
        Field of view; None: all round.
    range_m : float
        Reach in metres.
    directions : int
        Directions tried per site (quarter turns from the first road's bearing).
    """

    name: str
    fov_deg: float | None
    range_m: float
    directions: int


CANDIDATE_KINDS: Final = (CandidateKind("fixed", 60.0, 60.0, 4),
                          CandidateKind("dome", None, 40.0, 1))
"""The kinds tried at every junction."""
ROAD_WEIGHTS: Final = {
    "motorway": 1.0, "trunk": 2.0, "primary": 3.0, "secondary": 2.5, "tertiary": 2.0,
    "residential": 1.0, "living_street": 1.0, "unclassified": 1.0, "pedestrian": 1.5,
    "service": 0.5, "footway": 0.5, "cycleway": 0.3, "path": 0.3, "steps": 0.3}
"""Weight per metre of road by OSM highway class (others: 0.5)."""
DEFAULT_ROAD_WEIGHT: Final = 0.5
_GEOD = pyproj.Geod(ellps="WGS84")


@dataclass(frozen=True)
class PlacementProblem:
    """Candidates, demand and who covers what.

    Attributes
    ----------
    candidates : geopandas.GeoDataFrame
        One row per candidate: ``site``, ``kind``, ``azimuth_deg``, ``fov_deg``,
        ``range_m``, its point and ``coverage`` (EPSG:4326).
    demand : geopandas.GeoDataFrame
        Demand points: ``weight`` (as given), ``source`` (road or incident), ``served``
        (already inside an existing camera's view), ``road_m``.
    cover : scipy.sparse.csr_matrix
        Candidates x demand points, True where the candidate sees the point.
    weights : numpy.ndarray
        The problem's weights: 0 for served points.
    """

    candidates: gpd.GeoDataFrame
    demand: gpd.GeoDataFrame
    cover: sp.csr_matrix
    weights: npt.NDArray[np.float64]

    @property
    def total_weight(self) -> float:
        """Weight of all demand points, served or not."""
        return float(self.demand["weight"].sum())

    @property
    def served_weight(self) -> float:
        """Weight already served by existing cameras."""
        return float(self.demand.loc[self.demand["served"], "weight"].sum())


def junction_sites(edges: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Road junctions: nodes where three or more edges meet, with a road's bearing.

    Parameters
    ----------
    edges : geopandas.GeoDataFrame
        Road edges, EPSG:4326, with ``u`` and ``v`` node ids; lines run from u to v.

    Returns
    -------
    geopandas.GeoDataFrame
        ``node_id``, ``bearing_deg`` (of the first edge leaving it, clockwise from north)
        and the junction's point, EPSG:4326, ordered by node id.
    """
    require_wgs84(edges, what="edges")
    for column in ("u", "v"):
        if column not in edges.columns:
            raise MissingColumnError(f"edges lack the {column!r} column")
    if edges.empty:
        return gpd.GeoDataFrame({"node_id": [], "bearing_deg": []}, geometry=[],
                                crs="EPSG:4326")
    coords = [np.asarray(line.coords) for line in edges.geometry]
    ends = pd.DataFrame({
        "node_id": np.concatenate([edges["u"].to_numpy(), edges["v"].to_numpy()]),
        "x": [c[0, 0] for c in coords] + [c[-1, 0] for c in coords],
        "y": [c[0, 1] for c in coords] + [c[-1, 1] for c in coords],
        "nx": [c[1, 0] for c in coords] + [c[-2, 0] for c in coords],
        "ny": [c[1, 1] for c in coords] + [c[-2, 1] for c in coords]})
    degree = ends.groupby("node_id").size()
    junctions = ends[ends["node_id"].isin(degree[degree >= 3].index)]
    first = junctions.sort_values("node_id", kind="stable").groupby("node_id").first()
    bearing, _, _ = _GEOD.inv(first["x"].to_numpy(), first["y"].to_numpy(),
                              first["nx"].to_numpy(), first["ny"].to_numpy())
    return gpd.GeoDataFrame({"node_id": first.index.to_numpy(),
                             "bearing_deg": np.mod(bearing, 360.0)},
                            geometry=gpd.points_from_xy(first["x"], first["y"]),
                            crs="EPSG:4326")


def candidate_cameras(sites: gpd.GeoDataFrame, *,
                      kinds: tuple[CandidateKind, ...] = CANDIDATE_KINDS
                      ) -> gpd.GeoDataFrame:
    """Every kind and direction at every site, with its wedge.

    Parameters
    ----------
    sites : geopandas.GeoDataFrame
        From :func:`junction_sites` (``bearing_deg`` and points, EPSG:4326).
    kinds : tuple of CandidateKind, optional
        The kinds tried.

    Returns
    -------
    geopandas.GeoDataFrame
        ``site`` (row of ``sites``), ``kind``, ``azimuth_deg`` (NaN all round),
        ``fov_deg``, ``range_m``, the point and ``coverage`` (EPSG:4326).
    """
    require_wgs84(sites, what="sites")
    frames = []
    for kind in kinds:
        turns = np.arange(kind.directions) * 90.0 if kind.fov_deg is not None else [np.nan]
        for turn in turns:
            frames.append(pd.DataFrame({
                "site": np.arange(len(sites)), "kind": kind.name,
                "azimuth_deg": np.mod(sites["bearing_deg"].to_numpy() + turn, 360.0)
                if kind.fov_deg is not None else np.nan,
                "fov_deg": np.nan if kind.fov_deg is None else kind.fov_deg,
                "range_m": kind.range_m}))
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        {"site": [], "kind": [], "azimuth_deg": [], "fov_deg": [], "range_m": []})
    points = sites.geometry.to_numpy()[table["site"].to_numpy(dtype=np.int64)]
    candidates = gpd.GeoDataFrame(table, geometry=list(points), crs="EPSG:4326")
    candidates["coverage"] = coverage_sectors(candidates, segments=8)
    return candidates.sort_values(["site", "kind", "azimuth_deg"], ignore_index=True)


def road_demand(roads: gpd.GeoDataFrame, *, step_m: float = 25.0) -> gpd.GeoDataFrame:
    """Demand points along roads, each weighing its piece's length times its class weight.

    Parameters
    ----------
    roads : geopandas.GeoDataFrame
        Lines, EPSG:4326, with ``highway``.
    step_m : float, optional
        Longest piece, metres.

    Returns
    -------
    geopandas.GeoDataFrame
        ``weight``, ``road_m`` (the piece's metres), ``source`` = road; EPSG:4326.
    """
    require_wgs84(roads, what="roads")
    if "highway" not in roads.columns:
        raise MissingColumnError("roads lack the 'highway' column")
    if not step_m > 0:
        raise PlacementError(f"step_m must be > 0, got {step_m}")
    if roads.empty:
        return _demand([], [], [], "road")
    crs = metric_crs_for(roads)
    lines = np.asarray(roads.geometry.to_crs(crs).to_numpy(), dtype=object)
    length = shapely.length(lines)
    pieces = np.maximum(np.ceil(length / step_m), 1).astype(np.int64)
    owner = np.repeat(np.arange(len(lines)), pieces)
    k = np.arange(pieces.sum()) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    middle = (k + 0.5) / pieces[owner]
    points = shapely.line_interpolate_point(lines[owner], middle, normalized=True)
    piece_m = length[owner] / pieces[owner]
    rate = np.array([ROAD_WEIGHTS.get(str(h), DEFAULT_ROAD_WEIGHT)
                     for h in roads["highway"]])[owner]
    lonlat = gpd.GeoSeries(points, crs=crs).to_crs("EPSG:4326")
    return _demand(list(lonlat), piece_m * rate, piece_m, "road")


def incident_demand(incidents: gpd.GeoDataFrame, *, now: datetime,
                    half_life_days: float = 365.0) -> gpd.GeoDataFrame:
    """One demand point per incident, weighing ``0.5 ** (age_days / half_life_days)``.

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        Points, EPSG:4326, with ``occurred_at`` (timezone-aware).
    now : datetime
        The moment ages are measured from (timezone-aware).
    half_life_days : float, optional
        Days after which an incident counts half.

    Returns
    -------
    geopandas.GeoDataFrame
        ``weight``, ``road_m`` (0), ``source`` = incident; EPSG:4326.
    """
    require_wgs84(incidents, what="incidents")
    if not half_life_days > 0:
        raise PlacementError(f"half_life_days must be > 0, got {half_life_days}",
                             field="half_life_days")
    if incidents.empty:
        return _demand([], [], [], "incident")
    age_days = np.maximum((pd.Timestamp(now) - pd.to_datetime(incidents["occurred_at"],
                                                              utc=True)).dt.total_seconds()
                          / 86400.0, 0.0)
    weight = np.power(0.5, age_days.to_numpy() / half_life_days)
    return _demand(list(incidents.geometry), weight, np.zeros(len(incidents)), "incident")


def combine_demand(roads: gpd.GeoDataFrame, incidents: gpd.GeoDataFrame, *,
                   incident_share: float = 0.5) -> gpd.GeoDataFrame:
    """Road and incident demand together, each scaled to sum to its share of 1.

    Parameters
    ----------
    roads, incidents : geopandas.GeoDataFrame
        From :func:`road_demand` and :func:`incident_demand` (either may be empty).
    incident_share : float, optional
        The incidents' share of the total weight, in [0, 1].

    Returns
    -------
    geopandas.GeoDataFrame
        Both, weights rescaled (an empty side gives its share to the other).
    """
    if not 0.0 <= incident_share <= 1.0:
        raise PlacementError("incident_share must be in [0, 1]", field="incident_share")
    parts = []
    shares = {"road": 1.0 - incident_share, "incident": incident_share}
    if roads.empty or incidents.empty:
        shares = {"road": 1.0, "incident": 1.0}
    for frame in (roads, incidents):
        if frame.empty:
            continue
        total = float(frame["weight"].sum())
        scaled = frame.copy()
        scaled["weight"] = frame["weight"] * (shares[str(frame["source"].iloc[0])] / total
                                              if total > 0 else 0.0)
        parts.append(scaled)
    if not parts:
        return _demand([], [], [], "road")
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs="EPSG:4326")


def placement_problem(candidates: gpd.GeoDataFrame, demand: gpd.GeoDataFrame,
                      existing: gpd.GeoSeries) -> PlacementProblem:
    """Which candidate sees which demand point; what existing cameras serve already.

    Parameters
    ----------
    candidates : geopandas.GeoDataFrame
        From :func:`candidate_cameras`.
    demand : geopandas.GeoDataFrame
        Demand points with ``weight`` (EPSG:4326).
    existing : geopandas.GeoSeries
        Coverage polygons of the cameras there already (EPSG:4326).

    Returns
    -------
    PlacementProblem
    """
    for frame, what in ((candidates, "candidates"), (demand, "demand"),
                        (existing, "existing")):
        require_wgs84(frame, what=what)
    points = np.asarray(demand.geometry.to_numpy(), dtype=object)
    served = np.zeros(len(points), dtype=bool)
    polygons = existing[~(existing.isna() | existing.is_empty)].to_numpy()
    if len(polygons) and len(points):
        _, hit = shapely.STRtree(points).query(np.asarray(polygons, dtype=object),
                                               predicate="intersects")
        served[hit] = True
    demand = demand.assign(served=served)
    wedges = np.asarray(candidates["coverage"].to_numpy(), dtype=object)
    rows, cols = (shapely.STRtree(points).query(wedges, predicate="intersects")
                  if len(points) and len(wedges) else (np.zeros(0, int), np.zeros(0, int)))
    cover = sp.csr_matrix((np.ones(len(rows), dtype=bool), (rows, cols)),
                          shape=(len(wedges), len(points)))
    weights = np.where(served, 0.0, demand["weight"].to_numpy(dtype=np.float64))
    return PlacementProblem(candidates, demand, cover, weights)


def _demand(points: list[object], weight: npt.ArrayLike, road_m: npt.ArrayLike,
            source: str) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"weight": np.asarray(weight, dtype=np.float64),
                             "road_m": np.asarray(road_m, dtype=np.float64),
                             "source": source}, geometry=points, crs="EPSG:4326")
