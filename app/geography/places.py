"""Reverse geocoding at the edge: the candidates from PostGIS (``repository.places``), the
decision from ``gis.places``, the words in each language from the Babel catalogue.

``place_at`` names a point; ``place_json`` is what the API and the radio order carry:
the structured parts and a text in English and in Chinese (both always: a radio order
is voiced in both, and a console shows the one of its language).
"""

from __future__ import annotations

from typing import Any

from flask import has_app_context
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from app.geography.repository.places import place_candidates
from gis.places import (
    AT_POI_M,
    ON_ROAD_M,
    Language,
    Names,
    Place,
    describe_place,
    rounded_distance_m,
)

LOCALES: dict[Language, str] = {"en": "en", "zh": "zh_CN"}


def place_at(session: Session, lon: float, lat: float) -> Place:
    """Where ``(lon, lat)`` is, from the named roads and landmarks imported around it."""
    roads, pois = place_candidates(session, lon, lat)
    return describe_place(lon, lat, roads, pois)


def poi_kind_label(kind: str) -> str:
    """The kind of a landmark in the current language ("bus station", "公交站")."""
    labels = {
        "school": _("school"), "kindergarten": _("kindergarten"), "bank": _("bank"),
        "atm": _("ATM"), "hospital": _("hospital"), "market": _("market"),
        "mall": _("shopping centre"), "bus_station": _("bus station"),
        "rail_station": _("rail station"), "nightlife": _("bar"), "fuel": _("petrol station"),
        "government": _("government office"), "place_of_worship": _("place of worship"),
    }
    return labels.get(kind, kind.replace("_", " "))


def place_text(place: Place, language: Language) -> str | None:
    """The place in words in ``language``, a phrase that reads after "at": "Mannerheimintie
    × Simonkatu, 25 m from Lasipalatsi (bus station)", "New Change, by St Paul's (school)",
    "40 m from Fleet Street"; None when nothing named is near."""
    if not has_app_context():
        raise RuntimeError("place_text needs the app's translations (an app context)")
    with force_locale(LOCALES[language]):
        return _words(place, language)


def _words(place: Place, language: Language) -> str | None:
    def name(names: Names | None) -> str:
        return "" if names is None else names.in_language(language)

    road_part = poi_part = None
    if place.cross_road is not None:
        road_part = _("%(road)s × %(cross)s", road=name(place.road),
                      cross=name(place.cross_road))
    elif place.road is not None and place.road_distance_m is not None:
        if place.road_distance_m <= ON_ROAD_M:
            road_part = name(place.road)
        else:
            road_part = _("%(distance)s m from %(road)s", road=name(place.road),
                          distance=rounded_distance_m(place.road_distance_m))
    if place.poi is not None and place.poi_distance_m is not None:
        landmark = _("%(name)s (%(kind)s)", name=name(place.poi),
                     kind=poi_kind_label(place.poi_kind or ""))
        if place.poi_distance_m <= AT_POI_M:
            # a place at a landmark: "by" it after a road, the landmark itself alone
            poi_part = _("by %(landmark)s", landmark=landmark) if road_part else landmark
        else:
            poi_part = _("%(distance)s m from %(landmark)s", landmark=landmark,
                         distance=rounded_distance_m(place.poi_distance_m))
    if road_part and poi_part:
        return _("%(road_part)s, %(poi_part)s", road_part=road_part, poi_part=poi_part)
    return road_part or poi_part


def place_json(place: Place) -> dict[str, Any]:
    """The place as the API gives it: ``kind``, ``text_en``, ``text_zh``, the roads and
    the landmark with their names and distances (metres, to 0.1)."""
    def names(value: Names | None) -> dict[str, str | None] | None:
        return None if value is None else {"name": value.name, "name_zh": value.name_zh,
                                           "name_en": value.name_en}

    def metres(value: float | None) -> float | None:
        return None if value is None else round(value, 1)

    return {
        "kind": place.kind, "text_en": place_text(place, "en"),
        "text_zh": place_text(place, "zh"),
        "road": names(place.road), "road_distance_m": metres(place.road_distance_m),
        "cross_road": names(place.cross_road),
        "junction_distance_m": metres(place.junction_distance_m),
        "poi": names(place.poi), "poi_kind": place.poi_kind,
        "poi_distance_m": metres(place.poi_distance_m),
    }


def place_json_at(session: Session, lon: float, lat: float) -> dict[str, Any]:
    """``place_json`` of the place at ``(lon, lat)``."""
    return place_json(place_at(session, lon, lat))
