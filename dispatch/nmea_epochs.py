"""One position per receiver epoch: the GGA, RMC, GNS and GLL of one instant joined.

A receiver reports each fix several times, once per sentence type (GGA with quality,
satellites and altitude; RMC with date, speed and course; GNS and GLL with the position
again). Storing each as a position would count every epoch two to four times and leave
speed and course on some of them only. :func:`merge_epochs` joins them.

Decisions
---------
- An epoch is a run of consecutive fixes with the same UTC time field (the other sentences
  of the burst, GSV, GSA and the like, may come in between). A fix without a time field is
  an epoch of its own.
- The position, talker and ``kind`` come from the GGA, else the GNS, else the RMC, else the
  GLL of the epoch; quality, satellites, HDOP and altitude from the GGA (else the GNS);
  speed and course from the RMC.
- The instant is the RMC's (it carries the date); without an RMC in the epoch, the first
  dated fix's (dated by the RMCs before it, see :mod:`dispatch.nmea`).
- :func:`read_log` also counts the sentences without a position apart from the rejected
  ones: a healthy receiver sends many more of those than fixes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date

from dispatch.nmea import Fix, Ignored, Rejected, parse_lines

_POSITION_ORDER = ("GGA", "GNS", "RMC", "GLL")
_QUALITY_ORDER = ("GGA", "GNS")


@dataclass(frozen=True)
class NmeaLog:
    """A log read into one fix per epoch.

    Attributes
    ----------
    fixes : list of Fix
        One per epoch, in input order (see the module docstring).
    rejected : list of Rejected
        Lines that are not sound sentences, or position sentences without a fix.
    reasons : Counter of str
        Rejections per reason.
    ignored : Counter of str
        Sound sentences without a position, per type (``GSV``, ``GSA``, ``proprietary``).
    position_sentences : int
        Position sentences read (before joining).
    """

    fixes: list[Fix]
    rejected: list[Rejected]
    reasons: Counter[str]
    ignored: Counter[str] = field(default_factory=Counter)
    position_sentences: int = 0


def merge_epoch(members: list[Fix]) -> Fix:
    """Join the fixes of one epoch into one (see the module docstring).

    Parameters
    ----------
    members : list of Fix
        At least one; fixes of the same UTC time field.

    Returns
    -------
    Fix
    """
    by_kind: dict[str, Fix] = {}
    for fix in members:
        by_kind.setdefault(fix.kind, fix)
    where = next(by_kind[k] for k in _POSITION_ORDER if k in by_kind)
    quality = next((by_kind[k] for k in _QUALITY_ORDER if k in by_kind), None)
    rmc = by_kind.get("RMC")
    at = rmc.at if rmc is not None and rmc.at is not None else next(
        (fix.at for fix in members if fix.at is not None), None)
    return replace(
        where, at=at,
        speed_ms=rmc.speed_ms if rmc is not None else None,
        course_deg=rmc.course_deg if rmc is not None else None,
        satellites=quality.satellites if quality is not None else None,
        hdop=quality.hdop if quality is not None else None,
        quality=quality.quality if quality is not None else None,
        altitude_m=quality.altitude_m if quality is not None else None,
        sentences=tuple(name for fix in members for name in fix.sentences))


def merge_epochs(fixes: Iterable[Fix]) -> list[Fix]:
    """Join consecutive fixes of the same UTC time field into one fix per epoch.

    Parameters
    ----------
    fixes : iterable of Fix
        In input order, as :func:`dispatch.nmea.parse_log` gives them.

    Returns
    -------
    list of Fix
        One per epoch, in input order.
    """
    merged: list[Fix] = []
    current: list[Fix] = []
    for fix in fixes:
        if current and (fix.time_of_day is None
                        or fix.time_of_day != current[0].time_of_day):
            merged.append(merge_epoch(current))
            current = []
        current.append(fix)
    if current:
        merged.append(merge_epoch(current))
    return merged


def read_log(lines: Iterable[str], *, utc_date: date | None = None) -> NmeaLog:
    """Read a log into one fix per epoch, the rejections, and the ignored sentences.

    Parameters
    ----------
    lines : iterable of str
        As :func:`dispatch.nmea.parse_lines`.
    utc_date : datetime.date, optional
        As :func:`dispatch.nmea.parse_lines`.

    Returns
    -------
    NmeaLog
    """
    fixes: list[Fix] = []
    rejected: list[Rejected] = []
    ignored: Counter[str] = Counter()
    for result in parse_lines(lines, utc_date=utc_date):
        if isinstance(result, Fix):
            fixes.append(result)
        elif isinstance(result, Ignored):
            ignored[result.sentence] += 1
        else:
            rejected.append(result)
    return NmeaLog(merge_epochs(fixes), rejected, Counter(r.reason for r in rejected),
                   ignored, len(fixes))
