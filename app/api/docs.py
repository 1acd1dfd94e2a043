"""Describing API operations next to their views, and parsing bodies strictly."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from flask import request
from pydantic import BaseModel, ConfigDict

from app.errors import MalformedRequest

F = TypeVar("F", bound=Callable[..., Any])
M = TypeVar("M", bound=BaseModel)
DOC_ATTR = "_gridpatrol_openapi"


@dataclass(frozen=True)
class Param:
    name: str
    description: str
    location: str = "query"
    type: str = "string"
    required: bool = False
    format: str | None = None


@dataclass(frozen=True)
class Operation:
    summary: str
    params: tuple[Param, ...] = ()
    body: type[BaseModel] | None = None
    responses: dict[int, str] = field(default_factory=dict)
    tag: str = "general"


def documented(summary: str, *, params: tuple[Param, ...] = (),
               body: type[BaseModel] | None = None, responses: dict[int, str] | None = None,
               tag: str = "general") -> Callable[[F], F]:
    """Attach the OpenAPI description of this view's operation."""
    def decorate(view: F) -> F:
        setattr(view, DOC_ATTR, Operation(summary, params, body, responses or {200: "OK"},
                                          tag))
        return view
    return decorate


class StrictBody(BaseModel):
    """A request body: unknown fields are refused, text is stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def parse_body(model: type[M]) -> M:
    """The JSON body validated by ``model``; 400 when it is not a JSON object."""
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise MalformedRequest("The request body must be a JSON object "
                         "(Content-Type: application/json).", field="body")
    return model.model_validate(payload)
