"""Run a hot-spot method over the incidents and a grid; answer GeoJSON per cell.

Choices (README "Crime analysis"):

* cells are the stored patrol grid of the requested size and shape, else the same lattice
  built for the run; incidents are counted where they fall (a point on a shared edge once);
* weights: queen contiguity by default (a square's 8 neighbours), or a distance band
  between cell centroids (default 1.5 × the cell size, which also gives 8);
* Gi*: binary weights with the cell itself (Getis-Ord star); two-sided p-values from the
  z-scores (Esri) or, when asked, from conditional permutations with a fixed seed; Esri's
  FDR correction; Esri's Gi_Bin classes;
* LISA: permutation pseudo p-values, two-sided, 95 %;
* emerging: equal time bins (month by default) × cells, Gi* per bin, Mann–Kendall trend;
  records too coarse for the bin (a police.uk month for weekly bins) are left out and
  counted in the summary.

Every answer says how significance was decided (``summary["significance"]``): where the
p-values came from, the permutations, whether and how FDR was applied and the critical
p-values it led to.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy.orm import Session

from app.analysis.data import analysis_cells, load_incidents, require_incidents
from app.analysis.params import HotspotParams, period_start
from app.errors import InvalidValue
from app.notes import label_note
from gis.crs import metric_crs_for
from gis.hotspots import (
    DensityRaster,
    emerging_hot_spots,
    fdr_critical_p,
    gi_star,
    kernel_density_of,
    local_moran,
    locate_points_in_cells,
    queen_weights,
)
from gis.hotspots.weights import distance_band_weights
from runtime.notes import Note

_RESOLUTION_RANK = {"minute": 0, "day": 1, "month": 2}
_BIN_NEEDS = {"day": 1, "week": 1, "month": 2, "quarter": 2}
_PERIOD_CODE = {"day": "D", "week": "W-MON", "month": "M", "quarter": "Q"}
MAX_TIME_BINS = 400


@dataclass
class HotspotAnswer:
    """Cells with their statistics (EPSG:4326), the GeoJSON, and for KDE the raster."""

    params: HotspotParams
    cells: gpd.GeoDataFrame
    summary: dict[str, Any]
    raster: DensityRaster | None = None
    timings_ms: dict[str, float] = field(default_factory=dict)

    def geojson(self) -> dict[str, Any]:
        return cells_geojson(self.cells, self.summary)

MIN_CELLS = 3  # Gi* and LISA need neighbours to compare a cell with


def run_hotspots(session: Session, params: HotspotParams, *,
                 progress: Callable[[float, str], None] | None = None) -> HotspotAnswer:
    """One hot-spot run; ``progress(fraction, message)`` is told each stage (a job's
    progress bar; it may raise to cancel between stages)."""
    report = progress or (lambda _f, _m: None)
    started = time.perf_counter()
    report(0.0, Note("loading incidents"))
    incidents = load_incidents(session, params)
    require_incidents(incidents)
    cells, stored = analysis_cells(session, cell_m=params.cell_m, shape=params.shape,
                                   area=params.area)
    if params.method != "kde" and len(cells) < MIN_CELLS:
        raise InvalidValue(f"The area holds {len(cells)} cell(s) of {params.cell_m:g} m; "
                           f"{params.method} needs at least {MIN_CELLS}: use smaller cells.",
                           field="cell_m", code="too_few_cells")
    loaded = time.perf_counter()
    report(0.3, Note("%(incidents)s incidents, %(cells)s cells: counting",
                     incidents=len(incidents), cells=len(cells)))
    metric = metric_crs_for(cells)
    cells_m = cells.to_crs(metric)
    points_m = incidents.to_crs(metric)
    xy = shapely.get_coordinates(points_m.geometry.values)
    where = locate_points_in_cells(xy, cells_m)
    snapped = _snap_edge_points(xy, where, cells_m, cell_m=params.cell_m)
    counts = np.bincount(where[where >= 0], minlength=len(cells)).astype(np.float64)
    weights = _weights(cells_m, params)
    neighbours = np.diff(weights.indptr)
    summary: dict[str, Any] = {
        "method": params.method, "params": params.model_dump(by_alias=True, mode="json"),
        "incidents": len(incidents), "counted": int(counts.sum()),
        "outside_cells": int((where < 0).sum()), "snapped_to_edge_cells": snapped,
        "cells": len(cells),
        "grid": "stored patrol grid" if stored else "built for this analysis",
        "metric_crs": metric.to_string(), "isolated_cells": int((neighbours == 0).sum()),
        "resolutions": incidents["time_resolution"].value_counts().to_dict()}
    out = cells.copy()
    out["count"] = counts.astype(np.int64)
    raster = None
    report(0.45, Note("%(method)s: computing", method=label_note("method", params.method)))
    if params.method == "gi_star":
        result = gi_star(counts, weights, p_method=params.p_method,
                         permutations=params.permutations, seed=params.seed, fdr=params.fdr)
        out["z"] = result.z
        out["p"] = result.p
        out["p_fdr"] = result.p_fdr
        out["bin"] = result.bin.astype(np.int64)
        summary["bins"] = {str(b): int((result.bin == b).sum()) for b in range(-3, 4)}
        summary["significance"] = significance_summary(
            params, permutations=result.permutations,
            critical_p={str(k): v for k, v in result.critical_p.items()})
    elif params.method == "lisa":
        lisa = local_moran(counts, weights, alpha=params.alpha,
                           permutations=params.permutations, seed=params.seed,
                           fdr=params.fdr)
        out["i"] = lisa.i
        out["z"] = lisa.z
        out["p"] = lisa.p
        out["p_fdr"] = lisa.p_fdr
        out["quadrant"] = lisa.quadrant.astype(object)
        summary["quadrants"] = pd.Series(lisa.quadrant).value_counts().to_dict()
        summary["significance"] = significance_summary(
            params, permutations=lisa.permutations, critical_p={
                _confidence(params.alpha): fdr_critical_p(lisa.p, alpha=params.alpha)
                if params.fdr else params.alpha})
    elif params.method == "kde":
        raster = kernel_density_of(points_m.geometry, cell_m=_kde_cell_m(params, cells_m),
                                   bounds=tuple(cells_m.total_bounds),
                                   bandwidth_m=params.bandwidth_m)
        out["density_per_km2"] = _sample(raster, shapely.get_coordinates(
            cells_m.geometry.representative_point().values))
        summary["bandwidth_m"] = round(raster.bandwidth_m, 1)
        summary["kde_cell_m"] = raster.cell_m
        summary["kernel"] = raster.kernel
        summary["bandwidth_rule"] = ("given" if params.bandwidth_m else
                                     "Esri's spatial variant of Silverman's rule")
    else:
        series, excluded, labels = _time_bins(incidents, where, len(cells), params)
        emerging = emerging_hot_spots(series, weights, alpha=params.alpha,
                                      fdr=params.fdr, p_method=params.p_method,
                                      permutations=params.permutations, seed=params.seed,
                                      time_steps=min(params.time_steps, len(labels) - 1))
        frame = emerging.as_frame()
        for column in frame.columns:
            out[column] = frame[column].to_numpy()
        summary["time_bins"] = labels
        summary["too_coarse_for_bins"] = excluded
        summary["patterns"] = frame["pattern"].value_counts().to_dict()
        summary["significance"] = significance_summary(
            params, permutations=params.permutations if params.p_method == "permutation"
            else 0, critical_p={} if params.fdr else {_confidence(params.alpha): params.alpha})
        summary["significance"]["fdr_scope"] = "every bin of the cube" if params.fdr else None
        summary["neighbourhood"] = {
            "time_steps": min(params.time_steps, len(labels) - 1),
            "global_window": "entire cube"}
        summary["significance"]["trend"] = {"test": "Mann-Kendall", "p_values": "two-sided",
                                            "alpha": 0.05}
    done = time.perf_counter()
    report(0.95, Note("done: writing the answer"))
    timings = {"load": round(1000 * (loaded - started), 1),
               "analysis": round(1000 * (done - loaded), 1)}
    summary["timings_ms"] = timings
    return HotspotAnswer(params, out, summary, raster, timings)


REFERENCES = {
    "gi_star": "Esri Hot Spot Analysis (Getis-Ord Gi*); FDR as Esri's Optimized Hot Spot "
               "Analysis; z-scores equal to esda G_Local(star=True)",
    "lisa": "esda Moran_Local (conditional permutation); two-sided pseudo p-values and "
            "95 % as Esri's Cluster and Outlier Analysis",
    "emerging": "Esri Emerging Hot Spot Analysis: Gi* per time bin with FDR, Mann-Kendall "
                "trend",
}


def significance_summary(params: HotspotParams, *, permutations: int,
                         critical_p: dict[str, float | None]) -> dict[str, Any]:
    """How significance was decided, for the answer and the page: where the p-values came
    from, the permutations drawn, the FDR rule and the critical p-value per confidence
    level that resulted (None: nothing reached it; with FDR over time bins it is one per
    bin, left out)."""
    return {
        "p_method": params.p_method, "p_values": "two-sided", "permutations": permutations,
        "seed": params.seed if permutations else None, "fdr": params.fdr,
        "fdr_rule": ("Benjamini-Hochberg step-up at each confidence level over all cells, "
                     "as Esri's FDR correction") if params.fdr else None,
        "alpha": params.alpha if params.method != "gi_star" else None,
        "critical_p": critical_p, "reference": REFERENCES[params.method]}


def _confidence(alpha: float) -> str:
    """The confidence level ``1 - alpha`` in percent, as a key: 0.05 → "95"."""
    return f"{100 * (1 - alpha):g}"


def _snap_edge_points(xy: np.ndarray, where: np.ndarray, cells_m: gpd.GeoDataFrame, *,
                      cell_m: float) -> int:
    """Give points just outside every cell to the nearest one (in place); returns how many.

    Cells are clipped to the areas in UTM, where a long area edge drawn straight in degrees
    is a chord: an incident accepted as inside the area (tested in degrees) can lie a few
    metres outside the outermost cells. Up to a tenth of a cell (at least 25 m) away
    counts as that cell's; anything further stays outside and is reported."""
    outside = np.flatnonzero(where < 0)
    if not len(outside):
        return 0
    tree = shapely.STRtree(cells_m.geometry.values)
    points = shapely.points(xy[outside])
    found_points, found_cells = tree.query_nearest(points, max_distance=max(25.0, cell_m / 10),
                                                   all_matches=False)
    where[outside[found_points]] = found_cells
    return int(len(found_points))


