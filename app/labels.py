"""Names shown for stored codes: road classes, kinds of place, grid shapes, time bins,
methods and their result classes, shifts, plan and visit statuses.

Codes stay codes in the database and the API (``secondary``, ``square``, ``month``,
``HH``, ``New Hot Spot``); pages show them through :func:`label` in the user's language.
Each table maps every code a page can meet to a translatable English name (extracted by
``scripts/translations.py`` like any other string). A code no table knows is shown as it
is — a shift code from ``GRIDPATROL_SHIFTS`` the operator made up, say — so a missing entry
never hides data; tests/app/test_labels.py fails when a table misses a code of its domain
or a Chinese name equals the English one.

The unit, camera, alert and status codes of the console have their two labels in the enums
themselves (:class:`dispatch.labels.LabelledEnum`); :func:`label` reads those too. An
alert's kind is free text: a kind that is one of :class:`dispatch.alerts.AlertKind`'s codes
is shown by its label, any other as typed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, current_app
from flask_babel import LazyString, get_locale
from flask_babel import lazy_gettext as _l

from dispatch.alerts import AlertKind, AlertStatus
from dispatch.cameras.kinds import CameraKind, CameraStatus
from dispatch.labels import LabelledEnum
from dispatch.recommend import UnitKind
from dispatch.status import UnitStatus
from patrol.shifts import DEFAULT_SHIFTS, parse_shifts

ROAD_CLASSES: Mapping[str, LazyString] = {
    "motorway": _l("motorway"), "trunk": _l("trunk road"), "primary": _l("primary road"),
    "secondary": _l("secondary road"), "tertiary": _l("tertiary road"),
    "unclassified": _l("minor road"), "residential": _l("residential street"),
    "living_street": _l("living street"), "service": _l("service road"),
    "road": _l("road of unknown class"), "motorway_link": _l("motorway slip road"),
    "trunk_link": _l("trunk road slip road"), "primary_link": _l("primary road link"),
    "secondary_link": _l("secondary road link"), "tertiary_link": _l("tertiary road link"),
    "footway": _l("footway"), "path": _l("path"), "pedestrian": _l("pedestrian street"),
    "steps": _l("steps"), "cycleway": _l("cycleway"), "track": _l("track"),
    "bridleway": _l("bridleway"), "corridor": _l("indoor corridor"),
}
POI_KINDS: Mapping[str, LazyString] = {
    "school": _l("school"), "kindergarten": _l("kindergarten"), "bank": _l("bank"),
    "atm": _l("cash machine"), "hospital": _l("hospital"), "market": _l("market"),
    "mall": _l("shopping centre"), "bus_station": _l("bus stop or station"),
    "rail_station": _l("rail or metro station"), "nightlife": _l("bar or nightclub"),
    "fuel": _l("petrol station"), "government": _l("government office"),
    "place_of_worship": _l("place of worship"),
}
GRID_SHAPES: Mapping[str, LazyString] = {"square": _l("square"), "hex": _l("hexagon")}
TIME_BINS: Mapping[str, LazyString] = {
    "month": _l("month"), "quarter": _l("quarter"), "week": _l("week"), "day": _l("day")}
TIME_RESOLUTIONS: Mapping[str, LazyString] = {
    "minute": _l("to the minute"), "day": _l("to the day"), "month": _l("to the month")}
ANALYSIS_METHODS: Mapping[str, LazyString] = {
    "gi_star": _l("Getis-Ord Gi* hot spots"), "lisa": _l("Local Moran's I (LISA)"),
    "kde": _l("Kernel density (KDE)"), "emerging": _l("Emerging hot spots"),
    "near_repeat": _l("Near repeat (Knox)"),
}
NEIGHBOURS: Mapping[str, LazyString] = {
    "queen": _l("Queen contiguity"), "distance": _l("Distance band")}
P_METHODS: Mapping[str, LazyString] = {
    "analytical": _l("From z-scores (analytical)"), "permutation": _l("From permutations")}
DISTANCE_METRICS: Mapping[str, LazyString] = {
    "euclidean": _l("straight line"), "manhattan": _l("Manhattan (along a street grid)")}
GI_BINS: Mapping[str, LazyString] = {
    "3": _l("Hot spot, confidence 99%"), "2": _l("Hot spot, confidence 95%"),
    "1": _l("Hot spot, confidence 90%"), "0": _l("Not significant"),
    "-1": _l("Cold spot, confidence 90%"), "-2": _l("Cold spot, confidence 95%"),
    "-3": _l("Cold spot, confidence 99%"),
}
LISA_QUADRANTS: Mapping[str, LazyString] = {
    "HH": _l("High-high cluster"), "LL": _l("Low-low cluster"),
    "HL": _l("High-low outlier"), "LH": _l("Low-high outlier"),
    "not significant": _l("Not significant"),
}
# gis.hotspots.EmergingPattern's values (Esri's PATTERN names)
EMERGING_PATTERNS: Mapping[str, LazyString] = {
    "New Hot Spot": _l("New hot spot"), "Consecutive Hot Spot": _l("Consecutive hot spot"),
    "Intensifying Hot Spot": _l("Intensifying hot spot"),
    "Persistent Hot Spot": _l("Persistent hot spot"),
    "Diminishing Hot Spot": _l("Diminishing hot spot"),
    "Sporadic Hot Spot": _l("Sporadic hot spot"),
    "Oscillating Hot Spot": _l("Oscillating hot spot"),
    "Historical Hot Spot": _l("Historical hot spot"),
    "New Cold Spot": _l("New cold spot"), "Consecutive Cold Spot": _l("Consecutive cold spot"),
    "Intensifying Cold Spot": _l("Intensifying cold spot"),
    "Persistent Cold Spot": _l("Persistent cold spot"),
    "Diminishing Cold Spot": _l("Diminishing cold spot"),
    "Sporadic Cold Spot": _l("Sporadic cold spot"),
    "Oscillating Cold Spot": _l("Oscillating cold spot"),
    "Historical Cold Spot": _l("Historical cold spot"),
    "No Pattern Detected": _l("No pattern detected"),
}
# the columns of a hot-spot answer, as table headings and tooltip rows
CELL_FIELDS: Mapping[str, LazyString] = {
    "code": _l("Cell"), "name": _l("Name"), "count": _l("Incidents"), "z": _l("z-score"),
    "p": _l("p-value"), "p_fdr": _l("p-value (FDR)"), "bin": _l("Confidence class"),
    "i": _l("Local Moran's I"), "quadrant": _l("Cluster type"),
    "density_per_km2": _l("Density (per km²)"), "pattern": _l("Pattern"),
    "trend_z": _l("Trend z-score"), "trend_p": _l("Trend p-value"),
    "hot_bins": _l("Hot time bins"), "cold_bins": _l("Cold time bins"),
}
# the parameters of a hot-spot run (a saved result lists them)
PARAMETERS: Mapping[str, LazyString] = {
    "method": _l("Method"), "from": _l("From"), "to": _l("To"), "category": _l("Category"),
    "area": _l("Area"), "cell_m": _l("Cell size (m)"), "shape": _l("Cell shape"),
    "weights": _l("Neighbours"), "distance_m": _l("Distance band (m)"),
    "p_method": _l("p-values"), "permutations": _l("Permutations"), "seed": _l("Random seed"),
    "fdr": _l("FDR correction"), "alpha": _l("Significance level"),
    "bandwidth_m": _l("Bandwidth (m)"), "kde_cell_m": _l("Density raster cell (m)"),
    "time_bin": _l("Time bin"), "time_steps": _l("Earlier bins in the neighbourhood"),
}
# which label table names a parameter's values
PARAMETER_VALUES: Mapping[str, str] = {
    "method": "method", "shape": "grid_shape", "weights": "neighbours",
    "p_method": "p_method", "time_bin": "time_bin"}
GRID_ORIGINS: Mapping[str, LazyString] = {
    "stored patrol grid": _l("the stored patrol grid"),
    "built for this analysis": _l("built for this analysis"),
}
BANDWIDTH_RULES: Mapping[str, LazyString] = {
    "given": _l("given"),
    "Esri's spatial variant of Silverman's rule": _l(
        "Esri's spatial variant of Silverman's rule"),
}
WEEKDAYS: Mapping[str, LazyString] = {
    "Monday": _l("Mon"), "Tuesday": _l("Tue"), "Wednesday": _l("Wed"),
    "Thursday": _l("Thu"), "Friday": _l("Fri"), "Saturday": _l("Sat"), "Sunday": _l("Sun"),
}
PLAN_STATUSES: Mapping[str, LazyString] = {"draft": _l("draft"), "published": _l("published")}
# patrol.compliance_stops.StopStatus and patrol.compliance_dosage.DoseStatus
STOP_STATUSES: Mapping[str, LazyString] = {
    "done": _l("visited"), "late": _l("visited late"), "short": _l("stay too short"),
    "missed": _l("missed"), "pending": _l("not yet due"),
}
DOSE_STATUSES: Mapping[str, LazyString] = {
    "dosed": _l("dose given"), "undosed": _l("dose missed"), "pending": _l("not yet due")}
# patrol.solver_model.UnservedReason, and a rostered unit left out (app.planning.problem)
UNSERVED_REASONS: Mapping[str, LazyString] = {
    "no_suitable_unit": _l("no suitable unit"), "window_too_short": _l("window too short"),
    "too_far": _l("too far to reach"), "no_time_left": _l("no time left in the shift"),
    "grid_not_rostered": _l("nobody rostered for its grid"),
    "route_locked": _l("its grid's route is locked"),
    "no_station": _l("no station to start from"),
}
# gis.incidents.RejectReason: why an imported row was refused
REJECT_REASONS: Mapping[str, LazyString] = {
    "bad_row": _l("more cells than the header"), "missing_id": _l("no id"),
    "no_coordinates": _l("no coordinates"), "bad_coordinates": _l("coordinates not numbers"),
    "zero_coordinates": _l("coordinates 0, 0"),
    "coordinates_out_of_range": _l("coordinates not on Earth"),
    "bad_time": _l("time missing or unreadable"), "outside_area": _l("outside every area"),
    "duplicate_id": _l("id already read"),
}

TABLES: Mapping[str, Mapping[str, LazyString]] = {
    "road_class": ROAD_CLASSES, "poi_kind": POI_KINDS, "grid_shape": GRID_SHAPES,
    "time_bin": TIME_BINS, "time_resolution": TIME_RESOLUTIONS,
    "method": ANALYSIS_METHODS, "neighbours": NEIGHBOURS, "p_method": P_METHODS,
    "distance_metric": DISTANCE_METRICS, "gi_bin": GI_BINS, "lisa_quadrant": LISA_QUADRANTS,
    "emerging_pattern": EMERGING_PATTERNS, "cell_field": CELL_FIELDS, "parameter": PARAMETERS,
    "grid_origin": GRID_ORIGINS, "bandwidth_rule": BANDWIDTH_RULES, "weekday": WEEKDAYS,
    "plan_status": PLAN_STATUSES, "stop_status": STOP_STATUSES,
    "dose_status": DOSE_STATUSES, "unserved_reason": UNSERVED_REASONS,
    "reject_reason": REJECT_REASONS,
}
"""Every label table a page uses, by the name templates give :func:`label`."""

ENUM_TABLES: Mapping[str, type[LabelledEnum]] = {
    "unit_kind": UnitKind, "unit_status": UnitStatus, "camera_kind": CameraKind,
    "camera_status": CameraStatus, "alert_kind": AlertKind, "alert_status": AlertStatus,
}
"""Codes whose two labels live in their enum (:class:`LabelledEnum`)."""
SHIFT = "shift"
"""The table name of shift codes: their labels come with the configured shifts
(:class:`patrol.shifts.ShiftDef`: 白班, 中班, 夜班 for the default codes; any other code is
its own label)."""


def label(table: str, code: Any) -> str:
    """The name of ``code`` in the user's language; the code itself when the table has
    none (an operator's own shift code). A :class:`LabelledEnum` member names itself."""
    if code is None:
        return ""
    if table == SHIFT:
        return labels_of(SHIFT).get(str(code), str(code))
    member = code if isinstance(code, LabelledEnum) else _member(table, str(code))
    if member is not None:
        return member.label(_locale())
    text = str(code)
    if table in ENUM_TABLES:
        return text
    found = TABLES[table].get(text)
    return text if found is None else str(found)


def _member(table: str, code: str) -> LabelledEnum | None:
    enum = ENUM_TABLES.get(table)
    if enum is None:
        return None
    try:
        return enum(code)
    except ValueError:
        return None


def _locale() -> str | None:
    locale = get_locale()
    return str(locale) if locale is not None else None


def configured_shift_labels() -> dict[str, tuple[str, str]]:
    """Code → (English, Chinese) label of each configured shift."""
    text = current_app.config.get("SHIFTS")
    return {s.code: (s.label_en, s.label_zh)
            for s in (parse_shifts(text) if text else DEFAULT_SHIFTS)}


def labels_of(table: str) -> dict[str, str]:
    """A whole table in the user's language, for a map script (JSON)."""
    if table == SHIFT:
        zh = (_locale() or "").split("_")[0].casefold() == "zh"
        return {code: zh_label if zh else en_label
                for code, (en_label, zh_label) in configured_shift_labels().items()}
    if table in ENUM_TABLES:
        return {member.value: label(table, member) for member in ENUM_TABLES[table]}
    return {code: str(name) for code, name in TABLES[table].items()}


def parameter_value(name: str, value: Any) -> str:
    """A run parameter's value as a page shows it (codes in words, lists joined)."""
    if isinstance(value, list | tuple):
        return ", ".join(parameter_value(name, v) for v in value)
    if isinstance(value, bool):
        return str(_l("On") if value else _l("Off"))
    table = PARAMETER_VALUES.get(name)
    return label(table, value) if table else str(value)


def init_app(app: Flask) -> None:
    app.jinja_env.globals["label"] = label
    app.jinja_env.globals["parameter_value"] = parameter_value
