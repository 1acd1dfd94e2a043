"""Small synthetic lattices shared by the hot-spot tests (UTM zone 35N, near Helsinki)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pyproj
import scipy.sparse as sp
import shapely

UTM35N = pyproj.CRS.from_epsg(32635)
X0, Y0 = 385_000.0, 6_672_000.0


def square_cells(n_cols: int, n_rows: int, *, cell_m: float = 100.0) -> gpd.GeoDataFrame:
    """Full square cells, row-major from the south-west corner (libpysal lat2W order)."""
    cols, rows = np.meshgrid(np.arange(n_cols), np.arange(n_rows))
    x0 = X0 + cols.ravel() * cell_m
    y0 = Y0 + rows.ravel() * cell_m
    return gpd.GeoDataFrame({"col": cols.ravel(), "row": rows.ravel()},
                            geometry=shapely.box(x0, y0, x0 + cell_m, y0 + cell_m),
                            crs=UTM35N)


def lattice_queen(n_cols: int, n_rows: int) -> sp.csr_array:
    """Queen contiguity of a lattice by index arithmetic (independent of geometry)."""
    index = np.arange(n_cols * n_rows).reshape(n_rows, n_cols)
    rows, cols = [], []
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            if dr == dc == 0:
                continue
            src = index[max(0, -dr):n_rows - max(0, dr), max(0, -dc):n_cols - max(0, dc)]
            dst = index[max(0, dr):n_rows + min(0, dr), max(0, dc):n_cols + min(0, dc)]
            rows.append(src.ravel())
            cols.append(dst.ravel())
    r, c = np.concatenate(rows), np.concatenate(cols)
    return sp.csr_array((np.ones(len(r)), (r, c)), shape=(n_cols * n_rows,) * 2)


def block_counts(n: int = 10, *, block: tuple[int, int, int] = (4, 4, 3), high: float = 20.0,
                 seed: int = 0) -> npt.NDArray[np.float64]:
    """Poisson(2) counts on an n x n lattice with a square block of ``high`` counts.

    ``block`` is (first col, first row, side); values are row-major like square_cells.
    """
    rng = np.random.default_rng(seed)
    grid = rng.poisson(2.0, size=(n, n)).astype(np.float64)
    c0, r0, side = block
    grid[r0:r0 + side, c0:c0 + side] = high
    return grid.ravel()
