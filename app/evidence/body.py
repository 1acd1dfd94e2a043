"""The body of ``POST /api/v1/evidence-plans``, validated strictly and described in
openapi.json with the rules a JSON Schema can state (exactly one path choice; a place and
time, or an alert or incident that gives them)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    model_validator,
)

from app.api.docs import StrictBody
from gis.evidence import Mode
from gis.evidence.modes import DEFAULT_MARGIN_S, MAX_MARGIN_S
from gis.evidence.path_input import MAX_GPX_BYTES, MAX_PATH_POINTS

MAX_MINUTES = 30.0
PATH_CHOICES = ("path", "gpx", "to", "minutes")
_POSITION = {"type": "array", "minItems": 2, "maxItems": 3,
             "prefixItems": [{"type": "number", "minimum": -180, "maximum": 180},
                             {"type": "number", "minimum": -90, "maximum": 90}],
             "items": {"type": "number"}}
_LINE = {"type": "array", "minItems": 2, "maxItems": MAX_PATH_POINTS, "items": _POSITION}
_LINE_GEOMETRY = {"type": "object", "required": ["type", "coordinates"], "properties": {
    "type": {"enum": ["LineString"]}, "coordinates": _LINE}}
_MULTI_GEOMETRY = {"type": "object", "required": ["type", "coordinates"], "properties": {
    "type": {"enum": ["MultiLineString"]},
    "coordinates": {"type": "array", "minItems": 1, "maxItems": 100, "items": _LINE}}}
_FEATURE = {"type": "object", "required": ["type", "geometry"], "properties": {
    "type": {"enum": ["Feature"]}, "geometry": {"anyOf": [_LINE_GEOMETRY, _MULTI_GEOMETRY]}}}
PATH_SCHEMA: dict[str, Any] = {
    "description": "GeoJSON LineString or MultiLineString (parts joined in order), or a "
                   "Feature or FeatureCollection of them; lon/lat in `datum`",
    "anyOf": [_LINE_GEOMETRY, _MULTI_GEOMETRY, _FEATURE, {
        "type": "object", "required": ["type", "features"], "properties": {
            "type": {"enum": ["FeatureCollection"]},
            "features": {"type": "array", "minItems": 1, "maxItems": 100,
                         "items": _FEATURE}}}]}


class Place(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lon: float = Field(ge=-180, le=180, allow_inf_nan=False)
    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)


OPTIONAL = ("lon", "lat", "at", "path", "gpx", "to", "minutes", "speed_kmh", "alert_id",
            "incident_id")


def _describe(schema: dict[str, Any]) -> None:
    for name in OPTIONAL:  # may be left out, not sent as null
        prop = schema["properties"][name]
        variants = [v for v in prop.pop("anyOf", []) if v.get("type") != "null"]
        if variants:
            prop.update(variants[0] if len(variants) == 1 else {"anyOf": variants})
        prop.pop("default", None)
    schema["allOf"] = [
        {"oneOf": [{"required": [name]} for name in PATH_CHOICES]},
        {"anyOf": [{"required": ["lon", "lat", "at"]}, {"required": ["alert_id"]},
                   {"required": ["incident_id"]}]}]
    schema["properties"]["path"] = PATH_SCHEMA


class EvidencePlanBody(StrictBody):
    """Where and when it started, how they travelled, and which way (one of ``path``,
    ``gpx``, ``to``, ``minutes``)."""

    model_config = ConfigDict(json_schema_extra=_describe)

    lon: float | None = Field(default=None, ge=-180, le=180, allow_inf_nan=False,
                              description="the place (with lat); default: the alert's or "
                                          "incident's")
    lat: float | None = Field(default=None, ge=-90, le=90, allow_inf_nan=False)
    at: AwareDatetime | None = Field(
        default=None, description="when it started, ISO 8601 with an offset; default: the "
                                  "alert's raising or the incident's time")
    mode: Mode = Field(default=Mode.CAR, description="car | motorcycle | foot")
    path: dict[str, Any] | None = None
    gpx: str | None = Field(default=None, min_length=1, max_length=MAX_GPX_BYTES,
                            description="a GPX document (track or route points)")
    to: Place | None = Field(default=None,
                             description="route along the fastest drivable way to here")
    minutes: float | None = Field(default=None, gt=0, le=MAX_MINUTES,
                                  description="every way out of the place within this "
                                              "many minutes")
    speed_kmh: float | None = Field(default=None, gt=0, le=300,
                                    description="an assumed speed replacing the mode's and "
                                                "the roads'")
    margin_s: float = Field(default=DEFAULT_MARGIN_S, ge=0, le=MAX_MARGIN_S,
                            description="seconds added before and after every window")
    datum: Literal["wgs84", "gcj02", "bd09"] = Field(
        default="wgs84", description="datum of every coordinate given (AMap: gcj02, "
                                     "Baidu: bd09)")
    alert_id: int | None = Field(default=None, ge=1, le=2**31 - 1,
                                 description="file the plan in this alert's case")
    incident_id: int | None = Field(default=None, ge=1, le=2**31 - 1,
                                    description="file the plan in this incident's case")
    reason: str = Field(min_length=1, max_length=2000,
                        description="why the recordings are needed (audited)")

    @model_validator(mode="after")
    def _one_path_choice(self) -> EvidencePlanBody:
        nulls = [n for n in OPTIONAL if n in self.model_fields_set and getattr(self, n) is None]
        if nulls:  # a before-validator would make strict parsing refuse ISO times
            raise ValueError(f"leave {', '.join(nulls)} out rather than sending null")
        given = [name for name in PATH_CHOICES if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of path, gpx, to and minutes"
                             + (f" (got {', '.join(given)})" if given else ""))
        return self
