"""Map data as GeoJSON: roads, buildings, POIs, cameras, areas, grids; place search."""

from __future__ import annotations

from typing import Any

from flask import Response, request
from pydantic import Field

from app import audit
from app.api import bp
from app.api.docs import (
    FEATURE_COLLECTION,
    GEOJSON,
    Answer,
    Param,
    StrictBody,
    choice,
    documented,
    parse_body,
)
from app.auth.access import allow, any_role, any_user
from app.db import get_session
from app.errors import RecordNotFound
from app.geography.params import BBOX_PATTERN, POI_KINDS, BBox
from app.geography.repository import feature_collection, search_places
from app.geography.repository.cells import cell_by_code
from app.labels import label

BBOX_TEXT = "west,south,east,north in degrees (WGS-84), west < east and south < north"
BBOX = Param("bbox", BBOX_TEXT, schema={"pattern": BBOX_PATTERN})
BBOX_REQUIRED = Param("bbox", BBOX_TEXT, required=True, schema={"pattern": BBOX_PATTERN})
FEATURES = {200: Answer("GeoJSON FeatureCollection (truncated: true when the limit was hit)",
                        GEOJSON, FEATURE_COLLECTION)}


def geojson(text: str) -> Response:
    return Response(text, mimetype=GEOJSON)


@bp.get("/roads")
@any_user
@documented("Roads in a box", tag="map", responses=FEATURES, params=(
    BBOX_REQUIRED, Param("drivable", "true: only roads cars may use", type="boolean")))
def roads() -> Response:
    where = "drivable" if request.args.get("drivable") == "true" else "TRUE"
    return geojson(feature_collection(
        get_session(), "roads",
        ["osm_id", "highway", "name", "name_zh", "name_en", "oneway", "speed_kmh", "drivable",
         "walkable"], bbox=BBox.parse(request.args.get("bbox"), required=True), where=where))


@bp.get("/buildings")
@any_user
@documented("Building footprints in a box", tag="map", responses=FEATURES,
            params=(BBOX_REQUIRED,))
def buildings() -> Response:
    return geojson(feature_collection(
        get_session(), "buildings", ["osm_key", "building", "name", "height_m", "levels"],
        bbox=BBox.parse(request.args.get("bbox"), required=True)))


@bp.get("/pois")
@any_role
@documented("Points of interest", tag="map", responses=FEATURES, params=(
    BBOX, choice("kind", "the kind of place", POI_KINDS)))
def pois() -> Response:
    kind = request.args.get("kind")
    return geojson(feature_collection(
        get_session(), "pois", ["osm_key", "kind", "name", "name_zh", "name_en"],
        bbox=BBox.parse(request.args.get("bbox")),
        where="kind = :kind" if kind else "TRUE", params={"kind": kind}))


@bp.get("/areas")
@any_user
@documented("Areas (jurisdictions, station districts)", tag="map", responses=FEATURES)
def areas() -> Response:
    return geojson(feature_collection(get_session(), "areas", ["name", "kind"]))


@bp.get("/grids")
@any_role
@documented("Patrol grid cells", tag="map", responses=FEATURES, params=(
    BBOX, Param("area", "area name")))
def grids() -> Response:
    area = request.args.get("area")
    return geojson(feature_collection(
        get_session(), "grid_cells",
        ["code", "name", "shape", "cell_m", "area_id", "assigned_to", "road_length_m",
         "area_m2"], bbox=BBox.parse(request.args.get("bbox")),
        where="area_id = (SELECT id FROM areas WHERE name = :area)" if area else "TRUE",
        params={"area": area}, limit=20000))


@bp.get("/search")
@any_user
@documented("Find streets and POIs by name (Chinese or English)", tag="map", params=(
    Param("q", "part of a name (1 to 100 characters, not all spaces)", required=True,
          schema={"maxLength": 100, "pattern": r"\S"}),))
def search() -> dict[str, Any]:
    text = request.args.get("q", "").strip()
    hits = search_places(get_session(), text)
    for hit in hits:  # the road class or kind of place in the user's language
        hit["detail_label"] = label("road_class" if hit["kind"] == "road" else "poi_kind",
                                    hit["detail"])
    return {"results": hits}


class GridChange(StrictBody):
    name: str | None = Field(default=None, max_length=200)
    assigned_to: str | None = Field(default=None, max_length=200)
    reason: str | None = Field(default=None, max_length=2000)


@bp.patch("/grids/<code>")
@allow("supervisor")
@documented("Rename a grid cell or assign it (to a station, team or unit)", tag="map",
            body=GridChange, params=(Param("code", "cell code", location="path"),),
            responses={200: "The cell", 404: "No such cell"})
def change_grid(code: str) -> dict[str, Any]:
    change = parse_body(GridChange)
    session = get_session()
    cell = cell_by_code(session, code)
    if cell is None:
        raise RecordNotFound(f"No grid cell {code!r}.", field="code")
    changed = {}
    for field, value in change.model_dump(exclude_unset=True, exclude={"reason"}).items():
        if getattr(cell, field) != value:
            changed[field] = [getattr(cell, field), value]
            setattr(cell, field, value)
    audit.record(session, "grid.update", object_type="grid_cell", object_id=code,
                 reason=change.reason, details=changed)
    session.commit()
    return {"code": code, "name": cell.name, "assigned_to": cell.assigned_to}
