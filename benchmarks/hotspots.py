"""Gi* on London burglary (2023-24) over a 250 m grid, against esda on the same counts and
weights.

Set-up (not timed): a fresh database; the box london-central.osm.pbf declares
(-0.322, 51.462 - -0.045, 51.542) imported as the area; the 24 police.uk monthly files
imported (31,413 burglaries inside). Then, per run:

* ours: ``run_hotspots`` as the API runs it, ``method=gi_star, cell_m=250``, 999
  permutations, FDR. "analysis" is everything after reading from PostGIS: projecting the
  points, counting them into the cells (aggregation), queen weights, Gi* with the
  permutations and FDR classes. "end to end" adds reading the incidents and building the
  grid;
* esda: ``esda.G_Local(counts, w, transform="B", star=True, permutations=999)`` on the
  same counts and the same weights (our queen matrix as a libpysal W), single-process
  (faster than its default ``n_jobs=-1`` on two cores; both are printed).

Target: ours (analysis, including aggregation) <= 1.2x esda; same z-scores to 1e-9.
Run: ``cd benchmarks && ../.venv/bin/python hotspots.py`` (about a minute).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from common import SHARED, bench_database, table  # noqa: E402

from app.analysis.hotspots import run_hotspots  # noqa: E402
from app.analysis.import_incidents import import_incidents  # noqa: E402
from app.analysis.params import HotspotParams  # noqa: E402
from app.db import get_session  # noqa: E402
from app.geography.import_boundary import import_boundary  # noqa: E402
from gis.crs import metric_crs_for  # noqa: E402
from gis.hotspots import queen_weights, to_libpysal  # noqa: E402

BURGLARY = SHARED / "incidents" / "london_burglary"
BOX = (-0.322, 51.462, -0.045, 51.542)


def box_file(folder: Path) -> Path:
    west, south, east, north = BOX
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    path = folder / "london-central-box.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"name": "London central (extract box)"},
        "geometry": {"type": "Polygon", "coordinates": [ring]}}]}))
    return path


def esda_time(counts: np.ndarray, w: object, *, n_jobs: int) -> tuple[float, np.ndarray]:
    from esda.getisord import G_Local

    with warnings.catch_warnings():  # esda's DeprecationWarning about `alternative`
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        result = G_Local(counts, w, transform="B", star=True, permutations=999,
                         n_jobs=n_jobs, seed=0)
        return time.perf_counter() - start, np.asarray(result.Zs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    params = HotspotParams.model_validate({
        "method": "gi_star", "cell_m": 250, "permutations": 999, "fdr": True,
        "category": "burglary", "from": "2023-01", "to": "2024-12"})
    with bench_database("gridpatrol_bench_hotspots") as bench, \
            tempfile.TemporaryDirectory() as tmp, bench["app"].test_request_context():
        session = get_session()
        import_boundary(session, box_file(Path(tmp)), reason="benchmark")
        summary = import_incidents(session, [BURGLARY], rejects_path=Path(tmp) / "r.csv",
                                   reason="benchmark")
        session.commit()
        run_hotspots(session, params)  # warm: imports, caches
        runs = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            answer = run_hotspots(session, params)
            runs.append((time.perf_counter() - start, answer.timings_ms["analysis"] / 1000))
        cells_m = answer.cells.to_crs(metric_crs_for(answer.cells))
        counts = answer.cells["count"].to_numpy(dtype=np.float64)
        w = to_libpysal(queen_weights(cells_m))
    esda_single = [esda_time(counts, w, n_jobs=1) for _ in range(max(2, args.repeat // 2))]
    esda_default = esda_time(counts, w, n_jobs=-1)
    esda_s = statistics.median(t for t, _ in esda_single)
    ours_analysis = statistics.median(a for _, a in runs)
    ours_total = statistics.median(t for t, _ in runs)
    z_diff = float(np.max(np.abs(answer.cells["z"].to_numpy() - esda_single[0][1])))
    ratio = ours_analysis / esda_s
    print(f"\nLondon burglary 2023-24: {summary.accepted:,} incidents in the box, "
          f"{len(counts):,} cells of 250 m, {int(counts.sum()):,} counted, "
          f"{w.mean_neighbors:.1f} neighbours on average, 999 permutations\n")
    print(table([
        ["gridpatrol: aggregation + queen weights + Gi* + FDR classes",
         f"{1000 * ours_analysis:.0f}", f"{ratio:.2f}x"],
        ["gridpatrol end to end (read from PostGIS, grid, all of the above)",
         f"{1000 * ours_total:.0f}", f"{ours_total / esda_s:.2f}x"],
        ["esda G_Local (n_jobs=1), same counts and weights", f"{1000 * esda_s:.0f}", "1.00x"],
        ["esda G_Local (default n_jobs=-1)", f"{1000 * esda_default[0]:.0f}",
         f"{esda_default[0] / esda_s:.2f}x"],
    ], ["run", "median ms", "vs esda"]))
    print(f"\nlargest |z - esda z|: {z_diff:.2e}")
    print(f"target ours <= 1.2x esda including aggregation: "
          f"{'met' if ratio <= 1.2 else 'NOT MET'} ({ratio:.2f}x)")
    print(f"target same z-scores to 1e-9: {'met' if z_diff <= 1e-9 else 'NOT MET'}")


if __name__ == "__main__":
    main()
