"""The faults a camera health check reports, and what each finding carries.

The list is what commercial video-quality diagnosis (视频质量诊断) products check —
signal lost, no video, frozen, black or blank, over- and under-exposed, low contrast,
blurred, noise (snow), colour cast, mosaic (corrupted decoding), covered — and scene
moved (the view no longer matches the camera's reference).
"""

from __future__ import annotations

from dataclasses import dataclass

from dispatch.labels import LabelledEnum


class Fault(LabelledEnum):
    """A fault code (stored, sent over the API) with its console labels."""

    UNREACHABLE = "unreachable", "Signal lost / unreachable", "信号丢失（无法连接）"
    NO_FRAMES = "no_frames", "No decodable video", "无可解码视频"
    FROZEN = "frozen", "Frozen picture", "画面冻结"
    BLACK = "black", "Black picture", "黑屏"
    BLANK = "blank", "Blank picture (one colour)", "画面空白（单色）"
    OVEREXPOSED = "overexposed", "Over-exposed", "画面过亮"
    UNDEREXPOSED = "underexposed", "Under-exposed", "画面过暗"
    LOW_CONTRAST = "low_contrast", "Low contrast", "对比度低"
    BLURRED = "blurred", "Blurred", "画面模糊"
    NOISE = "noise", "Noise / snow", "噪声（雪花）"
    COLOUR_CAST = "colour_cast", "Colour cast", "偏色"
    CORRUPTED = "corrupted", "Mosaic / corrupted decoding", "马赛克（解码错误）"
    COVERED = "covered", "Covered / occluded", "遮挡"
    MOVED = "moved", "Scene moved", "场景变化（移位）"

    @property
    def takes_camera_offline(self) -> bool:
        """Whether the fault leaves no picture at all (the camera is offline)."""
        return self in OFFLINE_FAULTS


OFFLINE_FAULTS = frozenset({Fault.UNREACHABLE, Fault.NO_FRAMES})
"""Faults that leave no picture: the camera is offline, not degraded."""


@dataclass(frozen=True)
class Finding:
    """One fault found, with the measurement behind it.

    Attributes
    ----------
    fault : Fault
    measure : str
        The measure that decided (``sharpness``, ``motion``, ``covered_share`` ...).
    value : float
        Its value in this check.
    limit : float
        The limit it crossed (this camera's, at this time of day, when it has a
        baseline).
    baseline : float or None
        The camera's usual value at this time of day, when known.
    note : str
        A plain-English explanation ("moved 12 % of the width"); the console words it
        in the user's language from the numbers.
    """

    fault: Fault
    measure: str
    value: float
    limit: float
    baseline: float | None = None
    note: str = ""

    def as_dict(self) -> dict[str, object]:
        """JSON-ready values."""
        return {"fault": self.fault.value, "measure": self.measure,
                "value": round(self.value, 4), "limit": round(self.limit, 4),
                "baseline": None if self.baseline is None else round(self.baseline, 4),
                "note": self.note}
