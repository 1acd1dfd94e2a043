"""Errors raised by gis/, each a ``ValueError`` subclass named after the failure.

``app/errors.py`` maps them to HTTP answers once. Add new failures here, one small class
each, rather than raising a bare ``ValueError`` with a message to be parsed.
"""

from __future__ import annotations


class CrsError(ValueError):
    """A coordinate reference system is missing, wrong, or unusable."""


class MissingCrsError(CrsError):
    """The input carries no CRS, so its coordinates cannot be interpreted."""


class CrsMismatchError(CrsError):
    """The input is in a different CRS from the one required or from its partner input."""


class CoordinateRangeError(CrsError):
    """Coordinates said to be longitude/latitude fall outside [-180, 180] x [-90, 90]."""


class DatumRangeError(CoordinateRangeError):
    """Coordinates given in GCJ-02 or BD-09 fall off the Earth once converted to WGS-84.

    BD-09's shift does that near the antimeridian and the poles.

    Attributes
    ----------
    field : str
        ``"lon"``: the coordinates given are at fault.
    """

    field = "lon"


class GeometryTypeError(ValueError):
    """A geometry is of the wrong type (for example a line where a polygon is needed)."""


class InvalidGeometryError(ValueError):
    """A geometry is missing, empty or invalid (self-intersecting, for example)."""


class EmptyInputError(ValueError):
    """An input that must hold at least one row or geometry holds none."""


class TooFewPointsError(ValueError):
    """Fewer points than a spatial description needs (an ellipse needs three)."""


class MissingColumnError(ValueError):
    """A required column is absent from the input table."""


class InvalidCellSizeError(ValueError):
    """A grid cell size is not a finite, positive number of metres."""


class GridTooLargeError(ValueError):
    """A grid would have more cells than the configured limit."""


class CameraParameterError(ValueError):
    """A camera's position, azimuth, field of view, range or sampling is unusable."""


class InvalidCameraRangeError(CameraParameterError):
    """A camera range is not a finite number of metres in (0, the allowed maximum]."""


class InvalidFieldOfViewError(CameraParameterError):
    """A camera field-of-view angle is not a finite number of degrees in (0, 360]."""


class InvalidAzimuthError(CameraParameterError):
    """A camera azimuth is not a finite number of degrees."""


class InvalidSamplingError(CameraParameterError):
    """An arc segment or ray count is not a whole number large enough to draw with."""


class IncidentMappingError(ValueError):
    """A column mapping for incident exports is malformed, incomplete or contradictory."""


class UnknownIncidentLayoutError(IncidentMappingError):
    """An incident file's headers match no preset and no complete mapping was given.

    ``headers`` holds the headers seen; ``missing`` maps each preset name to the columns
    it needs that the file lacks.
    """

    def __init__(self, message: str, *, headers: tuple[str, ...],
                 missing: dict[str, tuple[str, ...]]) -> None:
        super().__init__(message)
        self.headers = headers
        self.missing = missing


class IncidentFileError(ValueError):
    """An incident file cannot be read: missing, of an unsupported kind, or undecodable."""


class TimezoneError(ValueError):
    """Local times cannot be placed on the UTC time line."""


class MissingTimezoneError(TimezoneError):
    """Times carry no UTC offset and neither the mapping nor the caller names a time zone."""


class UnknownTimezoneError(TimezoneError):
    """A time zone name is not in the IANA database (e.g. ``Europe/London``)."""


class AmbiguousTimeError(IncidentMappingError):
    """A time column reads more than one way, so a format must say which.

    Whole numbers that are HHMM times and minutes since midnight alike (``745``), dates
    that are day-first and month-first alike (``03/04/2023``). ``field`` names the mapping
    setting that settles it (``time_format``, ``date_format``, ``datetime_format``),
    ``column`` the column and ``examples`` values from the file.
    """

    def __init__(self, message: str, *, field: str, column: str,
                 examples: tuple[str, ...]) -> None:
        super().__init__(message)
        self.field = field
        self.column = column
        self.examples = examples


class CategoryTableError(ValueError):
    """The incident category table (``data/incident_categories.json``) is malformed."""


class NearRepeatParameterError(ValueError):
    """Near-repeat bands, permutations, seed, metric or array lengths are unusable."""


class InvalidDistanceError(ValueError):
    """A distance is not a positive number of metres.

    A distance band, a kernel bandwidth or a raster cell that is not a finite number of
    metres > 0.
    """


class InvalidBoundsError(ValueError):
    """A bounding box is not finite numbers with min < max on both axes."""


class InvalidWeightsError(ValueError):
    """Spatial weights are unusable.

    They are not a square binary matrix with a zero diagonal that matches the values
    analysed.
    """


class InvalidValuesError(ValueError):
    """Values to analyse are unusable.

    Counts per cell or per time bin that are not finite, are negative where counts are
    needed, or have the wrong shape.
    """


class InvalidTestSettingError(ValueError):
    """A statistical test setting is out of range.

    The significance level or the number of permutations, for example.
    """


class InvalidTimeResolutionError(ValueError):
    """A time resolution is not one of the known ones ("month", "day", "minute")."""


class TrackTimeError(ValueError):
    """Fix times of a track are missing, not datetimes, or not timezone-aware."""


class DuplicateFixTimeError(TrackTimeError):
    """Two fixes of one track carry the same time, so their order is unknown."""


class InvalidDurationError(ValueError):
    """A duration (a dwell, a gap limit) is not a number of seconds in the allowed range."""


class DuplicateIdError(ValueError):
    """A column that must identify rows (point ids, cell codes) repeats a value."""


class GraphError(ValueError):
    """The road edges or a query against them are not usable."""


class UnknownNode(GraphError):
    """A node id is not in the graph."""


class NoRoute(GraphError):
    """The target cannot be reached from the source (oneways, a disconnected part)."""


class TooFarFromRoad(GraphError):
    """No road edge lies within the allowed snapping distance of a point."""


class OsmReadError(ValueError):
    """The OSM file cannot be read (missing, corrupt or truncated)."""


class EvidenceInputError(ValueError):
    """A path, a time or a setting given for an evidence plan is not usable.

    Parameters
    ----------
    message : str
        What is wrong.
    field : str, optional
        The request field at fault (``path``, ``gpx``, ``margin_s``, ...).
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class PlacementError(ValueError):
    """A camera-placement problem that cannot be set up or solved.

    Parameters
    ----------
    message : str
        What is wrong.
    field : str, optional
        The request field at fault (``k``, ``area``, ...).
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
