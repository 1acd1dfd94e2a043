"""Spatial description of points: mean centre, standard distance, deviational ellipse.

As CrimeStat and ArcGIS define them.

Decisions
---------
* The **mean centre** is the mean of the coordinates in a metric CRS (the local UTM zone
  for longitude/latitude input), handed back in EPSG:4326.
* The **standard deviational ellipse** (Lefever 1926, Yuill 1971; CrimeStat's "spatial
  description", ArcGIS's *Directional Distribution*) has its axes along the directions of
  largest and smallest spread. With ``dx, dy`` the deviations from the mean centre and the
  sums ``Sxx = Σdx²``, ``Syy = Σdy²``, ``Sxy = Σdx·dy``, the rotation ``θ`` is::

      tan θ = (Sxx − Syy + sqrt((Sxx − Syy)² + 4 Sxy²)) / (2 Sxy)     (θ = 0 when Sxy = 0)

  taken in [0°, 90°) (π/2 added to a negative arctangent). The two axes are the unit
  vectors ``u = (cos θ, −sin θ)`` ("x", east turned θ clockwise) and ``v = (sin θ,
  cos θ)`` ("y", north turned θ clockwise), and the standard deviation along each is::

      σx = c · k · sqrt(Σ (dx cos θ − dy sin θ)² / d)
      σy = c · k · sqrt(Σ (dx sin θ + dy cos θ)² / d)

  with ``k`` the number of standard deviations (1, 2 or 3) and the **correction** ``c``
  and divisor ``d``:

  ============  =====  =======  ==============================================
  correction    ``c``  ``d``    as
  ============  =====  =======  ==============================================
  ``arcgis``    √2     n        ArcGIS *Directional Distribution* (its "1 standard
                                deviation" ellipse: 1.41, 2.83 and 4.24 for 1, 2
                                and 3 standard deviations of 2-D data) — default
  ``crimestat`` √2     n − 2    CrimeStat's standard deviational ellipse (two
                                degrees of freedom lost to the mean centre)
  ``none``      1      n        the plain standard deviations along the axes
  ============  =====  =======  ==============================================

  The √2 makes the ellipse of a 2-D normal spread hold 1 − e⁻¹ = 63 % of the points
  instead of the 1 − e^(−1/2) = 39 % the plain standard deviations enclose. ``σx`` and
  ``σy`` are ArcGIS's ``XStdDist`` and ``YStdDist``; the ellipse's **rotation** is the
  bearing of its long axis, degrees clockwise from north in [0, 180) (ArcGIS's
  ``Rotation`` field).
* The same axes are the eigenvectors of the covariance matrix and ``σ² / (c² k²)`` its
  eigenvalues (×n/d): ArcGIS Pro describes it that way; the tests check both.
* The **standard distance** is ``c_d · k · sqrt(Σ(dx² + dy²) / d)`` with ``c_d = 1`` (ArcGIS
  *Standard Distance*, d = n; CrimeStat's "standard distance deviation", d = n − 2).

References: Lefever, D. W. (1926), *American Journal of Sociology* 32, 88–94; Yuill, R. S.
(1971), *Geografiska Annaler B* 53, 28–39; Levine, N., *CrimeStat IV*, chapter 4 "Spatial
Distribution"; Esri, *How Directional Distribution (Standard Deviational Ellipse) works*.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final, Literal

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pyproj
import shapely
from shapely.geometry import Point, Polygon

from gis.crs import metric_crs_for, require_wgs84
from gis.errors import GeometryTypeError, TooFewPointsError

Correction = Literal["arcgis", "crimestat", "none"]
CORRECTIONS: Final = ("arcgis", "crimestat", "none")
"""The corrections :func:`standard_deviational_ellipse` knows."""
MIN_POINTS: Final = 3
"""Fewest points an ellipse is drawn for (ArcGIS and CrimeStat refuse fewer)."""
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class DeviationalEllipse:
    """A standard deviational ellipse in a metric CRS.

    Parameters
    ----------
    centre_x, centre_y : float
        The mean centre, in the CRS's units (metres).
    sigma_x, sigma_y : float
        Semi-axes along ``(cos θ, −sin θ)`` and ``(sin θ, cos θ)``, metres, corrected and
        scaled (ArcGIS's ``XStdDist``, ``YStdDist``).
    theta_deg : float
        θ in degrees, [0, 90): the ``y`` axis's bearing, clockwise from north.
    n : int
        Points described.
    std_devs : float
        Standard deviations drawn (``k``).
    correction : str
        ``arcgis``, ``crimestat`` or ``none``.
    """

    centre_x: float
    centre_y: float
    sigma_x: float
    sigma_y: float
    theta_deg: float
    n: int
    std_devs: float
    correction: str

    @property
    def major_m(self) -> float:
        """The long semi-axis, metres."""
        return max(self.sigma_x, self.sigma_y)

    @property
    def minor_m(self) -> float:
        """The short semi-axis, metres."""
        return min(self.sigma_x, self.sigma_y)

    @property
    def rotation_deg(self) -> float:
        """Bearing of the long axis, degrees clockwise from north, in [0, 180)."""
        if self.sigma_y >= self.sigma_x:
            return self.theta_deg % 180.0
        return (self.theta_deg + 90.0) % 180.0

    @property
    def area_m2(self) -> float:
        """Area of the ellipse, square metres."""
        return math.pi * self.sigma_x * self.sigma_y

    def polygon(self, *, segments: int = 96) -> Polygon:
        """The ellipse as a polygon in the same metric CRS.

        Parameters
        ----------
        segments : int, optional
            Vertices around the ellipse.

        Returns
        -------
        shapely.Polygon
            Closed ring of ``segments`` vertices, counter-clockwise.
        """
        phi = np.linspace(0.0, 2.0 * np.pi, segments, endpoint=False)
        x, y = self.points_at(phi)
        return Polygon(np.column_stack([x, y]))

    def points_at(self, phi: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
        """Points on the ellipse at parameter angles ``phi`` (radians from the x axis)."""
        angle = np.asarray(phi, dtype=np.float64)
        theta = math.radians(self.theta_deg)
        ux, uy = math.cos(theta), -math.sin(theta)
        vx, vy = math.sin(theta), math.cos(theta)
        a, b = self.sigma_x * np.cos(angle), self.sigma_y * np.sin(angle)
        return self.centre_x + a * ux + b * vx, self.centre_y + a * uy + b * vy

    def contains(self, x: npt.ArrayLike, y: npt.ArrayLike) -> npt.NDArray[np.bool_]:
        """Which points lie inside the ellipse or on it (same CRS)."""
        dx = np.asarray(x, dtype=np.float64) - self.centre_x
        dy = np.asarray(y, dtype=np.float64) - self.centre_y
        theta = math.radians(self.theta_deg)
        along_x = dx * math.cos(theta) - dy * math.sin(theta)
        along_y = dx * math.sin(theta) + dy * math.cos(theta)
        with np.errstate(divide="ignore", invalid="ignore"):
            q = (along_x / self.sigma_x) ** 2 + (along_y / self.sigma_y) ** 2
        return np.asarray(np.nan_to_num(q, nan=np.inf) <= 1.0 + 1e-9)


def _coordinates(x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    xs = np.asarray(x, dtype=np.float64).ravel()
    ys = np.asarray(y, dtype=np.float64).ravel()
    if xs.shape != ys.shape:
        raise ValueError(f"x and y differ in length ({len(xs)} and {len(ys)})")
    if not (np.all(np.isfinite(xs)) and np.all(np.isfinite(ys))):
        raise ValueError("coordinates must be finite numbers")
    return xs, ys


def _divisor(n: int, correction: str) -> tuple[float, float]:
    """The correction factor and the divisor of the sums of squares."""
    if correction not in CORRECTIONS:
        raise ValueError(f"correction must be one of {', '.join(CORRECTIONS)}, "
                         f"not {correction!r}")
    if correction == "crimestat":
        return math.sqrt(2.0), float(n - 2)
    return (math.sqrt(2.0) if correction == "arcgis" else 1.0), float(n)


def mean_centre(x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[float, float]:
    """The mean centre of points.

    Parameters
    ----------
    x, y : array_like
        Coordinates in a metric CRS (or any planar units).

    Returns
    -------
    tuple of float
        ``(mean x, mean y)``.

    Raises
    ------
    TooFewPointsError
        No points.
    ValueError
        Coordinates of different lengths or not finite.
    """
    xs, ys = _coordinates(x, y)
    if len(xs) == 0:
        raise TooFewPointsError("a mean centre needs at least one point")
    return float(xs.mean()), float(ys.mean())


def standard_distance(x: npt.ArrayLike, y: npt.ArrayLike, *, std_devs: float = 1.0,
                      correction: Correction = "arcgis") -> float:
    """The standard distance: how far points lie from their mean centre.

    Parameters
    ----------
    x, y : array_like
        Coordinates in a metric CRS.
    std_devs : float, optional
        Standard deviations (``k``).
    correction : {"arcgis", "crimestat", "none"}, optional
        ``crimestat`` divides by n − 2; the others by n (no √2: a circle's radius).

    Returns
    -------
    float
        Metres (the CRS's units).

    Raises
    ------
    TooFewPointsError
        Fewer than 3 points with ``crimestat``, none otherwise.
    """
    xs, ys = _coordinates(x, y)
    needed = MIN_POINTS if correction == "crimestat" else 1
    if len(xs) < needed:
        raise TooFewPointsError(f"a standard distance needs at least {needed} points")
    _, divisor = _divisor(len(xs), correction)
    dx, dy = xs - xs.mean(), ys - ys.mean()
    return float(std_devs * math.sqrt(float(np.sum(dx * dx + dy * dy)) / divisor))


def standard_deviational_ellipse(x: npt.ArrayLike, y: npt.ArrayLike, *,
                                 std_devs: float = 1.0,
                                 correction: Correction = "arcgis") -> DeviationalEllipse:
    """The standard deviational ellipse of points (see the module's notes for the formulas).

    Parameters
    ----------
    x, y : array_like
        Coordinates in a metric CRS (metres), x east and y north.
    std_devs : float, optional
        Standard deviations drawn (``k``; ArcGIS offers 1, 2 or 3).
    correction : {"arcgis", "crimestat", "none"}, optional
        √2 with divisor n (ArcGIS, the default), √2 with n − 2 (CrimeStat), or none.

    Returns
    -------
    DeviationalEllipse
        Centre, semi-axes, θ and the settings.

    Raises
    ------
    TooFewPointsError
        Fewer than 3 points.
    ValueError
        An unknown correction, ``std_devs`` not positive, or coordinates not finite.
    """
    xs, ys = _coordinates(x, y)
    n = len(xs)
    if n < MIN_POINTS:
        raise TooFewPointsError(f"a standard deviational ellipse needs at least "
                                f"{MIN_POINTS} points, not {n}")
    if not (math.isfinite(std_devs) and std_devs > 0):
        raise ValueError("std_devs must be a positive number")
    factor, divisor = _divisor(n, correction)
    cx, cy = float(xs.mean()), float(ys.mean())
    dx, dy = xs - cx, ys - cy
    sxx, syy, sxy = float(np.sum(dx * dx)), float(np.sum(dy * dy)), float(np.sum(dx * dy))
    theta = 0.0
    if abs(sxy) > 1e-12 * max(sxx + syy, 1e-300):
        diff = sxx - syy
        theta = math.atan((diff + math.sqrt(diff * diff + 4.0 * sxy * sxy)) / (2.0 * sxy))
        if theta < 0.0:
            theta += math.pi / 2.0
    cos, sin = math.cos(theta), math.sin(theta)
    along_x = dx * cos - dy * sin
    along_y = dx * sin + dy * cos
    scale = factor * std_devs
    return DeviationalEllipse(
        centre_x=cx, centre_y=cy,
        sigma_x=scale * math.sqrt(float(np.sum(along_x * along_x)) / divisor),
        sigma_y=scale * math.sqrt(float(np.sum(along_y * along_y)) / divisor),
        theta_deg=math.degrees(theta),
        n=n, std_devs=float(std_devs), correction=correction)


@dataclass(frozen=True)
class SpatialDescription:
    """Mean centre, standard distance and ellipse of points given in longitude/latitude.

    Parameters
    ----------
    centre : shapely.Point
        The mean centre, EPSG:4326.
    standard_distance_m : float
        The standard distance, metres (k = 1, no √2).
    ellipse : DeviationalEllipse or None
        In ``metric_crs``; None for fewer than 3 points.
    ellipse_wgs84 : shapely.Polygon or None
        The ellipse, EPSG:4326.
    inside : int
        Points inside the ellipse (0 without one).
    metric_crs : pyproj.CRS
        The UTM zone measured in.
    """

    centre: Point
    standard_distance_m: float
    ellipse: DeviationalEllipse | None
    ellipse_wgs84: Polygon | None
    inside: int
    metric_crs: pyproj.CRS


def describe_points(points: gpd.GeoSeries, *, std_devs: float = 1.0,
                    correction: Correction = "arcgis") -> SpatialDescription:
    """Mean centre, standard distance and standard deviational ellipse of points.

    Measured in the local UTM zone; handed back in EPSG:4326.

    Parameters
    ----------
    points : geopandas.GeoSeries
        Points in EPSG:4326 (at least one).
    std_devs : float, optional
        Standard deviations of the ellipse.
    correction : {"arcgis", "crimestat", "none"}, optional
        The ellipse's (and the standard distance's divisor) correction.

    Returns
    -------
    SpatialDescription
        The ellipse is None for fewer than 3 points.

    Raises
    ------
    MissingCrsError, CrsMismatchError
        No CRS, or not EPSG:4326.
    TooFewPointsError
        No points.
    GeometryTypeError
        A geometry that is not a point.
    """
    require_wgs84(points, what="points")
    if len(points) == 0:
        raise TooFewPointsError("no points to describe")
    if not bool(np.all(shapely.get_type_id(np.asarray(points.values)) == 0)):
        raise GeometryTypeError("only points can be described")
    crs = metric_crs_for(points)
    metric = points.to_crs(crs)
    x, y = np.asarray(metric.x, dtype=np.float64), np.asarray(metric.y, dtype=np.float64)
    cx, cy = mean_centre(x, y)
    to_wgs84 = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    lon, lat = to_wgs84.transform(cx, cy)
    distance = standard_distance(x, y, correction="none" if correction == "none" else
                                 ("crimestat" if correction == "crimestat" and len(x) >= 3
                                  else "arcgis"))
    ellipse = None
    ring = None
    inside = 0
    if len(x) >= MIN_POINTS:
        ellipse = standard_deviational_ellipse(x, y, std_devs=std_devs,
                                               correction=correction)
        ex, ey = ellipse.points_at(np.linspace(0.0, 2.0 * np.pi, 96, endpoint=False))
        rx, ry = to_wgs84.transform(ex, ey)
        ring = Polygon(np.column_stack([rx, ry]))
        inside = int(np.sum(ellipse.contains(x, y)))
    return SpatialDescription(centre=Point(float(lon), float(lat)),
                              standard_distance_m=distance, ellipse=ellipse,
                              ellipse_wgs84=ring, inside=inside, metric_crs=crs)