def _weights(cells_m: gpd.GeoDataFrame, params: HotspotParams) -> Any:
    if params.weights == "distance":
        return distance_band_weights(cells_m, threshold_m=params.distance_m
                                     or 1.5 * params.cell_m)
    return queen_weights(cells_m)


def _kde_cell_m(params: HotspotParams, cells_m: gpd.GeoDataFrame) -> float:
    """The raster cell: given, else about 400 cells across the wider side (≥ 10 m)."""
    if params.kde_cell_m:
        return params.kde_cell_m
    west, south, east, north = cells_m.total_bounds
    return float(max(10.0, round(max(east - west, north - south) / 400.0)))


def _sample(raster: DensityRaster, xy: np.ndarray) -> np.ndarray:
    rows, cols = raster.density_per_km2.shape
    col = np.clip(((xy[:, 0] - raster.west_m) // raster.cell_m).astype(int), 0, cols - 1)
    row = np.clip(((raster.north_m - xy[:, 1]) // raster.cell_m).astype(int), 0, rows - 1)
    return np.round(raster.density_per_km2[row, col], 3)


def _time_bins(incidents: gpd.GeoDataFrame, where: np.ndarray, n_cells: int,
               params: HotspotParams) -> tuple[np.ndarray, int, list[str]]:
    """Counts per (time bin, cell) and the bins' labels; too-coarse records left out."""
    fine_enough = incidents["time_resolution"].map(_RESOLUTION_RANK).to_numpy() \
        <= _BIN_NEEDS[params.time_bin]
    keep = fine_enough & (where >= 0)
    code = _PERIOD_CODE[params.time_bin]
    periods = incidents["local_time"].dt.to_period(code)
    first = (pd.Timestamp(period_start(params.start)).tz_localize(None).to_period(code)
             if params.start else periods[keep].min())
    last = (pd.Timestamp(period_start(params.end, end=True)).tz_localize(None)
            - pd.Timedelta(seconds=1)).to_period(code) if params.end else periods[keep].max()
    if pd.isna(first) or pd.isna(last):
        raise InvalidValue(f"No incident has a time fine enough for {params.time_bin}ly "
                            "bins.", field="time_bin", code="time_bins")
    bins = pd.period_range(first, last, freq=code)
    if len(bins) < 3 or len(bins) > MAX_TIME_BINS:
        raise InvalidValue(f"Emerging hot spots need 3 to {MAX_TIME_BINS} time bins; "
                            f"this period has {len(bins)} {params.time_bin}s.",
                            field="time_bin", code="time_bins")
    position = (periods - first).map(lambda offset: offset.n).to_numpy()
    keep &= (position >= 0) & (position < len(bins))
    series = np.zeros((len(bins), n_cells))
    np.add.at(series, (position[keep].astype(int), where[keep]), 1.0)
    return series, int((~fine_enough).sum()), [str(b) for b in bins]


def cells_geojson(cells: gpd.GeoDataFrame, summary: dict[str, Any]) -> dict[str, Any]:
    """A FeatureCollection of the cells (coordinates to 7 decimals, ~1 cm) with their
    statistics; NaN becomes null; ``summary`` goes under the collection's ``properties``."""
    geometry = shapely.set_precision(cells.geometry.values, 1e-7)
    columns = [c for c in cells.columns if c != cells.geometry.name]
    records = cells[columns].astype(object).where(cells[columns].notna(), None)
    features = []
    for geom, values in zip(shapely.to_geojson(geometry), records.itertuples(index=False),
                            strict=True):
        props = {k: _plain(v) for k, v in zip(columns, values, strict=True)}
        features.append({"type": "Feature", "properties": props, "geometry": geom})
    for feature in features:
        feature["geometry"] = json.loads(feature["geometry"])
    return {"type": "FeatureCollection", "features": features, "properties": summary}


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return None if np.isnan(value) else round(value, 6)
    return value
