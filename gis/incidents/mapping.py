"""Which source column holds what: column mappings, presets, and layout detection.

A :class:`ColumnMapping` names the source columns for an incident's id, time, category,
coordinates and address, plus optional date formats, the time zone naive times are local
to and the category table to use. Any field may be None: a *partial* mapping overrides a
preset, field by field (:meth:`ColumnMapping.updated`).

Three presets are built in (:data:`PRESETS`) and recognised from a file's header row by
:func:`detect_mapping`:

``police_uk``
    police.uk street-level crime (``Crime ID, Month, Reported by, Falls within, Longitude,
    Latitude, Location, LSOA code, LSOA name, Crime type, Last outcome category, Context``):
    month resolution, times local to Europe/London.
``sfpd``
    DataSF "Police Department Incident Reports: 2018 to Present" (``Incident Datetime,
    Row ID, Incident Category, Incident Subcategory, Incident Description, Intersection,
    Latitude, Longitude, …``): ``Row ID`` is the id (``Incident ID`` repeats for every
    offence of one incident); times local to America/Los_Angeles.
``sfpd_legacy``
    The 2003-2018 SFPD schema (``IncidntNum, Category, Descript, DayOfWeek, Date, Time,
    PdDistrict, Resolution, Address, X, Y, Location, PdId``): ``PdId`` is the id
    (``IncidntNum`` repeats per offence), ``X``/``Y`` are WGS-84 longitude/latitude.

Mappings come from code, from a command-line string (:func:`parse_mapping`,
``id=Row ID,datetime=Incident Datetime,lon=Longitude,lat=Latitude``) or from a JSON or TOML
table (:func:`mapping_from_dict`); both accept ``preset=NAME`` to start from a preset.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pyproj

from gis.errors import (
    CrsError,
    IncidentMappingError,
    UnknownIncidentLayoutError,
    UnknownTimezoneError,
)

COLUMN_FIELDS = ("id", "datetime", "date", "time", "month", "category", "subcategory",
                 "description", "lon", "lat", "x", "y", "address")
"""Fields that name a source column."""

OPTION_FIELDS = ("crs", "datetime_format", "date_format", "time_format", "month_format",
                 "timezone", "category_table")
"""Fields that are settings rather than column names."""

KEY_ALIASES: Mapping[str, str] = MappingProxyType({
    **{name: name for name in COLUMN_FIELDS + OPTION_FIELDS},
    "source_id": "id", "date_time": "datetime", "occurred_at": "datetime",
    "type": "category", "crime_type": "category", "sub_category": "subcategory",
    "desc": "description", "lng": "lon", "long": "lon", "longitude": "lon",
    "latitude": "lat", "location": "address", "epsg": "crs", "srid": "crs",
    "format": "datetime_format", "tz": "timezone", "categories": "category_table",
})
"""Keys accepted by :func:`parse_mapping` and :func:`mapping_from_dict` (case-insensitive)."""

_TIME_GROUPS = (("datetime",), ("date", "time"), ("month",))
_COORDINATE_GROUPS = (("lon", "lat"), ("x", "y"))
_FORMAT_OF = {"datetime": "datetime_format", "date": "date_format", "time": "time_format",
              "month": "month_format"}
# Fields a preset may lose when a file lacks their column: the layout is still recognised.
_OPTIONAL_FIELDS = frozenset({"description", "subcategory", "address"})
_COORDINATES = frozenset({"lon", "lat", "x", "y"})


@dataclass(frozen=True, kw_only=True)
class ColumnMapping:
    """Source column names (and reading options) for one incident export layout.

    Attributes
    ----------
    id : str or None
        The source's record id. Without one (or on rows where it is empty) a hash of the
        row's values stands in (see :func:`gis.incidents.reader.read_incidents`).
    datetime : str or None
        Date and time in one column. Exclusive with ``date``/``time`` and ``month``.
    date, time : str or None
        Date and time of day in two columns; ``time`` may be absent (day resolution).
    month : str or None
        Year and month only (police.uk): the time is the first of the month, 00:00 local.
    category, subcategory, description, address : str or None
        Free text kept as given; ``category`` (refined by ``subcategory``) is mapped to the
        common categories.
    lon, lat : str or None
        Longitude and latitude in degrees of ``crs`` (WGS-84 when ``crs`` is None).
    x, y : str or None
        Easting and northing in ``crs``, which is then required.
    crs : str or None
        ``EPSG:<code>``; accepts ``27700``, ``"27700"``, ``"epsg:27700"`` and normalises.
    datetime_format, date_format, time_format, month_format : str or None
        ``strftime`` patterns (``%Y/%m/%d %I:%M:%S %p``); None means "infer".
    timezone : str or None
        IANA name of the zone naive times are local to (``Europe/London``).
    category_table : str or None
        Which table of :mod:`gis.incidents.categories` to prefer.
    """

    id: str | None = None
    datetime: str | None = None
    date: str | None = None
    time: str | None = None
    month: str | None = None
    category: str | None = None
    subcategory: str | None = None
    description: str | None = None
    lon: str | None = None
    lat: str | None = None
    x: str | None = None
    y: str | None = None
    crs: str | None = None
    address: str | None = None
    datetime_format: str | None = None
    date_format: str | None = None
    time_format: str | None = None
    month_format: str | None = None
    timezone: str | None = None
    category_table: str | None = None

    def __post_init__(self) -> None:
        for name in COLUMN_FIELDS + OPTION_FIELDS:
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise IncidentMappingError(f"{name} must be text, got {value!r}")
            if isinstance(value, str) and not value.strip():
                raise IncidentMappingError(f"{name} is empty; leave it out instead")
        if self.crs is not None:
            object.__setattr__(self, "crs", normalise_crs(self.crs))
        if self.timezone is not None:
            check_timezone(self.timezone)
        clashes = [f"{a} and {b}" for a, b in (("datetime", "date"), ("datetime", "time"),
                                               ("datetime", "month"), ("month", "date"),
                                               ("month", "time"), ("lon", "x"), ("lon", "y"),
                                               ("lat", "x"), ("lat", "y"))
                   if getattr(self, a) is not None and getattr(self, b) is not None]
        if clashes:
            raise IncidentMappingError(
                f"a mapping cannot give both {'; '.join(clashes)}: choose one time layout "
                "(datetime, date+time, month) and one coordinate layout (lon/lat, x/y)")

    def columns(self) -> dict[str, str]:
        """Return ``{field: source column}`` for the column fields that are set."""
        return {name: value for name in COLUMN_FIELDS
                if (value := getattr(self, name)) is not None}

    def updated(self, override: ColumnMapping | None) -> ColumnMapping:
        """Return this mapping with every field ``override`` sets replaced.

        Setting one member of a time layout (``datetime``; ``date``/``time``; ``month``)
        or of a coordinate layout (``lon``/``lat``; ``x``/``y``) drops this mapping's other
        layouts, with their formats (and ``crs`` when the coordinate layout changes).
        """
        if override is None:
            return self
        given = {f.name: v for f in dataclasses.fields(override)
                 if (v := getattr(override, f.name)) is not None}
        merged = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        for groups in (_TIME_GROUPS, _COORDINATE_GROUPS):
            for group in groups:
                if not any(name in given for name in group):
                    continue
                for other in groups:
                    if other == group:
                        continue
                    for name in other:
                        merged[name] = None
                        if name in _FORMAT_OF:
                            merged[_FORMAT_OF[name]] = None
                    if groups is _COORDINATE_GROUPS:
                        merged["crs"] = None
        merged.update(given)
        return ColumnMapping(**merged)

    def renamed(self, columns: Mapping[str, str]) -> ColumnMapping:
        """Return a copy whose column names are replaced through ``columns`` where listed."""
        return dataclasses.replace(self, **{name: columns[value]
                                            for name, value in self.columns().items()
                                            if value in columns})

    def missing_fields(self, *, has_geometry: bool = False) -> tuple[str, ...]:
        """Name what this mapping lacks to read a file; empty when it is complete.

        Parameters
        ----------
        has_geometry : bool
            The file has point geometries (GeoJSON, GeoPackage, Shapefile), which stand in
            for coordinate columns.
        """
        missing = []
        if self.datetime is None and self.date is None and self.month is None:
            missing.append("a time: datetime, date (+ time) or month")
        if self.time is not None and self.date is None:
            missing.append("date (time is given without it)")
        has_lonlat = self.lon is not None or self.lat is not None
        has_xy = self.x is not None or self.y is not None
        if has_lonlat and (self.lon is None or self.lat is None):
            missing.append("lon and lat together")
        elif has_xy and (self.x is None or self.y is None):
            missing.append("x and y together")
        elif has_xy and self.crs is None:
            missing.append("crs (an EPSG code) for x/y")
        elif not has_lonlat and not has_xy and not has_geometry:
            missing.append("coordinates: lon and lat, or x and y with crs")
        if has_lonlat and self.crs is not None and not pyproj.CRS(self.crs).is_geographic:
            missing.append(f"x/y instead of lon/lat: {self.crs} is a projected CRS")
        return tuple(missing)

    def require_complete(self, *, has_geometry: bool = False) -> None:
        """Raise :class:`IncidentMappingError` naming what :meth:`missing_fields` lists."""
        missing = self.missing_fields(has_geometry=has_geometry)
        if missing:
            raise IncidentMappingError(f"the column mapping needs {'; '.join(missing)}")


def normalise_crs(value: str | int) -> str:
    """Return ``value`` (``27700``, ``"EPSG:27700"``, a WKT or PROJ string) as a CRS string.

    Raises
    ------
    CrsError
        pyproj does not know the CRS.
    """
    text = str(value).strip()
    if text.isdigit():
        text = f"EPSG:{text}"
    try:
        crs = pyproj.CRS.from_user_input(text)
    except pyproj.exceptions.CRSError as exc:
        raise CrsError(f"unknown CRS {value!r}: {exc}") from exc
    authority = crs.to_authority()
    return f"{authority[0]}:{authority[1]}" if authority else crs.to_string()


def check_timezone(name: str) -> str:
    """Return ``name`` if it is an IANA time zone (``Asia/Shanghai``), else raise.

    Raises
    ------
    UnknownTimezoneError
    """
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UnknownTimezoneError(
            f"unknown time zone {name!r}; use an IANA name such as Europe/London") from exc
    return name


PRESETS: Mapping[str, ColumnMapping] = MappingProxyType({
    "police_uk": ColumnMapping(
        id="Crime ID", month="Month", category="Crime type", lon="Longitude",
        lat="Latitude", address="Location", month_format="%Y-%m", timezone="Europe/London",
        category_table="police_uk"),
    "sfpd": ColumnMapping(
        id="Row ID", datetime="Incident Datetime", category="Incident Category",
        subcategory="Incident Subcategory", description="Incident Description",
        lon="Longitude", lat="Latitude", address="Intersection",
        datetime_format="%Y/%m/%d %I:%M:%S %p", timezone="America/Los_Angeles",
        category_table="sfpd"),
    "sfpd_legacy": ColumnMapping(
        id="PdId", date="Date", time="Time", category="Category", description="Descript",
        lon="X", lat="Y", address="Address", date_format="%m/%d/%Y", time_format="%H:%M",
        timezone="America/Los_Angeles", category_table="sfpd_legacy"),
})
"""Built-in layouts, tried in this order by :func:`detect_mapping`."""


def _header_index(headers: Iterable[str]) -> dict[str, str]:
    index: dict[str, str] = {}
    for header in headers:
        index.setdefault(header.strip().casefold(), header)
    return index


def bind_columns(mapping: ColumnMapping, headers: Iterable[str]) -> tuple[ColumnMapping,
                                                                           tuple[str, ...]]:
    """Match the mapping's column names to ``headers`` ignoring case and outer spaces.

    Returns
    -------
    tuple of (ColumnMapping, tuple of str)
        The mapping spelled as the headers are, and the mapped columns not found.
    """
    index = _header_index(headers)
    found = {value: index[value.strip().casefold()] for value in mapping.columns().values()
             if value.strip().casefold() in index}
    missing = tuple(value for value in mapping.columns().values() if value not in found)
    return mapping.renamed(found), missing


def detect_mapping(headers: Iterable[str], *, override: ColumnMapping | None = None,
                   has_geometry: bool = False) -> tuple[str | None, ColumnMapping]:
    """Recognise a file's layout from its header row.

    Parameters
    ----------
    headers : iterable of str
        The column names (attribute names for a GeoJSON/GeoPackage/Shapefile).
    override : ColumnMapping, optional
        A user mapping. Its fields replace the preset's. A preset is recognised when the
        file has every column of its layout that ``override`` does not replace (the
        descriptive ones, and the coordinates when ``has_geometry``, may be absent), and
        at least one of them. When no preset fits but ``override`` is complete on its own,
        ``override`` is the answer.
    has_geometry : bool
        The file carries point geometries, so a preset's coordinate columns may be absent.

    Returns
    -------
    tuple of (str or None, ColumnMapping)
        The preset's name (None for the user's own mapping) and the mapping, with column
        names spelled as in ``headers``. Preset columns that are merely descriptive
        (description, subcategory, address) are dropped when the file lacks them; columns
        named by ``override`` are kept even when absent, for the caller to report.

    Raises
    ------
    UnknownIncidentLayoutError
        No preset fits and ``override`` is missing or incomplete; the message lists the
        headers seen, what each preset misses and what the mapping lacks.
    IncidentMappingError
        ``override`` contradicts itself (see :class:`ColumnMapping`).
    """
    headers = tuple(headers)
    index = _header_index(headers)
    user = override.columns() if override is not None else {}
    missing_by_preset: dict[str, tuple[str, ...]] = {}
    for name, preset in PRESETS.items():
        wanted = preset.updated(override)
        columns = wanted.columns()
        absent = {field: column for field, column in columns.items()
                  if column.strip().casefold() not in index}
        droppable = set(_OPTIONAL_FIELDS) - set(user)
        dropped: dict[str, None] = {}
        if has_geometry and absent.keys() & _COORDINATES and not user.keys() & _COORDINATES:
            # the geometry stands in for the preset's coordinate columns
            absent.update({f: c for f, c in columns.items() if f in _COORDINATES})
            droppable |= _COORDINATES
            dropped["crs"] = None
        # the user's own columns are checked by the caller (MissingColumnError)
        required = {f: c for f, c in absent.items() if f not in droppable and f not in user}
        own = {f for f, c in preset.columns().items()
               if f not in _OPTIONAL_FIELDS and columns.get(f) == c and f not in absent}
        if required or not own:
            missing_by_preset[name] = tuple(required.values()) or tuple(
                c for f, c in preset.columns().items() if f not in _OPTIONAL_FIELDS)
            continue
        unused = dict.fromkeys((f for f in absent if f not in user), None)
        wanted = dataclasses.replace(wanted, **unused, **dropped)
        return name, bind_columns(wanted, headers)[0]
    if override is not None and not override.missing_fields(has_geometry=has_geometry):
        return None, bind_columns(override, headers)[0]
    seen = ", ".join(repr(h) for h in headers) or "none"
    lines = [f"{name} needs {', '.join(map(repr, cols))}"
             for name, cols in missing_by_preset.items()]
    if override is not None:
        lines.append(f"the given mapping needs "
                     f"{'; '.join(override.missing_fields(has_geometry=has_geometry))}")
    else:
        lines.append("or give a mapping such as "
                     "'id=…,datetime=…,category=…,lon=…,lat=…'")
    raise UnknownIncidentLayoutError(
        f"the headers match no known incident layout. Headers seen: {seen}. "
        + "; ".join(lines), headers=headers, missing=missing_by_preset)


def parse_mapping(text: str) -> ColumnMapping:
    r"""Parse a mapping written as ``key=Column,key=Column`` (a command-line option).

    Keys are the :class:`ColumnMapping` fields or their aliases (:data:`KEY_ALIASES`),
    case-insensitive; values are taken verbatim after trimming; ``\,`` is a literal comma.
    ``preset=NAME`` starts from a preset and the other keys override it.

    Raises
    ------
    IncidentMappingError
        An item without ``=``, an unknown or repeated key, an empty value, an unknown
        preset, or a contradiction (see :class:`ColumnMapping`).
    CrsError, UnknownTimezoneError
        ``crs`` or ``timezone`` is not known.
    """
    items: dict[str, str] = {}
    for raw in re.split(r"(?<!\\),", text):
        item = raw.replace("\\,", ",").strip()
        if not item:
            continue
        key, sep, value = item.partition("=")
        if not sep:
            raise IncidentMappingError(f"mapping item {item!r} is not key=Column")
        if key.strip() in items:
            raise IncidentMappingError(f"mapping key {key.strip()!r} is given twice")
        items[key.strip()] = value.strip()
    if not items:
        raise IncidentMappingError("the mapping is empty")
    return mapping_from_dict(items)


def mapping_from_dict(values: Mapping[str, object]) -> ColumnMapping:
    """Build a mapping from a JSON or TOML table of the same keys as :func:`parse_mapping`.

    Values are strings; ``crs`` may also be an integer EPSG code.

    Raises
    ------
    IncidentMappingError, CrsError, UnknownTimezoneError
        As :func:`parse_mapping`.
    """
    fields: dict[str, str] = {}
    preset: str | None = None
    for key, value in values.items():
        name = str(key).strip().casefold().replace("-", "_").replace(" ", "_")
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise IncidentMappingError(f"mapping value for {key!r} must be text, got {value!r}")
        if isinstance(value, int) and name not in ("crs", "epsg", "srid"):
            raise IncidentMappingError(f"mapping value for {key!r} must be text, got {value}")
        text = str(value).strip()
        if not text:
            raise IncidentMappingError(f"mapping value for {key!r} is empty")
        if name == "preset":
            preset = text
            continue
        if name not in KEY_ALIASES:
            raise IncidentMappingError(
                f"unknown mapping key {key!r}; use {', '.join(COLUMN_FIELDS + OPTION_FIELDS)}"
                " or preset")
        field = KEY_ALIASES[name]
        if field in fields:
            raise IncidentMappingError(f"mapping gives {field} twice (as {key!r})")
        fields[field] = text
    override = ColumnMapping(**fields)
    if preset is None:
        return override
    if preset not in PRESETS:
        raise IncidentMappingError(
            f"unknown preset {preset!r}; known: {', '.join(PRESETS)}")
    return PRESETS[preset].updated(override)
