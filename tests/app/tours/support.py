"""A small town for the tour tests: an area, evening thefts concentrated at two spots
near each other (17 at P, 14 at Q 25 m east), a night cluster at R, thefts scattered far
from them, older ones outside the default period, and cameras aimed at each spot. All
incidents go through the ordinary importer; cameras through the API."""

from __future__ import annotations

import csv
import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient, FlaskCliRunner
from pyproj import Geod

from tests.app.analysis.test_import_incidents import write_box

GEOD = Geod(ellps="WGS84")
AREA = "Tour town"
BOX = (-0.1000, 51.5100, -0.0800, 51.5200)
P = (-0.0950, 51.5150)


def offset(point: tuple[float, float], bearing_deg: float, metres: float) -> tuple[float, float]:
    x, y, _ = GEOD.fwd(point[0], point[1], bearing_deg, metres)
    return float(x), float(y)


Q = offset(P, 90, 25)
R = offset(P, 45, 400)
SCATTER_FROM = offset(P, 200, 450)  # the scattered thefts stay far from P, Q and R


def incident_rows() -> list[dict[str, Any]]:
    rng = random.Random(17)
    rows: list[dict[str, Any]] = []

    def add(spot: tuple[float, float], when: datetime, *, jitter_m: float = 3.0) -> None:
        lon, lat = offset(spot, rng.uniform(0, 360), rng.uniform(0, jitter_m))
        rows.append({"id": f"T{len(rows) + 1}", "time": when.strftime("%Y-%m-%d %H:%M"),
                     "category": "theft", "lon": f"{lon:.7f}", "lat": f"{lat:.7f}"})

    def evening(day: int) -> datetime:
        return datetime(2024, 7, 5) + timedelta(days=day, hours=18 + rng.randrange(3),
                                                minutes=rng.randrange(60))

    for n in range(17):
        add(P, evening(n * 5))
    for n in range(14):
        add(Q, evening(n * 6 + 1))
    for n in range(40):  # the night cluster, at 03:xx
        add(R, datetime(2024, 7, 6) + timedelta(days=n * 2, hours=3, minutes=n))
    for n in range(20):  # scattered evening thefts, far from the clusters
        add(SCATTER_FROM, evening(n * 4 + 2), jitter_m=120.0)
    for n in range(10):  # P in January: outside the default period (91 days to 30 Sep)
        add(P, datetime(2024, 1, 10 + n, 19, 0))
    add(SCATTER_FROM, datetime(2024, 9, 30, 10, 0))  # the newest: the period's end
    return rows


def load_town(runner: FlaskCliRunner, tmp_path: Path) -> None:
    box = write_box(tmp_path / "town.geojson", AREA, BOX)
    assert runner.invoke(args=["import", "boundary", str(box)]).exit_code == 0
    source = tmp_path / "thefts.csv"
    with source.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", "time", "category", "lon", "lat"])
        writer.writeheader()
        writer.writerows(incident_rows())
    result = runner.invoke(args=[
        "import", "incidents", str(source), "--source", "town", "--tz", "UTC",
        "--mapping", "id=id,datetime=time,category=category,lon=lon,lat=lat"])
    assert result.exit_code == 0, result.output


def add_camera(client: FlaskClient, headers: dict[str, str], name: str,
               spot: tuple[float, float], *, looking_deg: float, back_m: float = 30.0,
               range_m: float = 40.0, stream_url: str | None = "rtsp://10.9.8.7/cam",
               **extra: Any) -> dict[str, Any]:
    """A camera ``back_m`` behind ``spot``, looking at it with a 30° view."""
    lon, lat = offset(spot, looking_deg + 180, back_m)
    body = {"name": name, "lon": lon, "lat": lat, "azimuth_deg": looking_deg, "fov_deg": 30,
            "range_m": range_m, **extra}
    if stream_url:
        body["stream_url"] = stream_url
    answer = client.post("/api/v1/cameras", json=body, headers=headers)
    assert answer.status_code == 201, answer.json
    return answer.json  # type: ignore[no-any-return]


def town_cameras(client: FlaskClient, headers: dict[str, str],
                 streams: Sequence[str] | None = None) -> dict[str, dict[str, Any]]:
    """B sees P (17), A sees Q (14), C sees R (the night), D the scattered place; each
    with a stream from ``streams`` in that order (default: an address nothing answers)."""
    urls = list(streams or ["rtsp://10.9.8.7/cam"] * 4)
    return {"B": add_camera(client, headers, "B looks at P", P, looking_deg=90,
                            stream_url=urls[0]),
            "A": add_camera(client, headers, "A looks at Q", Q, looking_deg=270,
                            stream_url=urls[1]),
            "C": add_camera(client, headers, "C looks at R", R, looking_deg=0,
                            stream_url=urls[2]),
            "D": add_camera(client, headers, "D scattered", SCATTER_FROM, looking_deg=180,
                            back_m=60, range_m=120, stream_url=urls[3])}
