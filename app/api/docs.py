"""Describing API operations next to their views, and parsing bodies strictly.

What ``@documented`` says is what the server does: the query parameters it declares are
checked against their schema before the view runs (:mod:`app.api.query`), and
``openapi.json`` is built from the same declarations (:mod:`app.api.openapi`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from flask import request
from pydantic import BaseModel, ConfigDict

from app.errors import MalformedRequest

F = TypeVar("F", bound=Callable[..., Any])
M = TypeVar("M", bound=BaseModel)
DOC_ATTR = "_gridpatrol_openapi"
JSON = "application/json"
GEOJSON = "application/geo+json"
#: Record ids: what an int4 key holds (the routes' int converter takes digits only).
ID_RANGE = {"minimum": 0, "maximum": 2**31 - 1}
#: A GeoJSON FeatureCollection, as far as every collection the API answers has it.
FEATURE_COLLECTION: dict[str, Any] = {
    "type": "object", "required": ["type", "features"],
    "properties": {"type": {"const": "FeatureCollection"},
                   "features": {"type": "array", "items": {
                       "type": "object", "required": ["type", "geometry", "properties"],
                       "properties": {"type": {"const": "Feature"}}}}}}


@dataclass(frozen=True)
class Param:
    """A path or query parameter: its JSON Schema and what it means.

    ``schema`` holds constraints beyond the type (``enum``, ``minimum``, ``maximum``,
    ``exclusiveMinimum``, ``pattern``, ``minLength``, ``maxLength``, ``format``).
    """

    name: str
    description: str
    location: str = "query"
    type: str = "string"
    required: bool = False
    format: str | None = None
    schema: Mapping[str, Any] = field(default_factory=dict)

    def json_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": self.type, **self.schema}
        if self.format:
            schema["format"] = self.format
        if self.location == "path" and self.type == "integer":
            schema = {**ID_RANGE, **schema}  # the route's converter takes digits only
        return schema


def choice(name: str, description: str, values: tuple[str, ...], **kwargs: Any) -> Param:
    """A query parameter that takes one of ``values``."""
    return Param(name, description, schema={"enum": list(values)}, **kwargs)


def model_params(model: type[BaseModel], descriptions: Mapping[str, str]) -> tuple[Param, ...]:
    """Query parameters read into ``model``: one per field (by its alias), with the type
    and constraints pydantic states for it, so the description cannot drift from the
    validation. Fields missing from ``descriptions`` are not offered."""
    properties = model.model_json_schema(by_alias=True)["properties"]
    params = []
    for name, description in descriptions.items():
        prop = dict(properties[name])
        variants = [v for v in prop.pop("anyOf", [prop]) if v.get("type") != "null"]
        schema = {k: v for k, v in {**variants[0], **prop}.items()
                  if k not in ("title", "default", "description", "type")}
        if "enum" not in schema and "const" in schema:
            schema["enum"] = [schema.pop("const")]
        kind = variants[0].get("type", "string")
        if kind == "array":  # a list in the model is a comma-separated string on the wire
            kind, schema = "string", {}
        params.append(Param(name, description, type=kind, schema=schema))
    return tuple(params)


@dataclass(frozen=True)
class Answer:
    """A response: what it is, its media type and (for JSON) its schema; ``more``: other
    media types it may come as (``format=csv``), each with its schema."""

    description: str
    media_type: str | None = JSON
    schema: Mapping[str, Any] | None = None
    more: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def content(self) -> dict[str, Any]:
        if self.media_type is None:
            return {}
        schema = dict(self.schema) if self.schema is not None else (
            {"type": "object"} if self.media_type == JSON else {})
        return {self.media_type: {"schema": schema},
                **{media: {"schema": dict(more)} for media, more in self.more.items()}}


def json_object(required: tuple[str, ...], **properties: Any) -> dict[str, Any]:
    """The schema of a JSON object answer: these properties, at least ``required``."""
    return {"type": "object", "required": list(required), "properties": properties}


NULLABLE_NUMBER: dict[str, Any] = {"type": ["number", "null"]}
NULLABLE_STRING: dict[str, Any] = {"type": ["string", "null"]}
DATE_TIME: dict[str, Any] = {"type": "string", "format": "date-time"}

#: The CSV export some analysis answers offer.
CSV = {"text/csv": {"type": "string"}}


@dataclass(frozen=True)
class Body:
    """A request body other than a JSON object validated by a model: a JSON list, CSV
    text, NMEA text, an upload; one schema per media type it may come as."""

    content: Mapping[str, Mapping[str, Any]]
    required: bool = True
    encoding: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class Operation:
    summary: str
    params: tuple[Param, ...] = ()
    body: type[BaseModel] | Body | None = None
    responses: dict[int, str | Answer] = field(default_factory=dict)
    tag: str = "general"
    refusals: Mapping[str, str] = field(default_factory=dict)

    def answers(self) -> dict[int, Answer]:
        return {code: answer if isinstance(answer, Answer) else Answer(answer)
                for code, answer in self.responses.items()}


def documented(summary: str, *, params: tuple[Param, ...] = (),
               body: type[BaseModel] | Body | None = None,
               responses: dict[int, str | Answer] | None = None,
               tag: str = "general", refusals: Mapping[str, str] | None = None
               ) -> Callable[[F], F]:
    """Attach the OpenAPI description of this view's operation.

    ``refusals`` names the 422 answers a well-formed request may still get because of
    what is (or is not) in the database: error code → when. Everything else refused with
    422 is a request that breaks the description (``invalid``, naming the field).
    """
    def decorate(view: F) -> F:
        setattr(view, DOC_ATTR, Operation(summary, params, body, responses or {200: "OK"},
                                          tag, refusals or {}))
        return view
    return decorate


class StrictBody(BaseModel):
    """A request body: unknown fields are refused, text is stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def json_numbers(value: Any) -> Any:
    """``value`` with integral floats as ints: JSON has one kind of number, and 2.0 is
    the integer 2 (as JSON Schema says), though Python's decoder makes it a float."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return int(value)
    if isinstance(value, dict):
        return {key: json_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [json_numbers(item) for item in value]
    return value


def validate_json(model: type[M], payload: Any) -> M:
    """``payload`` (decoded JSON) validated by ``model`` as JSON, strictly: a number must
    be a number, a flag true or false (not ``"1"`` or ``0``), as the description says.
    Importers that read text (CSV cells) validate the same models leniently instead."""
    return model.model_validate_json(json.dumps(json_numbers(payload)),
                                     strict=True)


def no_default(schema: dict[str, Any]) -> None:
    """json_schema_extra of a field that may be left out but not sent as null."""
    schema.pop("default", None)


def parse_body(model: type[M]) -> M:
    """The JSON body validated by ``model``; 400 when it is not a JSON object."""
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise MalformedRequest("The request body must be a JSON object "
                         "(Content-Type: application/json).", field="body")
    return validate_json(model, payload)
