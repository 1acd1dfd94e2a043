"""The camera's reference view, and what a sample says against it.

Has the view moved (the camera knocked or turned), and is part of it covered?

A reference is a small grey picture of what the camera should see (taken from a healthy
check, one per time-of-day band, so that the night is compared with a night) and the
texture of each grid cell in it.

Moved
    ORB features of the reference and of the sample's middle frame are matched (mutual
    best matches) and a similarity transform (shift, rotation, scale) is fitted to them
    with RANSAC. The view moved when the fitted transform moves the centre of the picture
    by more than a share of its width, turns it, or zooms it; or when almost nothing of
    the reference is found any more (``matched`` is then False).
Covered
    A grid cell is lost when it had texture in the reference and now has almost none
    compared with the rest of the view, and is flat (an object on the lens, a bag, paint,
    a plate); ``covered_share`` is the share of the reference's textured cells that are
    lost. A picture that is darker or softer everywhere loses no cell.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from dispatch.cameras.health.measures import Frame, luma

Gray = npt.NDArray[np.uint8]

MIN_CELL_TEXTURE = 3.0
"""A reference cell with less mean gradient than this (levels per pixel) has nothing to
lose: it does not count for covered."""
LOST_TEXTURE_RATIO = 0.25
"""A cell keeping less than this share of what the whole view keeps of its texture has
lost it ..."""
LOST_CELL_STD = 12.0
"""... when it is also this flat (luma standard deviation, levels)."""
MIN_INLIERS = 12
"""Fewer matched features than this: the transform is not trusted."""


@dataclass(frozen=True)
class Reference:
    """A reference view: the grey picture (analysis width) and its cell textures."""

    gray: Gray
    cell_texture: tuple[float, ...]


@dataclass(frozen=True)
class SceneComparison:
    """A sample against the reference.

    Attributes
    ----------
    matched : bool
        Whether enough features of the reference were found to fit a transform.
    inliers : int
        Features consistent with the fitted transform.
    reference_features : int
        Features found in the reference.
    shift_share : float
        How far the centre of the picture moved, as a share of the picture's width.
    rotation_deg : float
        Turn of the picture (degrees, counter-clockwise positive).
    scale : float
        Zoom (1.0: none).
    covered_share : float
        Share of the reference's textured cells that are lost (0-1).
    covered_cells : tuple of int
        Indexes (row by row) of the lost cells.
    """

    matched: bool
    inliers: int
    reference_features: int
    shift_share: float
    rotation_deg: float
    scale: float
    covered_share: float
    covered_cells: tuple[int, ...]

    @property
    def match_share(self) -> float:
        """Inliers as a share of the reference's features (0-1)."""
        return self.inliers / self.reference_features if self.reference_features else 0.0

    def as_dict(self) -> dict[str, object]:
        """JSON-ready values."""
        return {"matched": self.matched, "inliers": self.inliers,
                "reference_features": self.reference_features,
                "match_share": round(self.match_share, 3),
                "shift_share": round(self.shift_share, 4),
                "rotation_deg": round(self.rotation_deg, 2), "scale": round(self.scale, 3),
                "covered_share": round(self.covered_share, 3),
                "covered_cells": list(self.covered_cells)}


def reference_from(frames: list[Frame], cell_texture: tuple[float, ...]) -> Reference:
    """A reference from a healthy sample: its middle frame (analysis width) in grey."""
    if not frames:
        raise ValueError("a reference needs at least one frame")
    middle = frames[len(frames) // 2]
    return Reference(np.asarray(np.clip(luma(middle), 0, 255), dtype=np.uint8),
                     tuple(cell_texture))


def lost_cells(reference: tuple[float, ...], texture: tuple[float, ...],
               spread: tuple[float, ...]) -> tuple[int, ...]:
    """Indexes of the grid cells that lost their texture against the rest of the view.

    Each textured reference cell keeps a share of its texture; the view as a whole keeps
    about the 90th percentile of those shares (a darker, softer or hazier picture lowers
    them all alike). A cell is lost when it keeps less than :data:`LOST_TEXTURE_RATIO` of
    what the view keeps, and is flat (:data:`LOST_CELL_STD`): something sits in front of
    that part of the lens.
    """
    kept = {i: now / before for i, (before, now) in enumerate(zip(reference, texture,
                                                                 strict=True))
            if before >= MIN_CELL_TEXTURE}
    if not kept:
        return ()
    view = float(np.percentile(list(kept.values()), 90))
    return tuple(i for i, share in kept.items()
                 if share < LOST_TEXTURE_RATIO * view and spread[i] < LOST_CELL_STD)


def _features(gray: Gray) -> tuple[list[cv2.KeyPoint], npt.NDArray[np.uint8] | None]:
    orb = cv2.ORB_create(  # type: ignore[attr-defined]
        nfeatures=600, fastThreshold=10, edgeThreshold=15, patchSize=15)
    keypoints, descriptors = orb.detectAndCompute(gray, None)
    return list(keypoints), descriptors


def compare(frames: list[Frame], cell_texture: tuple[float, ...], cell_std: tuple[float, ...],
            reference: Reference) -> SceneComparison:
    """Compare a sample (frames at the analysis width, its cell measures) with a reference.

    Parameters
    ----------
    frames : list of numpy.ndarray
        BGR frames scaled to the analysis width.
    cell_texture, cell_std : tuple of float
        The sample's per-cell texture and luma spread (medians over its frames).
    reference : Reference

    Returns
    -------
    SceneComparison
    """
    if not frames:
        raise ValueError("nothing to compare: the sample has no frames")
    current = np.asarray(np.clip(luma(frames[len(frames) // 2]), 0, 255), dtype=np.uint8)
    covered = lost_cells(reference.cell_texture, cell_texture, cell_std)
    textured = sum(1 for t in reference.cell_texture if t >= MIN_CELL_TEXTURE)
    covered_share = len(covered) / textured if textured else 0.0
    ref_points, ref_desc = _features(reference.gray)
    cur_points, cur_desc = _features(current)
    none = SceneComparison(False, 0, len(ref_points), 0.0, 0.0, 1.0, covered_share, covered)
    if ref_desc is None or cur_desc is None or len(ref_points) < MIN_INLIERS:
        return none
    matches = cv2.BFMatcher(cv2.NORM_HAMMING, crossCheck=True).match(ref_desc, cur_desc)
    if len(matches) < MIN_INLIERS:
        return none
    source = np.array([ref_points[m.queryIdx].pt for m in matches], dtype=np.float32)
    target = np.array([cur_points[m.trainIdx].pt for m in matches], dtype=np.float32)
    transform, mask = cv2.estimateAffinePartial2D(source, target, method=cv2.RANSAC,
                                                  ransacReprojThreshold=3.0,
                                                  maxIters=2000, confidence=0.99)
    inliers = int(mask.sum()) if mask is not None else 0
    if transform is None or inliers < MIN_INLIERS:
        return SceneComparison(False, inliers, len(ref_points), 0.0, 0.0, 1.0,
                               covered_share, covered)
    height, width = reference.gray.shape[:2]
    centre = np.array([width / 2, height / 2, 1.0])
    moved_to = transform @ centre
    shift = float(math.hypot(moved_to[0] - centre[0], moved_to[1] - centre[1])) / width
    rotation = math.degrees(math.atan2(float(transform[1, 0]), float(transform[0, 0])))
    scale = float(math.hypot(float(transform[0, 0]), float(transform[1, 0])))
    return SceneComparison(True, inliers, len(ref_points), shift, -rotation, scale,
                           covered_share, covered)
