"""Readers of OpenStreetMap tags, from the values of one object to a database row.

What gridpatrol reads from OpenStreetMap tags: road speeds and directions, kinds of
points of interest and land cover, camera directions and heights.

Pure functions of a tag list (a dict, or pyosmium's TagList); `gis.osm` applies them.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any, Protocol

from shapely.geometry import Point

DRIVABLE = frozenset({
    "motorway", "trunk", "primary", "secondary", "tertiary", "unclassified", "residential",
    "living_street", "service", "road", "motorway_link", "trunk_link", "primary_link",
    "secondary_link", "tertiary_link",
})
WALK_ONLY = frozenset({"footway", "path", "pedestrian", "steps", "cycleway", "track",
                       "bridleway", "corridor"})
NOT_WALKABLE = frozenset({"motorway", "motorway_link", "trunk", "trunk_link"})
DEFAULT_SPEED_KMH = {
    "motorway": 100.0, "trunk": 80.0, "primary": 60.0, "secondary": 50.0, "tertiary": 40.0,
    "unclassified": 40.0, "residential": 30.0, "living_street": 10.0, "service": 15.0,
    "road": 30.0, "motorway_link": 60.0, "trunk_link": 50.0, "primary_link": 40.0,
    "secondary_link": 40.0, "tertiary_link": 30.0,
}
# Country-coded implicit limits (maxspeed=DE:urban …); the zone suffix decides.
ZONE_SPEED_KMH = {"urban": 50.0, "rural": 100.0, "motorway": 130.0, "living_street": 7.0,
                  "walk": 7.0, "trunk": 100.0, "zone30": 30.0, "zone20": 20.0}
COMPASS = {name: i * 22.5 for i, name in enumerate(
    ["N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE",
     "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW"])}

# kind → (key, values) that make a point of interest patrols care about
POI_KINDS: dict[str, tuple[tuple[str, frozenset[str]], ...]] = {
    "school": (("amenity", frozenset({"school", "college", "university"})),),
    "kindergarten": (("amenity", frozenset({"kindergarten", "childcare"})),),
    "bank": (("amenity", frozenset({"bank", "bureau_de_change"})),),
    "atm": (("amenity", frozenset({"atm"})),),
    "hospital": (("amenity", frozenset({"hospital", "clinic"})),),
    "market": (("amenity", frozenset({"marketplace"})),
               ("shop", frozenset({"supermarket"}))),
    "mall": (("shop", frozenset({"mall", "department_store"})),),
    "bus_station": (("amenity", frozenset({"bus_station"})),
                    ("highway", frozenset({"bus_stop"}))),
    "rail_station": (("railway", frozenset({"station", "halt", "subway_entrance"})),),
    "nightlife": (("amenity", frozenset({"bar", "pub", "nightclub", "karaoke_box"})),),
    "fuel": (("amenity", frozenset({"fuel"})),),
    "government": (("office", frozenset({"government"})),
                   ("amenity", frozenset({"townhall", "police", "courthouse"}))),
    "place_of_worship": (("amenity", frozenset({"place_of_worship"})),),
}
LANDCOVER_KINDS: dict[str, tuple[tuple[str, frozenset[str] | None], ...]] = {
    "water": (("natural", frozenset({"water", "bay"})), ("waterway", frozenset({"riverbank"})),
              ("landuse", frozenset({"reservoir", "basin"}))),
    "park": (("leisure", frozenset({"park", "garden", "pitch", "playground"})),
             ("landuse", frozenset({"grass", "recreation_ground", "village_green"}))),
    "forest": (("landuse", frozenset({"forest"})), ("natural", frozenset({"wood", "scrub"}))),
    "residential": (("landuse", frozenset({"residential"})),),
    "commercial": (("landuse", frozenset({"commercial", "retail"})),),
    "industrial": (("landuse", frozenset({"industrial", "railway"})),),
    "farmland": (("landuse", frozenset({"farmland", "meadow", "orchard", "vineyard"})),),
}
# Objects without any of these keys never reach Python (libosmium filters them).
INTERESTING_KEYS = ("highway", "building", "amenity", "shop", "railway", "office", "man_made",
                    "natural", "waterway", "landuse", "leisure")


def parse_speed_kmh(raw: str | None) -> float | None:
    """``maxspeed`` in km/h: '50', '30 mph', 'DE:urban', 'walk'; None if unusable."""
    if not raw:
        return None
    value = raw.split(";")[0].strip().lower()
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph)?", value)
    if match:
        speed = float(match.group(1))
        speed = speed * 1.609344 if match.group(2) == "mph" else speed
        return speed if 0 < speed <= 200 else None
    zone = value.split(":")[-1]
    return ZONE_SPEED_KMH.get(zone)


def parse_direction_deg(raw: str | None) -> float | None:
    """A camera direction in degrees clockwise from north: '135', 'SE', '90-180'."""
    if not raw:
        return None
    value = raw.split(";")[0].strip().upper()
    if value in COMPASS:
        return COMPASS[value]
    match = re.fullmatch(r"(-?\d+(?:\.\d+)?)(?:\s*-\s*(-?\d+(?:\.\d+)?))?", value)
    if not match:
        return None
    start = float(match.group(1))
    if match.group(2) is not None:  # a range: its middle, clockwise
        end = float(match.group(2))
        start = start + ((end - start) % 360) / 2
    return start % 360


def parse_metres(raw: str | None) -> float | None:
    """A height such as '5', '5 m', '5.5m', "16'"; None if unusable."""
    if not raw:
        return None
    value = raw.split(";")[0].strip().lower().replace(",", ".")
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(m|metres|meters|ft|')?", value)
    if not match:
        return None
    metres = float(match.group(1))
    return metres * 0.3048 if match.group(2) in ("ft", "'") else metres


def oneway_direction(tags: Tags) -> int:
    """+1 forward only, -1 backward only, 0 both ways."""
    raw = tags.get("oneway", "").lower()
    if raw in ("yes", "true", "1"):
        return 1
    if raw in ("-1", "reverse"):
        return -1
    if raw in ("no", "false", "0"):
        return 0
    if tags.get("junction") in ("roundabout", "circular") or tags.get("highway") in (
            "motorway", "motorway_link"):
        return 1
    return 0


def poi_kind(tags: Tags) -> str | None:
    """Tell which kind of point of interest an object's tags make it, if any.

    Parameters
    ----------
    tags : Tags
        The object's tags.

    Returns
    -------
    str or None
        The first kind in :data:`POI_KINDS` one of whose ``(key, values)`` rules the tags
        meet (e.g. ``amenity=clinic`` -> ``"hospital"``); None when no rule applies.
    """
    for kind, rules in POI_KINDS.items():
        for key, values in rules:
            if tags.get(key) in values:
                return kind
    return None


def landcover_kind(tags: Tags) -> str | None:
    """Tell which kind of land cover an area's tags make it, if any.

    Parameters
    ----------
    tags : Tags
        The area's tags.

    Returns
    -------
    str or None
        The first kind in :data:`LANDCOVER_KINDS` one of whose ``(key, values)`` rules the
        tags meet (values None: any value of the key); None when no rule applies.
    """
    for kind, rules in LANDCOVER_KINDS.items():
        for key, values in rules:
            if key in tags and (values is None or tags[key] in values):
                return kind
    return None


class Tags(Protocol):
    """What gridpatrol needs of a tag list: a dict or pyosmium's TagList."""

    def get(self, key: str, default: Any = None, /) -> Any:
        """Return the value of tag ``key``, or ``default`` when the object has none."""
        ...

    def __contains__(self, key: str, /) -> bool: ...

    def __getitem__(self, key: str, /) -> str: ...


