"""Basemap tiles on Heidelberg: vector tiles (ST_AsMVT) vs server-rendered raster tiles.

    .venv/bin/python benchmarks/tiles.py [--tiles 40]

For the same random tiles at zoom 13–16 around the city: time to make one MVT tile in
PostGIS (what gridpatrol serves) vs time to render one 256 px PNG from the same
features with matplotlib's Agg renderer (a stand-in for a raster pipeline), and the
bytes sent. This is the measurement behind serving vector tiles.
"""

from __future__ import annotations

import argparse
import io
import math
import random

import sqlalchemy as sa
from common import HEIDELBERG, bench_database, median, percentile, table, timed

from app.db import get_session
from app.geography.import_osm import import_osm
from app.geography.tiles import render_tile


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    n = 2 ** z

    def lat(row: int) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * row / n))))
    return x / n * 360 - 180, lat(y + 1), (x + 1) / n * 360 - 180, lat(y)


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2 ** z
    return (int((lon + 180) / 360 * n),
            int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n))


def raster_tile(session: object, z: int, x: int, y: int) -> bytes:
    import geopandas as gpd
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    west, south, east, north = tile_bounds(z, x, y)
    params = {"w": west, "s": south, "e": east, "n": north}
    conn = session.connection()  # type: ignore[attr-defined]
    box = "geom && ST_MakeEnvelope(:w, :s, :e, :n, 4326)"
    land = gpd.read_postgis(sa.text(f"SELECT kind, geom FROM landcover WHERE {box}"), conn,
                            geom_col="geom", params=params)
    roads = gpd.read_postgis(sa.text(f"SELECT highway, geom FROM roads WHERE {box}"), conn,
                             geom_col="geom", params=params)
    fig = plt.figure(figsize=(2.56, 2.56), dpi=100)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(west, east)
    ax.set_ylim(south, north)
    ax.axis("off")
    if not land.empty:
        land.plot(ax=ax, color="#c8e6b0", linewidth=0)
    if not roads.empty:
        roads.plot(ax=ax, color="#ffffff", linewidth=1.5)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", facecolor="#f2efe9")
    plt.close(fig)
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tiles", type=int, default=40)
    args = parser.parse_args()
    rng = random.Random(7)
    with bench_database() as bench, bench["app"].app_context():
        session = get_session()
        import_osm(session, HEIDELBERG)
        session.commit()
        picks = []
        for _ in range(args.tiles):
            z = rng.choice([13, 14, 15, 16])
            x, y = tile_of(8.69 + rng.uniform(-0.04, 0.04), 49.41 + rng.uniform(-0.02, 0.02), z)
            picks.append((z, x, y))
        mvt_times, mvt_bytes, png_times, png_bytes = [], [], [], []
        for z, x, y in picks:
            seconds, body = timed(lambda z=z, x=x, y=y: render_tile(session, z, x, y))
            mvt_times.append(seconds * 1000)
            mvt_bytes.append(len(body))
            seconds, body = timed(lambda z=z, x=x, y=y: raster_tile(session, z, x, y))
            png_times.append(seconds * 1000)
            png_bytes.append(len(body))
    ratio = median(png_times) / median(mvt_times)
    print(f"{args.tiles} random tiles, zoom 13–16, Heidelberg")
    print(table([
        ["vector tile, PostGIS ST_AsMVT (served)", f"{median(mvt_times):.1f}",
         f"{percentile(mvt_times, 95):.1f}", f"{median(mvt_bytes) / 1024:.1f}", "1.00"],
        ["raster PNG, matplotlib Agg", f"{median(png_times):.1f}",
         f"{percentile(png_times, 95):.1f}", f"{median(png_bytes) / 1024:.1f}",
         f"{ratio:.2f}"],
    ], ["tile", "p50 ms", "p95 ms", "median KiB", "time ratio"]))


if __name__ == "__main__":
    main()
