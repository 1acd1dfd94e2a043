"""Building the road graph: edges checked and turned into arrays, an index and hierarchies."""

from __future__ import annotations

import logging
from typing import Self

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from pyproj import Transformer
from runtime.memory import collector_paused

from gis.contraction import ArcTable, CoreHierarchy
from gis.crs import metric_crs_for
from gis.errors import GraphError, UnknownNode

logger = logging.getLogger(__name__)

REQUIRED_COLUMNS = ("edge_id", "u", "v", "length_m", "travel_s", "oneway", "name", "geometry")
_FloatArray = npt.NDArray[np.float64]
_IntArray = npt.NDArray[np.int64]


class RoadGraphBase:
    """What every `RoadGraph` query starts from: the checked edges, as arrays.

    Nodes (OSM ids, sorted) and edges are numbered by position. Each edge keeps its lon/lat
    (EPSG:4326) and UTM geometry, its length in metres, travel time in seconds and oneway
    flag; the UTM geometries are indexed by an STRtree for snapping. The edges' arcs carry
    a core contraction hierarchy for travel-time tables and its mirror image for
    many-to-one queries (`gis.contraction`). The query mixins of `gis.routing.snapping`,
    `.routes`, `.isochrones` and `.tables` add the questions; `gis.routing.RoadGraph`
    combines them.

    Parameters
    ----------
    edges : geopandas.GeoDataFrame
        Road edges in EPSG:4326, as described in `from_edges`.

    Raises
    ------
    GraphError
        When the edges are not usable (see `from_edges`).
    """

    @collector_paused()
    def __init__(self, edges: gpd.GeoDataFrame) -> None:
        _check_edges(edges)
        geoms = np.asarray(edges.geometry.to_numpy(), dtype=object)
        u_ids = edges["u"].to_numpy(dtype=np.int64)
        v_ids = edges["v"].to_numpy(dtype=np.int64)
        starts = shapely.get_coordinates(shapely.get_point(geoms, 0))
        ends = shapely.get_coordinates(shapely.get_point(geoms, -1))
        node_ids, first = np.unique(np.concatenate([u_ids, v_ids]), return_index=True)
        lonlat = np.concatenate([starts, ends])[first]

        self._node_ids: _IntArray = node_ids
        self._node_lon: _FloatArray = lonlat[:, 0].copy()
        self._node_lat: _FloatArray = lonlat[:, 1].copy()
        self._edge_ids: _IntArray = edges["edge_id"].to_numpy(dtype=np.int64)
        self._edge_u = np.searchsorted(node_ids, u_ids)
        self._edge_v = np.searchsorted(node_ids, v_ids)
        self._edge_length_m: _FloatArray = edges["length_m"].to_numpy(dtype=np.float64)
        self._edge_travel_s: _FloatArray = edges["travel_s"].to_numpy(dtype=np.float64)
        self._edge_oneway = edges["oneway"].to_numpy(dtype=bool)
        self._edge_geometry = geoms
        self._edge_row = pd.Index(self._edge_ids)

        self._crs_m = metric_crs_for(edges)  # estimate_utm_crs: 0.1 s in pyproj's db
        self._to_m = Transformer.from_crs("EPSG:4326", self._crs_m, always_xy=True)
        self._to_wgs84 = Transformer.from_crs(self._crs_m, "EPSG:4326", always_xy=True)
        self._edge_geometry_m = np.asarray(edges.geometry.to_crs(self._crs_m).to_numpy(),
                                           dtype=object)
        # Nodes of 4 rather than GEOS's 10: nearest queries ran twice as fast (Heidelberg).
        self._tree = shapely.STRtree(self._edge_geometry_m, node_capacity=4)

        self._arcs = ArcTable.from_edges(len(node_ids), self._edge_u, self._edge_v,
                                          self._edge_travel_s, self._edge_oneway)
        self._hierarchy = CoreHierarchy.build(len(node_ids), self._arcs.tail, self._arcs.head,
                                              self._arcs.matrix.data,
                                              self._edge_length_m[self._arcs.edge_row])
        # Built now rather than on first use: it costs ~0.05 s against ~0.6 s for the rest
        # (Heidelberg), and a graph shared by a server's threads then needs no lock.
        self._reverse_hierarchy = self._hierarchy.reversed()
        logger.debug("road graph: %d nodes, %d edges, %d arcs, core of %d nodes",
                     self.node_count, self.edge_count, len(self._arcs.head),
                     self._hierarchy.core_node_count)

    @classmethod
    def from_edges(cls, edges: gpd.GeoDataFrame) -> Self:
        """Build the graph from road edges.

        Parameters
        ----------
        edges : geopandas.GeoDataFrame
            CRS EPSG:4326, one row per edge with ``edge_id`` (unique int), ``u``, ``v``
            (int OSM node ids; the geometry runs from u to v), ``length_m`` (metres),
            ``travel_s`` (seconds), ``oneway`` (bool: only u->v when True), ``name`` and
            ``geometry`` (LineString, lon/lat, first point at u, last at v).

        Returns
        -------
        RoadGraph
            An instance of the class it is called on.

        Raises
        ------
        GraphError
            On a non-GeoDataFrame, missing columns, a missing or non-4326 CRS, an empty
            frame, duplicate edge ids, negative or non-finite costs, or bad geometries.
        """
        return cls(edges)

    @property
    def node_count(self) -> int:
        """Number of nodes."""
        return len(self._node_ids)

    @property
    def core_node_count(self) -> int:
        """Nodes left uncontracted in the hierarchy (the rest answer through cones)."""
        return int(self._hierarchy.core_node_count)

    @property
    def cone_entries(self) -> int:
        """Size of the precomputed downward cones (memory used by table queries)."""
        return len(self._hierarchy.cone_node)

    @property
    def edge_count(self) -> int:
        """Number of edges as given (a two-way edge counts once)."""
        return len(self._edge_ids)

    @property
    def node_ids(self) -> _IntArray:
        """All node ids (OSM ids), sorted (a read-only view)."""
        view = self._node_ids.view()
        view.flags.writeable = False
        return view

    def _index(self, node_id: int) -> int:
        """The position of node ``node_id`` (see `_indices`)."""
        return int(self._indices([node_id])[0])

    def _indices(self, node_ids: npt.ArrayLike) -> _IntArray:
        """The positions of ``node_ids``.

        Raises `UnknownNode` for an id not in the graph and `GraphError` for anything but
        a 1-D sequence of integers.
        """
        ids = np.asarray(node_ids)
        if ids.ndim != 1:
            raise GraphError(f"expected a 1-D sequence of node ids, got shape {ids.shape}")
        if ids.size == 0:
            return np.empty(0, dtype=np.int64)
        if not np.issubdtype(ids.dtype, np.integer):
            raise GraphError(f"node ids must be integers, got dtype {ids.dtype}")
        ids = ids.astype(np.int64)
        pos = np.minimum(np.searchsorted(self._node_ids, ids), len(self._node_ids) - 1)
        unknown = self._node_ids[pos] != ids
        if unknown.any():
            raise UnknownNode(f"unknown node id(s): {ids[unknown][:5].tolist()}")
        return pos.astype(np.int64)

    def _row(self, edge_id: int) -> int:
        """The position of edge ``edge_id``."""
        return int(self._edge_row.get_loc(edge_id))


