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


class GeometryTypeError(ValueError):
    """A geometry is of the wrong type (for example a line where a polygon is needed)."""


class InvalidGeometryError(ValueError):
    """A geometry is missing, empty or invalid (self-intersecting, for example)."""


class EmptyInputError(ValueError):
    """An input that must hold at least one row or geometry holds none."""


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