def tag_dict(tags: Tags) -> dict[str, str]:
    """All tags as a plain dict (kept with POIs and cameras)."""
    if isinstance(tags, dict):
        return tags
    return {tag.k: tag.v for tag in tags}  # type: ignore[attr-defined]


def names(tags: Tags) -> dict[str, str | None]:
    """``name``, ``name_zh`` and ``name_en`` columns."""
    return {"name": tags.get("name"),
            "name_zh": tags.get("name:zh") or tags.get("name:zh-Hans"),
            "name_en": tags.get("name:en")}


def is_camera(tags: Tags) -> bool:
    """``man_made=surveillance`` that is a camera (or a licence-plate reader)."""
    return tags.get("man_made") == "surveillance" and tags.get(
        "surveillance:type", "camera") in ("camera", "ALPR", "alpr")


def camera_row(key: str, tags: Tags, point: Point,
               skipped: Counter[str]) -> dict[str, Any]:
    """A surveillance camera's row; an unreadable direction is counted in ``skipped``."""
    raw_direction = tags.get("camera:direction") or tags.get("direction")
    direction = parse_direction_deg(raw_direction)
    if raw_direction and direction is None:
        skipped["camera direction not understood (camera kept, direction unknown)"] += 1
    angle = parse_direction_deg(tags.get("camera:angle"))
    return {
        "osm_key": key, "name": tags.get("name"), "camera_type": tags.get("camera:type"),
        "mount": tags.get("camera:mount"), "direction_deg": direction,
        "angle_deg": angle, "height_m": parse_metres(tags.get("height")),
        "zone": tags.get("surveillance:zone") or tags.get("surveillance"),
        "surveillance_type": tags.get("surveillance:type"), "tags": tag_dict(tags),
        "geometry": point,
    }


def road_row(way_id: int, tags: Tags) -> dict[str, Any]:
    """The ``roads`` row of a way whose ``highway`` is a road or path."""
    get = tags.get  # called a dozen times for each of tens of thousands of ways
    highway = get("highway")
    drivable = highway in DRIVABLE and get("access") not in ("no", "private")
    raw_speed = get("maxspeed")
    maxspeed = parse_speed_kmh(raw_speed) if raw_speed else None
    return {
        "osm_id": way_id, "highway": highway, "name": get("name"),
        "name_zh": get("name:zh") or get("name:zh-Hans"), "name_en": get("name:en"),
        "ref": get("ref"), "oneway": oneway_direction(tags) if drivable else 0,
        "maxspeed_kmh": maxspeed,
        "speed_kmh": maxspeed or DEFAULT_SPEED_KMH.get(highway, 5.0),
        "drivable": drivable,
        "walkable": highway not in NOT_WALKABLE and get("foot") != "no",
    }