def _check_edges(edges: gpd.GeoDataFrame) -> None:
    if not isinstance(edges, gpd.GeoDataFrame):
        raise GraphError(f"edges must be a GeoDataFrame in EPSG:4326, got {type(edges).__name__}")
    missing = [column for column in REQUIRED_COLUMNS if column not in edges.columns]
    if missing:
        raise GraphError(f"edges lack column(s): {', '.join(missing)}")
    if edges.crs is None:
        raise GraphError("edges have no CRS; expected EPSG:4326")
    if edges.crs.to_epsg() != 4326:
        raise GraphError(f"edges must be in EPSG:4326, got {edges.crs.to_string()}")
    if len(edges) == 0:
        raise GraphError("edges is empty")
    for column in ("edge_id", "u", "v", "oneway"):
        if edges[column].isna().any():
            raise GraphError(f"column {column!r} has missing values")
    for column in ("edge_id", "u", "v"):
        if not pd.api.types.is_integer_dtype(edges[column]):
            raise GraphError(f"column {column!r} must hold integers, got {edges[column].dtype}")
    if not edges["edge_id"].is_unique:
        raise GraphError("edge_id values are not unique")
    if not pd.api.types.is_bool_dtype(edges["oneway"]):
        raise GraphError(f"column 'oneway' must hold booleans, got {edges['oneway'].dtype}")
    for column in ("length_m", "travel_s"):
        values = pd.to_numeric(edges[column], errors="coerce").to_numpy(dtype=np.float64)
        if not np.all(np.isfinite(values)):
            raise GraphError(f"column {column!r} has missing or non-finite values")
        if np.any(values < 0):
            raise GraphError(f"column {column!r} has negative values")
    geoms = np.asarray(edges.geometry.to_numpy(), dtype=object)
    bad = (shapely.get_type_id(geoms) != shapely.GeometryType.LINESTRING) | shapely.is_empty(geoms)
    if bad.any():
        raise GraphError(f"{int(bad.sum())} edge geometries are not non-empty LineStrings")
