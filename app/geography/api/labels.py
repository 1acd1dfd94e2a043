"""Street and place names for the basemap at street zoom (Leaflet.VectorGrid draws no
text: the console places these itself, see app/static/js/map-labels.js)."""

from __future__ import annotations

from typing import Any

from flask import request

from app.api import bp
from app.api.docs import Answer, Param, documented, json_object
from app.auth.access import any_user
from app.db import get_session
from app.errors import InvalidValue
from app.geography.params import BBOX_PATTERN, BBox
from app.geography.repository.labels import MAX_POI_LABELS, MAX_ROAD_LABELS, labels_in

MAX_SPAN_DEG = 0.25
"""Widest box answered (degrees, each way): a 4K screen at zoom 16 with a margin. Labels
are drawn from zoom 16; a wider box is refused rather than answered slowly."""
NAMES = {"name": {"type": ["string", "null"]}, "name_zh": {"type": ["string", "null"]},
         "name_en": {"type": ["string", "null"]}}
LABELS = json_object(
    ("roads", "pois", "truncated"), truncated={"type": "boolean"},
    roads={"type": "array", "items": json_object(
        ("highway", "path", "length_m"), highway={"type": "string"},
        length_m={"type": "number"},
        path={"type": "array", "items": {"type": "array", "items": {"type": "number"}}},
        **NAMES)},
    pois={"type": "array", "items": json_object(
        ("kind", "lon", "lat"), kind={"type": "string"}, lon={"type": "number"},
        lat={"type": "number"}, **NAMES)})


@bp.get("/labels")
@any_user
@documented(
    "Names to write on the basemap in a box: each named road's pieces inside it (a line "
    "to write along, simplified to about 1 m) and named points of interest, most important "
    f"first (at most {MAX_ROAD_LABELS} and {MAX_POI_LABELS}; `truncated` says when more "
    "were left out). Names as OSM has them: `name`, `name:zh`, `name:en`.", tag="map",
    params=(Param("bbox", "west,south,east,north in degrees (WGS-84), west < east and "
                  f"south < north, at most {MAX_SPAN_DEG}° each way", required=True,
                  schema={"pattern": BBOX_PATTERN}),),
    responses={200: Answer("{roads, pois, truncated}", schema=LABELS)},
    refusals={"bbox_too_large": f"the box spans more than {MAX_SPAN_DEG}° (labels are for "
                                "street zoom)"})
def labels() -> dict[str, Any]:
    bbox = BBox.parse(request.args.get("bbox"), required=True)
    assert bbox is not None
    if bbox.east - bbox.west > MAX_SPAN_DEG or bbox.north - bbox.south > MAX_SPAN_DEG:
        raise InvalidValue(f"bbox spans more than {MAX_SPAN_DEG}°: labels are drawn at street "
                           "zoom; ask for a smaller box.", field="bbox", code="bbox_too_large")
    return labels_in(get_session(), bbox)
