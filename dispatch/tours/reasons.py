"""Why a proposed camera is in a tour, in English and Chinese.

"sees 14 of the 31 incidents of theft at 18:00–21:00 on Fridays from 2024-07-01 to
2024-09-30, 12 of them in hot cell SQ-0012; 9 not seen by the cameras above" — every
number is the proposal's own count, so an operator can check it against the analysis.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from patrol.windows import DAY_NAMES_ZH

WEEKDAYS_EN = ("Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays",
               "Sundays")


@dataclass(frozen=True)
class ProposalContext:
    """What every reason of one proposal shares.

    Attributes
    ----------
    total : int
        Targets: incidents of the hot cells in the hours (and weekday) asked.
    categories : sequence of (str, str)
        English and Chinese names of the categories asked (empty: every category).
    hours : str
        The hours, ``"18:00–21:00"``.
    weekday : int or None
        0 = Monday … 6 = Sunday, when one was asked.
    first, last : datetime.date
        The period the incidents were taken from (inclusive).
    """

    total: int
    categories: Sequence[tuple[str, str]]
    hours: str
    weekday: int | None
    first: date
    last: date


def camera_reason(context: ProposalContext, *, seen: int, new: int, rank: int,
                  cell: str | None, in_cell: int) -> tuple[str, str]:
    """The reason for one proposed camera, as (English, Chinese).

    Parameters
    ----------
    context : ProposalContext
        The proposal's counts and period.
    seen : int, keyword-only
        Targets the camera sees.
    new : int, keyword-only
        Of those, targets no camera ranked above it sees.
    rank : int, keyword-only
        1 for the first camera.
    cell : str or None, keyword-only
        The hot cell where most of what it sees lies.
    in_cell : int, keyword-only
        How many of the seen targets lie in ``cell``.

    Returns
    -------
    tuple of str
        The English and the Chinese text.
    """
    names_en = ", ".join(en.lower() for en, _ in context.categories)
    names_zh = "、".join(zh for _, zh in context.categories)
    what_en = f"incidents of {names_en}" if names_en else "incidents"
    what_zh = f"起{names_zh}警情" if names_zh else "起警情"
    day_en = f" on {WEEKDAYS_EN[context.weekday]}" if context.weekday is not None else ""
    day_zh = f"{DAY_NAMES_ZH[context.weekday]}" if context.weekday is not None else ""
    period_en = f"from {context.first.isoformat()} to {context.last.isoformat()}"
    period_zh = f"{context.first.isoformat()}至{context.last.isoformat()}"
    en = (f"sees {seen} of the {context.total} {what_en} at {context.hours}{day_en} "
          f"{period_en}")
    zh = f"可见{period_zh}{day_zh}{context.hours}的{context.total}{what_zh}中的{seen}起"
    if cell is not None:
        en += f", {in_cell} of them in hot cell {cell}"
        zh += f"，其中{in_cell}起在热点网格{cell}"
    if rank > 1:
        if new:
            en += f"; {new} not seen by the cameras above"
            zh += f"；其中{new}起为前列摄像机所未见"
        else:
            en += "; a second view of places the cameras above see"
            zh += "；为前列摄像机所见地点的另一视角"
    return en, zh
