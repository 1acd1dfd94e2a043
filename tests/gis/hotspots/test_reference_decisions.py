"""Gi* hot spots, LISA clusters and emerging hot spots on real city exports decided as
esda and Esri's rule decide them.

Each export is aggregated to a square grid over its whole extent (mostly empty cells, as a
city grid is), counted here with ``floor`` and the weights built by libpysal's ``lat2W``
(independent of gis.hotspots), then esda's ``G_Local`` gives the z-scores and the
analytical rule is written out below: two-sided ``p = 2 P(Z >= |z|)``, Gi_Bin at
p <= 0.10 / 0.05 / 0.01, and with FDR the Benjamini-Hochberg step-up at each level.
The cells that rule calls hot (and cold) must be exactly the cells gis.hotspots calls so.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from esda.getisord import G_Local
from esda.moran import Moran_Local
from libpysal.weights import WSP, lat2W
from scipy import sparse
from scipy.stats import norm

from gis.hotspots import count_points_in_cells, gi_star, queen_weights
from gis.hotspots.emerging import emerging_hot_spots
from gis.hotspots.lisa import NOT_SIGNIFICANT, local_moran
from tests.conftest import SHARED_DATA

LONDON = SHARED_DATA / "incidents" / "london_burglary"
SF = SHARED_DATA / "incidents" / "sf" / "SFPD_Incident_Reports_2018-12_subset.csv"
LEVELS = ((3, 0.01), (2, 0.05), (1, 0.10))
# Greater London (the Metropolitan Police area): 25 of the 107,514 located burglaries lie
# far outside it (up to 55° N), which would stretch the grid to half a million cells.
GREATER_LONDON = (-0.52, 51.28, 0.34, 51.70)
SAN_FRANCISCO = (-122.52, 37.70, -122.35, 37.84)


def read_lon_lat(path: Path, box: tuple[float, float, float, float]) -> np.ndarray:
    files = sorted(path.glob("*.csv")) if path.is_dir() else [path]
    frame = pd.concat([pd.read_csv(f, usecols=["Longitude", "Latitude"]) for f in files])
    lon_lat = frame[["Longitude", "Latitude"]].dropna().to_numpy(dtype=np.float64)
    west, south, east, north = box
    inside = ((lon_lat[:, 0] > west) & (lon_lat[:, 0] < east) & (lon_lat[:, 1] > south)
              & (lon_lat[:, 1] < north))
    return lon_lat[inside]


def lattice_counts(xy: np.ndarray, cell_m: float) -> tuple[np.ndarray, int, int, float, float]:
    """Counts per cell of a square lattice covering the points, row-major from the
    south-west (lat2W's order): ``floor`` of the offsets, nothing from gis.hotspots."""
    x0 = np.floor(xy[:, 0].min() / cell_m) * cell_m
    y0 = np.floor(xy[:, 1].min() / cell_m) * cell_m
    col = np.floor((xy[:, 0] - x0) / cell_m).astype(int)
    row = np.floor((xy[:, 1] - y0) / cell_m).astype(int)
    n_cols, n_rows = col.max() + 1, row.max() + 1
    counts = np.bincount(row * n_cols + col, minlength=n_rows * n_cols).astype(np.float64)
    return counts, n_rows, n_cols, x0, y0


def rule_bins(z: np.ndarray, *, fdr: bool) -> np.ndarray:
    """Esri's Gi_Bin from z-scores, written out: two-sided normal p-value, each level
    passed at p <= level, or with FDR at p <= the largest p_(k) with p_(k) <= k level/m."""
    p = 2.0 * norm.sf(np.abs(z))
    ordered = np.sort(p)
    ranks = np.arange(1, p.size + 1)
    bins = np.zeros(p.size, dtype=int)
    for magnitude, level in reversed(LEVELS):
        if fdr:
            passing = np.flatnonzero(ordered <= ranks * level / p.size)
            passed = p <= ordered[passing[-1]] if passing.size else np.zeros(p.size, bool)
        else:
            passed = p <= level
        bins[passed] = magnitude
    return np.sign(z).astype(int) * bins


@pytest.mark.parametrize(("export", "box", "epsg", "cell_m"),
                         [(LONDON, GREATER_LONDON, 32630, 500.0),
                          (SF, SAN_FRANCISCO, 32610, 250.0)],
                         ids=["london-burglary-500m", "sf-250m"])
def test_hot_cells_on_a_real_export_are_the_cells_esda_and_the_rule_call_hot(
        export: Path, box: tuple[float, float, float, float], epsg: int,
        cell_m: float) -> None:
    lon_lat = read_lon_lat(export, box)
    assert len(lon_lat) > 10_000
    to_utm = pyproj.Transformer.from_crs(4326, epsg, always_xy=True)
    xy = np.column_stack(to_utm.transform(lon_lat[:, 0], lon_lat[:, 1]))
    counts, n_rows, n_cols, x0, y0 = lattice_counts(xy, cell_m)
    cols, rows = np.meshgrid(np.arange(n_cols), np.arange(n_rows))
    left, bottom = x0 + cols.ravel() * cell_m, y0 + rows.ravel() * cell_m
    cells = gpd.GeoDataFrame(geometry=shapely.box(left, bottom, left + cell_m,
                                                  bottom + cell_m), crs=epsg)
    # the aggregation here agrees with the independent one
    np.testing.assert_array_equal(count_points_in_cells(xy, cells), counts)

    with warnings.catch_warnings():  # esda's notice about its future `alternative`
        warnings.simplefilter("ignore", DeprecationWarning)
        esda_z = np.asarray(G_Local(counts, lat2W(n_rows, n_cols, rook=False),
                                    transform="B", star=True, permutations=0).Zs)
    weights = queen_weights(cells)
    for fdr in (False, True):
        ours = gi_star(counts, weights, fdr=fdr)  # the defaults: analytical p-values
        np.testing.assert_allclose(ours.z, esda_z, rtol=0, atol=1e-9)
        expected = rule_bins(esda_z, fdr=fdr)
        hot_here = set(np.flatnonzero(ours.bin >= 2).tolist())
        hot_rule = set(np.flatnonzero(expected >= 2).tolist())
        assert hot_here == hot_rule, (fdr, len(hot_here ^ hot_rule))
        np.testing.assert_array_equal(ours.bin, expected)  # every class, hot and cold
        assert len(hot_here) >= 10  # a city has hot spots, with or without FDR
        assert ours.bin[np.argmax(esda_z)] == 3
    assert counts.size > 2000 and (counts == 0).mean() > 0.1  # a city-sized grid


@pytest.mark.filterwarnings(
    # esda's conditional randomisation announces a change of its default alternative.
    "ignore:The alternative hypothesis for conditional randomization:DeprecationWarning")
@pytest.mark.parametrize(("export", "box", "epsg", "cell_m"),
                         [(LONDON, GREATER_LONDON, 32630, 1000.0),
                          (SF, SAN_FRANCISCO, 32610, 500.0)],
                         ids=["london-burglary-1km", "sf-500m"])
def test_lisa_clusters_on_a_real_export_are_esdas(
        export: Path, box: tuple[float, float, float, float], epsg: int,
        cell_m: float) -> None:
    """Local Moran's I on a real city grid, decided as esda's ``Moran_Local`` with its
    two-sided pseudo p-value at 0.05 (Esri's Cluster and Outlier Analysis): the same
    statistic, and the same clusters and outliers. Crime counts are full of ties
    (zeros); counting a tied random sum on both sides can only raise a p-value, so a cell
    could leave esda's set, never join it — on these exports none leaves."""
    lon_lat = read_lon_lat(export, box)
    to_utm = pyproj.Transformer.from_crs(4326, epsg, always_xy=True)
    xy = np.column_stack(to_utm.transform(lon_lat[:, 0], lon_lat[:, 1]))
    counts, n_rows, n_cols, _, _ = lattice_counts(xy, cell_m)
    ours = local_moran(counts, lattice_weights(n_rows, n_cols), permutations=999, seed=7)
    w = lat2W(n_rows, n_cols, rook=False)
    w.transform = "r"
    theirs = Moran_Local(counts, w, permutations=999, seed=7, n_jobs=1)
    np.testing.assert_allclose(ours.i, theirs.Is, rtol=0, atol=1e-12)
    esda_p = np.minimum(1.0, 2.0 * theirs.p_sim)
    assert (ours.p >= esda_p - 1e-12).all()
    quadrant = np.array(["", "HH", "LH", "LL", "HL"])[theirs.q]
    clustered = esda_p <= 0.05
    here = ours.quadrant != NOT_SIGNIFICANT
    np.testing.assert_array_equal(ours.quadrant[here], quadrant[here])
    np.testing.assert_array_equal(here, clustered)
    assert (ours.quadrant == "HH").sum() >= 20 and (ours.quadrant == "LL").sum() >= 100


def lattice_weights(n_rows: int, n_cols: int) -> sparse.csr_array:
    """Queen weights of the lattice in lat2W's order, from libpysal (binary)."""
    w = lat2W(n_rows, n_cols, rook=False)
    return sparse.csr_array(w.sparse, dtype=np.float64)


def test_emerging_hot_spots_on_a_real_export_are_esdas_gi_star_over_the_cube() -> None:
    """Emerging hot spots of the London burglaries, month by month on a 2 km grid, with
    Esri's defaults: every bin's Gi* equals esda's ``G_Local`` over the cube's 24 × n bins
    with the space-time weights built here block by block (a bin's neighbours: its
    cell's queen neighbours this month, and the cell with them the month before), and
    the hot and cold bins are those the analytical rule with FDR at 0.10 over the whole
    cube gives."""
    frame = pd.concat(pd.read_csv(f, usecols=["Month", "Longitude", "Latitude"])
                      for f in sorted(LONDON.glob("*.csv"))).dropna()
    west, south, east, north = GREATER_LONDON
    frame = frame[frame["Longitude"].between(west, east)
                  & frame["Latitude"].between(south, north)]
    to_utm = pyproj.Transformer.from_crs(4326, 32630, always_xy=True)
    xy = np.column_stack(to_utm.transform(frame["Longitude"].to_numpy(),
                                          frame["Latitude"].to_numpy()))
    cell_m = 2000.0
    _, n_rows, n_cols, x0, y0 = lattice_counts(xy, cell_m)
    cell = (np.floor((xy[:, 1] - y0) / cell_m).astype(int) * n_cols
            + np.floor((xy[:, 0] - x0) / cell_m).astype(int))
    months = sorted(frame["Month"].unique())
    assert len(months) == 24
    step = frame["Month"].map({m: i for i, m in enumerate(months)}).to_numpy()
    cube = np.zeros((len(months), n_rows * n_cols))
    np.add.at(cube, (step, cell), 1.0)

    spatial = lattice_weights(n_rows, n_cols)
    steps, n = cube.shape
    blocks: list[list[sparse.csr_array | None]] = [[None] * steps for _ in range(steps)]
    for t in range(steps):
        blocks[t][t] = spatial
        if t:
            blocks[t][t - 1] = spatial + sparse.identity(n, format="csr")
    space_time = WSP(sparse.csr_matrix(sparse.bmat(blocks, format="csr"))).to_W(
        silence_warnings=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        esda_z = np.asarray(G_Local(cube.ravel(), space_time, transform="B", star=True,
                                    permutations=0).Zs).reshape(steps, n)

    ours = emerging_hot_spots(cube, spatial)  # Esri's defaults
    np.testing.assert_allclose(ours.z, esda_z, rtol=0, atol=1e-9)
    p = 2.0 * norm.sf(np.abs(esda_z)).ravel()
    ordered = np.sort(p)
    passing = np.flatnonzero(ordered <= np.arange(1, p.size + 1) * 0.10 / p.size)
    significant = (p <= ordered[passing[-1]]).reshape(steps, n)
    np.testing.assert_array_equal(ours.hot, significant & (esda_z > 0))
    np.testing.assert_array_equal(ours.cold, significant & (esda_z < 0))
    patterns = pd.Series(ours.pattern.astype(str)).value_counts()
    assert patterns.get("Persistent Hot Spot", 0) >= 5  # central London's burglary
