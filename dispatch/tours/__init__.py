"""Video patrol tours (视频轮巡), pure.

When a tour runs (schedule), how its cameras fill a video wall step by step (wall),
which cameras best watch where incidents concentrate (cover), the reasons given for
them (reasons) and what an operator may flag (findings).
"""

from dispatch.tours.cover import CameraPick, greedy_cover
from dispatch.tours.findings import FindingKind, FindingOutcome
from dispatch.tours.schedule import DateRange, TourSchedule, parse_schedule
from dispatch.tours.wall import LAYOUTS, WallStep, wall_steps

__all__ = ["LAYOUTS", "CameraPick", "DateRange", "FindingKind", "FindingOutcome",
           "TourSchedule", "WallStep", "greedy_cover", "parse_schedule", "wall_steps"]
