"""Request parameters of the map API: a bounding box, a point, a bounded whole number."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from app.errors import InvalidValue

# Decimal degrees within ±180 (longitude) and ±90 (latitude), no exponent.
_LON = r"[+-]?(?:180(?:\.0*)?|(?:1[0-7]\d|\d{1,2})(?:\.\d*)?|\.\d+)"
_LAT = r"[+-]?(?:90(?:\.0*)?|[0-8]?\d(?:\.\d*)?|\.\d+)"
#: What a bounding box and a point look like on the wire (the API description's patterns;
#: a box also needs west < east and south < north, which a pattern cannot say).
BBOX_PATTERN = rf"^{_LON},{_LAT},{_LON},{_LAT}$"
POINT_PATTERN = rf"^{_LON},{_LAT}$"
POI_KINDS = ("school", "kindergarten", "bank", "atm", "hospital", "market", "mall",
             "bus_station", "rail_station", "nightlife", "fuel", "government",
             "place_of_worship")


@dataclass(frozen=True)
class BBox:
    west: float
    south: float
    east: float
    north: float

    @classmethod
    def parse(cls, raw: str | None, *, required: bool = False) -> BBox | None:
        if not raw:
            if required:
                raise InvalidValue("bbox is required: west,south,east,north in degrees.",
                                    field="bbox")
            return None
        parts = raw.split(",")
        try:
            west, south, east, north = (float(p) for p in parts)
        except ValueError:
            raise InvalidValue(f"bbox must be four numbers west,south,east,north; got {raw!r}.",
                                field="bbox") from None
        if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
            raise InvalidValue("bbox must have west < east within ±180 and south < north "
                                "within ±90.", field="bbox")
        return cls(west, south, east, north)


def parse_point(raw: str | None, field: str) -> tuple[float, float]:
    """``LON,LAT`` in degrees."""
    if not raw:
        raise InvalidValue(f"{field} is required as LON,LAT.", field=field)
    try:
        lon, lat = (float(p) for p in raw.split(","))
    except ValueError:
        raise InvalidValue(f"{field} must be LON,LAT; got {raw!r}.", field=field) from None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise InvalidValue(f"{field} is outside ±180/±90 degrees.", field=field)
    return lon, lat


def parse_int(args: Mapping[str, str], name: str, *, default: int | None, low: int,
              high: int) -> int:
    raw = args.get(name)
    if raw in (None, ""):
        if default is None:
            raise InvalidValue(f"{name} is required.", field=name)
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidValue(f"{name} must be a whole number; got {raw!r}.", field=name) from None
    if not low <= value <= high:
        raise InvalidValue(f"{name} must be between {low} and {high}.", field=name)
    return value
