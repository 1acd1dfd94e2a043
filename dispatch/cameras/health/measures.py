"""What one decoded frame shows, measured.

Brightness, contrast, sharpness, noise, colour cast, how uniform the picture is, and the
texture of each cell of a coarse grid.

Every measure is a plain number on a stated scale, so a diagnosis can say "sharpness 0.18,
this camera's evening baseline 0.35" instead of only "blurred". Frames are BGR ``uint8``
arrays as OpenCV and FFmpeg's ``bgr24`` give them; the measures are meant for frames
scaled to about 320 pixels wide (what :data:`ANALYSIS_WIDTH` names), where each costs
well under a millisecond.

Scales
------
- luma: 0-255 (ITU-R BT.601 Y of the BGR frame).
- ``sharpness``: on the strongest edges (the top tenth of gradient magnitudes of the
  lightly smoothed luma), the mean absolute Laplacian over the mean gradient magnitude.
  For an edge blurred over ``w`` pixels this is about ``1/w``: it does not change when
  the picture gets darker or brighter, nor with how many edges the view holds, so a
  street at night or a half-covered view is not "blurred". Larger is sharper.
- ``noise_sigma``: Immerkær's fast noise estimate (luma levels, a standard deviation),
  taken over the flattest half of the picture so that edges do not count as noise.
- colour cast: ``cast_d`` is the distance of the mean chroma from neutral in CIE L*a*b*
  (OpenCV's 8-bit scale: a and b centred on 128), ``cast_k`` that distance over the
  spread of the chroma (the "equivalent circle" test: a picture whose colours all lean one
  way has a large k; a colourful one does not).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

ANALYSIS_WIDTH = 320
"""Width in pixels the sampler scales frames to before measuring."""

GRID = (8, 6)
"""Columns and rows of the texture grid (covered-lens and scene checks)."""

Frame = npt.NDArray[np.uint8]
FloatArray = npt.NDArray[np.float32]

_IMMERKAER = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], np.float32)


@dataclass(frozen=True)
class FrameMeasures:
    """The measures of one frame (see the module docstring for the scales).

    Attributes
    ----------
    luma_mean, luma_std : float
        Mean and standard deviation of the luma.
    luma_low, luma_high : float
        Its 2nd and 98th percentiles; ``dynamic_range`` is their difference.
    dark_share, bright_share : float
        Shares of pixels at or below 16 and at or above 245 (0-1).
    uniform_share : float
        Share of pixels within 10 levels of the median luma and of neutral-to-median
        chroma (1.0: one flat colour, as a lost signal's screen).
    sharpness : float
        Contrast-normalised Laplacian energy.
    noise_sigma : float
        Noise standard deviation estimate, luma levels.
    cast_d, cast_k : float
        Colour cast distance and its ratio to the chroma spread.
    cast_a, cast_b : float
        Mean chroma offsets (a: green − / magenta +, b: blue − / yellow +).
    cell_texture : tuple of float
        Mean gradient magnitude per grid cell, row by row (:data:`GRID`).
    cell_std : tuple of float
        Luma standard deviation per grid cell.
    """

    luma_mean: float
    luma_std: float
    luma_low: float
    luma_high: float
    dark_share: float
    bright_share: float
    uniform_share: float
    sharpness: float
    noise_sigma: float
    cast_d: float
    cast_k: float
    cast_a: float
    cast_b: float
    cell_texture: tuple[float, ...]
    cell_std: tuple[float, ...]

    @property
    def dynamic_range(self) -> float:
        """The 2nd to 98th percentile spread of the luma, in levels."""
        return self.luma_high - self.luma_low


def luma(frame: Frame) -> FloatArray:
    """The luma (BT.601 Y, 0-255) of a BGR frame, as float32."""
    if frame.ndim != 3 or frame.shape[2] != 3:
        raise ValueError(f"expected a BGR frame (height, width, 3), got shape {frame.shape}")
    return np.asarray(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), dtype=np.float32)


def scaled(frame: Frame, width: int = ANALYSIS_WIDTH) -> Frame:
    """``frame`` scaled (area interpolation) to ``width`` pixels, keeping its aspect."""
    height, current = frame.shape[:2]
    if current == width:
        return frame
    new_height = max(2, round(height * width / current))
    return np.asarray(cv2.resize(frame, (width, new_height), interpolation=cv2.INTER_AREA),
                      dtype=np.uint8)


def gradient_magnitude(gray: FloatArray) -> FloatArray:
    """Sobel gradient magnitude of a luma image."""
    gx = cv2.Sobel(gray, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(gray, cv2.CV_32F, 0, 1, ksize=3)
    return np.asarray(cv2.magnitude(gx, gy), dtype=np.float32)


def cells(image: FloatArray, grid: tuple[int, int] = GRID) -> list[FloatArray]:
    """The image cut into ``grid`` (columns, rows) cells, row by row."""
    columns, rows = grid
    height, width = image.shape[:2]
    ys = np.linspace(0, height, rows + 1).astype(int)
    xs = np.linspace(0, width, columns + 1).astype(int)
    return [image[ys[r]:ys[r + 1], xs[c]:xs[c + 1]] for r in range(rows) for c in range(columns)]


def noise_sigma(gray: FloatArray, gradient: FloatArray) -> float:
    """Immerkær's noise estimate over the flattest half of the picture (luma levels)."""
    response = np.abs(cv2.filter2D(gray, cv2.CV_32F, _IMMERKAER))[1:-1, 1:-1]
    flat = gradient[1:-1, 1:-1] <= np.median(gradient)
    if not flat.any():
        return 0.0
    return float(np.sqrt(np.pi / 2) / 6 * response[flat].mean())


def measure_frame(frame: Frame) -> FrameMeasures:
    """Measure one BGR frame (see :class:`FrameMeasures`).

    Parameters
    ----------
    frame : numpy.ndarray
        ``(height, width, 3)`` ``uint8`` BGR, preferably :func:`scaled` to
        :data:`ANALYSIS_WIDTH`.

    Returns
    -------
    FrameMeasures

    Raises
    ------
    ValueError
        When ``frame`` is not a three-channel image of at least 8 × 8 pixels.
    """
    if frame.ndim != 3 or frame.shape[2] != 3 or min(frame.shape[:2]) < 8:
        raise ValueError(f"expected a BGR frame of at least 8 x 8 pixels, got {frame.shape}")
    gray = luma(frame)
    total = float(gray.size)
    low, median, high = (float(v) for v in np.percentile(gray, (2, 50, 98)))
    std = float(gray.std())
    lab = np.asarray(cv2.cvtColor(frame, cv2.COLOR_BGR2LAB), dtype=np.float32)
    a, b = lab[..., 1] - 128.0, lab[..., 2] - 128.0
    mean_a, mean_b = float(a.mean()), float(b.mean())
    spread = float(np.hypot(np.abs(a - mean_a).mean(), np.abs(b - mean_b).mean()))
    cast_d = float(np.hypot(mean_a, mean_b))
    near = (np.abs(gray - median) <= 10) & (np.abs(a - np.median(a)) <= 6) & (
        np.abs(b - np.median(b)) <= 6)
    smooth = np.asarray(cv2.GaussianBlur(gray, (3, 3), 0.8), dtype=np.float32)
    laplacian = np.abs(cv2.Laplacian(smooth, cv2.CV_32F, ksize=3))
    gradient = gradient_magnitude(smooth)
    edges = gradient >= np.percentile(gradient, 90)
    edge_gradient = float(gradient[edges].mean()) if edges.any() else 0.0
    return FrameMeasures(
        luma_mean=float(gray.mean()), luma_std=std, luma_low=low, luma_high=high,
        dark_share=float((gray <= 16).sum()) / total,
        bright_share=float((gray >= 245).sum()) / total,
        uniform_share=float(near.sum()) / total,
        sharpness=float(laplacian[edges].mean()) / (edge_gradient + 1e-3) if edges.any()
        else 0.0,
        noise_sigma=noise_sigma(gray, gradient_magnitude(gray)),
        cast_d=cast_d, cast_k=cast_d / (spread + 1.0), cast_a=mean_a, cast_b=mean_b,
        cell_texture=tuple(float(c.mean()) for c in cells(gradient)),
        cell_std=tuple(float(c.std()) for c in cells(gray)),
    )
