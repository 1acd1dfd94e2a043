"""Gi* numeric core against esda: counting + weights + Gi* (999 permutations) vs G_Local.

    .venv/bin/python benchmarks/gi_star.py [--repeat 5] [--points 100000]

No database: a 55 x 55 grid of 250 m square cells (3,025 cells, UTM 35N) and synthetic
incidents (clusters plus uniform background). "ours" is the whole pipeline
(``count_points_in_cells`` + weights + ``gi_star(p_method="permutation")`` with 999
permutations); the peer is ``esda.G_Local(y, w, transform="B", star=True,
permutations=999)`` alone on the same counts and weights, once single-process and once
with its default ``n_jobs=-1``. Targets: pipeline <= 1.2x esda; Gi* alone >= 2x faster
than esda. The answers are compared too: z-scores to 1e-9, p_sim by correlation
(different random draws). The default, analytical Gi* (no permutations, as Esri) is timed
against ``G_Local(..., permutations=0)``.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import numpy as np
import pyproj
import shapely
from common import table
from esda.getisord import G_Local

from gis.hotspots import (
    count_points_in_cells,
    distance_band_weights,
    gi_star,
    queen_weights,
    to_libpysal,
)

CELL_M = 250.0
SIDE = 55
X0, Y0 = 385_000.0, 6_672_000.0


def grid() -> gpd.GeoDataFrame:
    cols, rows = np.meshgrid(np.arange(SIDE), np.arange(SIDE))
    x0 = X0 + cols.ravel() * CELL_M
    y0 = Y0 + rows.ravel() * CELL_M
    return gpd.GeoDataFrame(geometry=shapely.box(x0, y0, x0 + CELL_M, y0 + CELL_M),
                            crs=pyproj.CRS.from_epsg(32635))


def incidents(count: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    extent = SIDE * CELL_M
    centres = rng.uniform([X0, Y0], [X0 + extent, Y0 + extent], size=(12, 2))
    clustered = centres[rng.integers(0, 12, count // 2)] + rng.normal(0, 400, (count // 2, 2))
    uniform = rng.uniform([X0, Y0], [X0 + extent, Y0 + extent], size=(count - count // 2, 2))
    return np.vstack([clustered, uniform])


def median_time(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def esda_gi(values: np.ndarray, w: Any, n_jobs: int, permutations: int = 999) -> G_Local:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # esda's notice about its future alternative
        return G_Local(values, w, transform="B", star=True, permutations=permutations,
                       seed=1, n_jobs=n_jobs)


def measure(name: str, build: Callable[[], Any], cells: gpd.GeoDataFrame, points: np.ndarray,
            repeat: int) -> list[str]:
    """One table row: our steps and pipeline, esda single- and multi-process, answers."""
    def pipeline() -> Any:
        counts = count_points_in_cells(points, cells)
        return gi_star(counts, build(), p_method="permutation", permutations=999, seed=1)

    t_pipeline, ours = median_time(pipeline, repeat)
    values = count_points_in_cells(points, cells).astype(float)
    weights = build()
    t_count, _ = median_time(lambda: count_points_in_cells(points, cells), repeat)
    t_weights, _ = median_time(build, repeat)
    t_gi, _ = median_time(lambda: gi_star(values, weights, p_method="permutation",
                                          permutations=999, seed=1), repeat)
    t_analytical, _ = median_time(lambda: gi_star(values, weights, fdr=True), repeat)
    w = to_libpysal(weights)
    esda_repeat = max(1, repeat // 2)
    esda_gi(values, w, -1)  # start esda's worker pool once, as a server would
    t_esda_1, theirs = median_time(lambda: esda_gi(values, w, 1), esda_repeat)
    t_esda_all, _ = median_time(lambda: esda_gi(values, w, -1), esda_repeat)
    t_esda = min(t_esda_1, t_esda_all)
    t_esda_z, _ = median_time(lambda: esda_gi(values, w, 1, permutations=0), esda_repeat)
    return [name, f"{np.diff(weights.indptr).mean():.1f}", f"{t_count * 1e3:.1f}",
            f"{t_weights * 1e3:.1f}", f"{t_gi * 1e3:.1f}", f"{t_pipeline * 1e3:.1f}",
            f"{t_esda_1 * 1e3:.0f}", f"{t_esda_all * 1e3:.0f}",
            f"{t_pipeline / t_esda:.2f}", f"{t_esda / t_gi:.0f}",
            f"{np.abs(ours.z - theirs.Zs).max():.1e}",
            f"{np.corrcoef(ours.p_sim, theirs.p_sim)[0, 1]:.3f}",
            f"{t_analytical * 1e3:.2f}", f"{t_esda_z * 1e3:.1f}",
            f"{t_esda_z / t_analytical:.0f}"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--points", type=int, default=100_000)
    args = parser.parse_args()
    cells = grid()
    points = incidents(args.points)
    rows = [measure("queen", lambda: queen_weights(cells), cells, points, args.repeat),
            measure("band 600 m", lambda: distance_band_weights(cells, threshold_m=600.0),
                    cells, points, args.repeat)]
    print(f"{len(cells)} cells, {len(points)} points, 999 permutations, median of "
          f"{args.repeat} (esda: of {max(1, args.repeat // 2)})\n")
    print(table(rows, ["weights", "mean neighbours", "count ms", "weights ms", "Gi* ms",
                       "pipeline ms", "esda n_jobs=1 ms", "esda n_jobs=-1 ms",
                       "pipeline / faster esda (<= 1.2)", "faster esda / Gi* (>= 2)",
                       "max |z - Zs|", "corr p_sim", "analytical Gi* + FDR ms",
                       "esda permutations=0 ms", "esda / analytical"]))


if __name__ == "__main__":
    main()
