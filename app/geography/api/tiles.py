"""The basemap as vector tiles (served from PostGIS; nothing leaves the machine)."""

from __future__ import annotations

from flask import Response, current_app, request

from app.api import bp
from app.api.docs import Answer, Param, documented
from app.auth.access import any_user
from app.db import get_session
from app.db.versions import data_version
from app.errors import RecordNotFound
from app.geography.tiles import TileCache, render_tile

MAX_ZOOM = 20


@bp.get("/tiles/<int:z>/<int:x>/<int:y>.pbf")
@any_user
@documented("A basemap vector tile (Mapbox Vector Tile: landcover, buildings, roads)",
            tag="map", params=(Param("z", f"zoom, 0–{MAX_ZOOM}", location="path", type="integer",
                                     schema={"maximum": MAX_ZOOM}),
                               Param("x", "column, below 2^zoom", location="path",
                                     type="integer", schema={"maximum": 2**MAX_ZOOM - 1}),
                               Param("y", "row, below 2^zoom", location="path",
                                     type="integer", schema={"maximum": 2**MAX_ZOOM - 1})),
            responses={200: Answer("The tile", "application/vnd.mapbox-vector-tile"),
                       304: Answer("Not modified since the ETag sent", None)})
def tile(z: int, x: int, y: int) -> Response:
    if z > MAX_ZOOM or x >= 2 ** z or y >= 2 ** z:
        raise RecordNotFound(f"No tile {z}/{x}/{y}: zoom 0–{MAX_ZOOM}, x and y below 2^zoom.")
    session = get_session()
    version = data_version(session, "roads")
    etag = f'"{version}-{z}-{x}-{y}"'
    if request.headers.get("If-None-Match") == etag:
        return Response(status=304)
    key = (version, z, x, y)
    cache: TileCache = current_app.extensions.setdefault("gridpatrol_tiles", TileCache())
    body = cache.get(key)
    if body is None:
        body = render_tile(session, z, x, y)
        cache.put(key, body)
    response = Response(body, mimetype="application/vnd.mapbox-vector-tile")
    response.headers["ETag"] = etag
    response.headers["Cache-Control"] = "private, max-age=300"
    return response
