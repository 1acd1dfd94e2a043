"""Street labels and reverse geocoding on Heidelberg: what the console asks at street zoom.

    .venv/bin/python benchmarks/labels.py [--views 30] [--places 200]

Labels: for random street-zoom views (1280 × 800 px at zoom 16 and 17, asked with the
half-view margin the console adds), the time of GET /api/v1/labels' query against the
time to make the vector tiles of the same view (uncached ST_AsMVT, what the basemap costs
before any label): the ratio says what labels add to drawing a view.

Reverse geocoding: for random places, naming the place (nearest-neighbour candidates from
the GiST index + gis.places) against the same candidates found by a full scan of the named
roads within 150 m (ST_DWithin on geography, which no index serves): the ratio is what
the KNN query saves.
"""

from __future__ import annotations

import argparse
import math
import random

import sqlalchemy as sa
from common import HEIDELBERG, bench_database, median, percentile, table, timed
from tiles import tile_of

from app.db import get_session
from app.geography.import_osm import import_osm
from app.geography.params import BBox
from app.geography.places import place_at
from app.geography.repository.labels import labels_in
from app.geography.tiles import render_tile

CENTRE = (8.69, 49.41)


def view_box(lon: float, lat: float, zoom: int, *, width_px: int = 1280,
             height_px: int = 800, pad: float = 0.5) -> BBox:
    """The box the console asks for: the view at ``zoom`` plus ``pad`` of it each way."""
    deg_per_px = 360 / (256 * 2 ** zoom)
    half_w = width_px / 2 * deg_per_px * (1 + 2 * pad)
    half_h = height_px / 2 * deg_per_px * math.cos(math.radians(lat)) * (1 + 2 * pad)
    return BBox(lon - half_w, lat - half_h, lon + half_w, lat + half_h)


def view_tiles(lon: float, lat: float, zoom: int) -> list[tuple[int, int, int]]:
    box = view_box(lon, lat, zoom, pad=0)
    x0, y0 = tile_of(box.west, box.north, zoom)
    x1, y1 = tile_of(box.east, box.south, zoom)
    return [(zoom, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]


def scanned_candidates(session: object, lon: float, lat: float) -> int:
    rows = session.execute(sa.text(  # type: ignore[attr-defined]
        "SELECT name, ST_AsBinary(geom) FROM roads WHERE name IS NOT NULL AND ST_DWithin("
        "geom::geography, ST_SetSRID(ST_MakePoint(:x, :y), 4326)::geography, 150)"),
        {"x": lon, "y": lat}).all()
    return len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--views", type=int, default=30)
    parser.add_argument("--places", type=int, default=200)
    args = parser.parse_args()
    rng = random.Random(11)
    with bench_database() as bench, bench["app"].app_context():
        session = get_session()
        import_osm(session, HEIDELBERG)
        session.commit()
        label_ms, tile_ms, counts = [], [], []
        for _ in range(args.views):
            lon = CENTRE[0] + rng.uniform(-0.03, 0.03)
            lat = CENTRE[1] + rng.uniform(-0.015, 0.015)
            zoom = rng.choice([16, 17])
            seconds, answer = timed(lambda lon=lon, lat=lat, zoom=zoom: labels_in(
                session, view_box(lon, lat, zoom)))
            label_ms.append(seconds * 1000)
            counts.append(len(answer["roads"]) + len(answer["pois"]))
            seconds, _ = timed(lambda lon=lon, lat=lat, zoom=zoom: [
                render_tile(session, *t) for t in view_tiles(lon, lat, zoom)])
            tile_ms.append(seconds * 1000)
        knn_ms, scan_ms = [], []
        for _ in range(args.places):
            lon = CENTRE[0] + rng.uniform(-0.03, 0.03)
            lat = CENTRE[1] + rng.uniform(-0.015, 0.015)
            seconds, _ = timed(lambda lon=lon, lat=lat: place_at(session, lon, lat))
            knn_ms.append(seconds * 1000)
            seconds, _ = timed(
                lambda lon=lon, lat=lat: scanned_candidates(session, lon, lat))
            scan_ms.append(seconds * 1000)
    print(f"{args.views} random street views (1280 × 800 px, zoom 16–17), Heidelberg; "
          f"median {median(counts):.0f} labels a view")
    print(table([
        ["labels of the view (GET /api/v1/labels)", f"{median(label_ms):.1f}",
         f"{percentile(label_ms, 95):.1f}", f"{median(label_ms) / median(tile_ms):.2f}"],
        ["vector tiles of the view, uncached", f"{median(tile_ms):.1f}",
         f"{percentile(tile_ms, 95):.1f}", "1.00"],
    ], ["per view", "p50 ms", "p95 ms", "ratio to tiles"]))
    print()
    print(f"{args.places} random places, Heidelberg")
    print(table([
        ["name the place: KNN candidates + gis.places", f"{median(knn_ms):.2f}",
         f"{percentile(knn_ms, 95):.2f}", "1.00"],
        ["candidates alone by a full scan (ST_DWithin, geography)", f"{median(scan_ms):.2f}",
         f"{percentile(scan_ms, 95):.2f}", f"{median(scan_ms) / median(knn_ms):.2f}"],
    ], ["per place", "p50 ms", "p95 ms", "ratio"]))


if __name__ == "__main__":
    main()
