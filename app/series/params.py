"""What a series request holds: the builder's filter, a series' body and changes, the
view's settings, and the temporary must-visit points it makes."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import Field, field_validator

from app.analysis.params import DataFilter
from app.api.docs import StrictBody, no_default
from app.geography.params import BBOX_PATTERN

MAX_SERIES_INCIDENTS = 300
"""Incidents a series may hold (each consecutive pair is routed)."""
MAX_MATCHES = 2000
"""Incidents the builder lists at once."""
IncidentId = Annotated[int, Field(ge=1, le=2**63 - 1)]


def parse_bbox(value: str | None, *, field: str = "bbox"
               ) -> tuple[float, float, float, float] | None:
    """``west,south,east,north`` as four floats (west < east, south < north)."""
    if not value:
        return None
    west, south, east, north = (float(v) for v in value.split(","))
    if not (west < east and south < north):
        raise ValueError(f"{field}: west must be less than east and south less than north")
    return west, south, east, north


class SeriesFilter(DataFilter):
    """Which incidents the builder lists: the analysis filter (period, categories, area)
    and text (``q``) and a box (``bbox``)."""

    q: str | None = Field(default=None, max_length=200)
    bbox: str | None = Field(default=None, json_schema_extra={"pattern": BBOX_PATTERN})
    limit: int = Field(default=500, ge=1, le=MAX_MATCHES)

    @field_validator("q")
    @classmethod
    def _text(cls, value: str | None) -> str | None:
        value = (value or "").strip()
        return value or None

    @field_validator("bbox")
    @classmethod
    def _box(cls, value: str | None) -> str | None:
        parse_bbox(value)
        return value or None


FILTER_TEXT = {
    "from": "first month or day, YYYY-MM or YYYY-MM-DD (the source's local time)",
    "to": "last month or day, inclusive",
    "category": "common category code(s), comma-separated",
    "area": "area name",
    "q": "text found in the description, address, source category or source id "
         "(case-insensitive)",
    "bbox": "west,south,east,north (WGS-84): only incidents in this box",
    "limit": f"at most this many, newest first (default 500, at most {MAX_MATCHES})",
}


class SeriesBody(StrictBody):
    """A new series: its name, its incidents and the filter that found them."""

    name: str = Field(min_length=1, max_length=200)
    incident_ids: list[IncidentId] = Field(min_length=1, max_length=MAX_SERIES_INCIDENTS)
    notes: str | None = Field(default=None, max_length=4000)
    params: dict[str, str | list[str] | None] = Field(
        default_factory=dict, description="the builder's filter, kept with the series")
    reason: str | None = Field(default=None, max_length=2000)


class SeriesChange(StrictBody):
    """Changes to a series (any of them)."""

    name: str | None = Field(default=None, min_length=1, max_length=200,
                             json_schema_extra=no_default)
    incident_ids: list[IncidentId] | None = Field(default=None, min_length=1,
                                           max_length=MAX_SERIES_INCIDENTS,
                                           json_schema_extra=no_default)
    notes: str | None = Field(default=None, max_length=4000)
    reason: str | None = Field(default=None, max_length=2000)


class ViewSettings(StrictBody):
    """How a series is described: the ellipse's size and correction."""

    std_devs: Literal[1, 2, 3] = 1
    correction: Literal["arcgis", "crimestat", "none"] = "arcgis"


VIEW_TEXT = {
    "std_devs": "standard deviations of the ellipse: 1 (default), 2 or 3",
    "correction": "arcgis (√2 with n, default) | crimestat (√2 with n - 2) | none",
}


class TemporaryPoints(StrictBody):
    """Temporary must-visit points from a series."""

    until: date = Field(description="the last day the points are in effect (local); they "
                                    "expire at the following midnight")
    place: Literal["incidents", "centre"] = Field(
        default="incidents", description="incidents: one point per group of incidents "
                                         "within merge_m of each other; centre: one at the "
                                         "mean centre")
    merge_m: float = Field(default=150.0, ge=10, le=2000,
                           description="incidents closer than this share a point")
    windows: Literal["hours", "any"] = Field(
        default="hours", description="hours: every day in the hours that matter (the "
                                     "series' hours, an hour either side); any: no window")
    dwell_min: float = Field(default=10, gt=0, le=240)
    priority: int = Field(default=2, ge=1, le=5)
    reason: str = Field(min_length=1, max_length=2000,
                        description="why the series is patrolled (audited)")


class SeriesTour(StrictBody):
    """A video patrol tour of the cameras watching a series' corridors."""

    name: str | None = Field(default=None, min_length=1, max_length=200,
                             description="the tour's name (default: the series' name)")
    layout: Literal[1, 4, 9, 16] = Field(default=4, description="tiles on the wall")
    dwell_s: int = Field(default=20, ge=5, le=3600, description="seconds on each camera")
    windows: Literal["hours", "any"] = Field(
        default="hours", description="hours: due every day in the hours that matter (the "
                                     "series' hours, an hour either side); any: started by "
                                     "hand")
    until: date | None = Field(default=None, description="the last day the tour is due "
                                                         "(local); none: no end")
    reason: str = Field(min_length=1, max_length=2000,
                        description="why the video centre watches the series (audited)")
