"""What checks mean for a camera over time.

Its state, how long a fault has lasted, when a maintenance ticket opens and closes, the
contract (SLA) clocks, and uptime.

Pure decisions; the edge loads, decides with these, writes and then talks to the outside.

State
    A check's :class:`Verdict` (online, degraded, offline) becomes the camera's state,
    except while the camera is in ``maintenance``: that is set and ended by hand (planned
    work), and checks then record what they see without changing it or opening tickets.
Tickets
    A fault found in ``open_after`` consecutive checks (two by default: one bad sample is
    not enough) opens a ticket for the camera's maintainer; the ticket lists the faults
    still present while it is open and closes itself after ``close_after`` consecutive
    healthy checks (or is closed by hand, with a note).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from dispatch.cameras.kinds import CameraStatus


class Verdict(StrEnum):
    """One check's outcome."""

    ONLINE = "online"
    DEGRADED = "degraded"
    OFFLINE = "offline"


def next_status(current: CameraStatus | str, verdict: Verdict) -> CameraStatus:
    """The camera's state after a check: the verdict, unless it is in maintenance."""
    if CameraStatus(current) is CameraStatus.MAINTENANCE:
        return CameraStatus.MAINTENANCE
    return CameraStatus(verdict.value)


@dataclass(frozen=True)
class Streaks:
    """How long faults have lasted.

    ``faults``: consecutive checks each fault was found in; ``healthy``: consecutive
    healthy checks.
    """

    faults: Mapping[str, int] = field(default_factory=dict)
    healthy: int = 0

    def after(self, codes: Iterable[str]) -> Streaks:
        """The streaks after a check that found ``codes`` (none: a healthy check)."""
        found = set(codes)
        if not found:
            return Streaks({}, self.healthy + 1)
        return Streaks({code: self.faults.get(code, 0) + 1 for code in sorted(found)}, 0)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready values."""
        return {"faults": dict(self.faults), "healthy": self.healthy}

    @classmethod
    def from_dict(cls, data: Mapping[str, object] | None) -> Streaks:
        """Read what :meth:`as_dict` wrote (None or junk: no streaks)."""
        if not data:
            return cls()
        faults = data.get("faults")
        healthy = data.get("healthy")
        return cls({str(k): int(v) for k, v in faults.items() if isinstance(v, int)}
                   if isinstance(faults, Mapping) else {},
                   healthy if isinstance(healthy, int) else 0)


@dataclass(frozen=True)
class TicketPolicy:
    """When tickets open and close themselves.

    A fault in ``open_after`` consecutive checks opens one; ``close_after`` consecutive
    healthy checks close it.
    """

    open_after: int = 2
    close_after: int = 3

    def __post_init__(self) -> None:
        """Both counts are whole numbers of at least 1."""
        for name in ("open_after", "close_after"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a whole number >= 1, not {value!r}")


class TicketAction(StrEnum):
    """What a check does to the camera's ticket."""

    NONE = "none"
    OPEN = "open"
    UPDATE = "update"
    CLOSE = "close"


def persistent_faults(streaks: Streaks, policy: TicketPolicy) -> list[str]:
    """Faults found in at least ``policy.open_after`` consecutive checks."""
    return sorted(code for code, count in streaks.faults.items() if count >= policy.open_after)


def ticket_action(streaks: Streaks, *, has_open_ticket: bool, in_maintenance: bool,
                  policy: TicketPolicy) -> tuple[TicketAction, list[str]]:
    """What to do with the camera's ticket after a check, and the faults it names.

    Parameters
    ----------
    streaks : Streaks
        The streaks after this check.
    has_open_ticket : bool, keyword-only
        Whether the camera has an open ticket.
    in_maintenance : bool, keyword-only
        Whether the camera is in maintenance (no ticket opens meanwhile).
    policy : TicketPolicy, keyword-only

    Returns
    -------
    tuple of (TicketAction, list of str)
        OPEN with the persistent faults; UPDATE with the faults now present (an open
        ticket follows them); CLOSE after enough healthy checks; NONE otherwise.
    """
    if has_open_ticket:
        if streaks.healthy >= policy.close_after:
            return TicketAction.CLOSE, []
        if streaks.faults:
            return TicketAction.UPDATE, sorted(streaks.faults)
        return TicketAction.NONE, []
    persistent = persistent_faults(streaks, policy)
    if persistent and not in_maintenance:
        return TicketAction.OPEN, persistent
    return TicketAction.NONE, []


@dataclass(frozen=True)
class SlaClock:
    """A contract clock: due at ``due``, met at ``met`` (None: not yet)."""

    due: datetime
    met: datetime | None = None

    def state(self, now: datetime) -> str:
        """``met``, ``breached`` (met late, or not met and past due) or ``running``."""
        if self.met is not None:
            return "met" if self.met <= self.due else "breached"
        return "breached" if now > self.due else "running"

    def remaining_s(self, now: datetime) -> float | None:
        """Seconds left before it is due (negative when overdue; None once met)."""
        return None if self.met is not None else (self.due - now).total_seconds()


def sla_clocks(opened_at: datetime, *, response_h: float, repair_h: float,
               responded_at: datetime | None = None,
               repaired_at: datetime | None = None) -> tuple[SlaClock, SlaClock]:
    """The response and repair clocks of a ticket opened at ``opened_at``.

    Raises
    ------
    ValueError
        When a time is naive or a duration is not positive.
    """
    for moment in (opened_at, responded_at, repaired_at):
        if moment is not None and moment.tzinfo is None:
            raise ValueError("SLA times must carry a time zone")
    if response_h <= 0 or repair_h <= 0:
        raise ValueError("response and repair times must be positive hours")
    return (SlaClock(opened_at + timedelta(hours=response_h), responded_at),
            SlaClock(opened_at + timedelta(hours=repair_h), repaired_at))


def time_in_status(changes: Sequence[tuple[datetime, str]], *, start: datetime,
                   end: datetime, initial: str) -> dict[str, float]:
    """Seconds spent in each state between ``start`` and ``end``.

    Parameters
    ----------
    changes : sequence of (datetime, str)
        State changes (time, new state), in time order; those outside the period only
        set the state it starts in.
    start, end : datetime, keyword-only
        The period (aware datetimes, ``start`` < ``end``).
    initial : str, keyword-only
        The state before the first change.

    Returns
    -------
    dict
        State → seconds; the values add up to the period's length.

    Raises
    ------
    ValueError
        When the period is empty or reversed.
    """
    if end <= start:
        raise ValueError("the period must end after it starts")
    spent: dict[str, float] = {}
    state, since = initial, start
    for at, new_state in changes:
        if at <= start:
            state = new_state
            continue
        if at >= end:
            break
        spent[state] = spent.get(state, 0.0) + (at - since).total_seconds()
        state, since = new_state, at
    spent[state] = spent.get(state, 0.0) + (end - since).total_seconds()
    return spent


def uptime_shares(spent: Mapping[str, float]) -> dict[str, float | None]:
    """Availability from time in each state, maintenance left out of the denominator.

    ``online_share``: share of the time with a picture (online or degraded);
    ``healthy_share``: share with a faultless picture. None when no time counts (the
    whole period in maintenance or unknown).
    """
    counted = sum(v for k, v in spent.items() if k in ("online", "degraded", "offline"))
    if counted <= 0:
        return {"online_share": None, "healthy_share": None}
    with_picture = spent.get("online", 0.0) + spent.get("degraded", 0.0)
    return {"online_share": with_picture / counted,
            "healthy_share": spent.get("online", 0.0) / counted}
