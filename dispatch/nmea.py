"""NMEA 0183 position sentences (GGA, RMC, GNS, GLL) parsed into fixes; a pure parser.

Serial ports, TCP feeds and radio gateways live elsewhere and hand lines to this module.
Every line that is not a usable fix comes back as a :class:`Rejected` with its reason, so a
feed that goes bad shows up in the counts instead of disappearing, or as :class:`Ignored`
when it is a sound sentence that carries no position (satellites in view GSV, DOP GSA,
text TXT, track and speed VTG, proprietary ``$P…`` sentences, other instruments on a
boat's bus): those are routine, counted apart and never errors.
:mod:`dispatch.nmea_epochs` joins the sentences of one receiver epoch into one fix.

Decisions
---------
- Talkers: ``GP`` (GPS), ``GN`` (combined GNSS), ``GL`` (GLONASS), ``BD`` and ``GB``
  (BeiDou: ``BD`` per the Chinese TSCPB standard, ``GB`` per NMEA 4.10) and ``GA``
  (Galileo). Other talkers' position sentences are rejected as ``unsupported talker``.
- GNS (the multi-constellation fix) and GLL (position and time) are read as GGA and RMC
  are; GNS mode ``N`` for every system is ``no fix``, GLL status other than ``A`` is
  ``void status``. GNS has no date, GLL neither: they are dated as a GGA is.
- The checksum is required and verified (hex digits in either case). Surrounding
  whitespace, including the CR of CRLF logs, is stripped first.
- GGA quality 0 is rejected as ``no fix``; RMC status other than ``A`` as ``void status``.
  Both are the receiver saying it has no position, not a broken feed, but they are kept
  with the rejects so a unit that never gets a fix shows up.
  Other GGA qualities (GPS, DGPS, RTK, dead reckoning, ...) are kept in ``Fix.quality``
  for the consumer to weigh.
- Times are UTC. RMC carries its date; a two-digit year ``yy`` means 20yy below 80 and
  19yy otherwise (as gpsd does). GGA carries only the time of day: on its own it has no
  ``at``; :func:`parse_log` dates it with the date of the last *valid* RMC seen before it
  (a void RMC's date may come from an unset receiver clock), moving it one day on when the
  result would lie more than 12 hours before that RMC (a GGA just after midnight UTC).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from typing import Literal

TALKERS = MappingProxyType({
    "GP": "GPS",
    "GN": "GNSS (combined)",
    "GL": "GLONASS",
    "BD": "BeiDou",
    "GB": "BeiDou",
    "GA": "Galileo",
})
"""The talker IDs accepted, with the satellite system each stands for."""

KNOT_MS = 1852 / 3600
"""One knot in metres per second."""

BAD_CHECKSUM = "bad checksum"
MISSING_CHECKSUM = "missing checksum"
NOT_A_SENTENCE = "not an NMEA sentence"
UNSUPPORTED_TYPE = "unsupported sentence type"
UNSUPPORTED_TALKER = "unsupported talker"
TOO_FEW_FIELDS = "too few fields"
NO_FIX = "no fix"
VOID_STATUS = "void status"


def malformed(field: str) -> str:
    """Return the reject reason for a field that cannot be read, e.g. ``malformed field lat``."""
    return f"malformed field {field}"


@dataclass(frozen=True)
class Fix:
    """A position fix read from one GGA or RMC sentence.

    Attributes
    ----------
    talker : str
        Talker ID, e.g. ``"GP"``, ``"BD"``.
    kind : {"GGA", "RMC", "GNS", "GLL"}
        The sentence type its position came from.
    lon, lat : float
        WGS-84 decimal degrees; east and north positive.
    at : datetime or None
        UTC instant (timezone-aware); None when the sentence has no time, or is a GGA whose
        date is unknown.
    speed_ms : float or None
        Speed over ground in m/s (RMC only).
    course_deg : float or None
        Course over ground in degrees from true north (RMC only).
    satellites : int or None
        Satellites used (GGA, GNS).
    hdop : float or None
        Horizontal dilution of precision (GGA, GNS).
    quality : int or None
        GGA fix quality (1 GPS, 2 DGPS, 4 RTK fixed, 5 RTK float, 6 estimated, ...); a GNS
        mode letter gives the same numbers.
    altitude_m : float or None
        Height above mean sea level, metres (GGA, GNS).
    time_of_day : time or None
        The sentence's UTC time field, which names its receiver epoch.
    sentences : tuple of str
        The sentence addresses this fix was read from (``("GNGGA", "GNRMC")`` once
        :func:`dispatch.nmea_epochs.merge_epochs` has joined an epoch).
    """

    talker: str
    kind: Literal["GGA", "RMC", "GNS", "GLL"]
    lon: float
    lat: float
    at: datetime | None
    speed_ms: float | None = None
    course_deg: float | None = None
    satellites: int | None = None
    hdop: float | None = None
    quality: int | None = None
    altitude_m: float | None = None
    time_of_day: time | None = field(default=None, compare=False)
    sentences: tuple[str, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class Rejected:
    """A line that gave no fix, and why.

    Attributes
    ----------
    line : str
        The line as received.
    reason : str
        One of a small set of reasons (the module's constants, or ``malformed field X``),
        suitable for counting.
    detail : str
        Specifics, e.g. the checksum expected or the sentence address.
    """

    line: str
    reason: str
    detail: str = ""


@dataclass(frozen=True)
class Ignored:
    """A sound sentence that carries no position (GSV, GSA, TXT, VTG, ``$P…``, ...).

    Attributes
    ----------
    line : str
        The line as received.
    sentence : str
        What it is, for counting: the sentence type (``GSV``), or ``proprietary``.
    """

    line: str
    sentence: str


class _FieldError(ValueError):
    """A field could not be read; carries the reject reason."""

    def __init__(self, field: str, value: str) -> None:
        super().__init__(f"{value!r}")
        self.reason = malformed(field)


_ADDRESS = re.compile(r"[A-Z][A-Z0-9][A-Z0-9]{3}")
_SENTENCE = re.compile(r"\$(?P<body>[^*$]*)(?:\*(?P<checksum>[0-9A-Fa-f]{2}))?")
_DIGITS = re.compile(r"[0-9]+")
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_TIME = re.compile(r"([0-9]{2})([0-9]{2})([0-9]{2})(?:\.([0-9]{1,6}))?")
_DATE = re.compile(r"([0-9]{2})([0-9]{2})([0-9]{2})")
_SIGNED = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
# Fields needed (address included): GGA up to HDOP, RMC up to the date, GNS up to HDOP,
# GLL up to the status.
_MIN_FIELDS = {"GGA": 9, "RMC": 10, "GNS": 9, "GLL": 7}
# GNS mode letters as GGA quality numbers (NMEA 4.10): the first system's letter that fixes.
_GNS_QUALITY = {"A": 1, "D": 2, "P": 3, "R": 4, "F": 5, "E": 6, "M": 7, "S": 8}


def checksum(body: str) -> int:
    """Return the NMEA checksum of ``body``: the XOR of its bytes, between ``$`` and ``*``.

    Parameters
    ----------
    body : str
        The sentence text without ``$``, ``*`` and the checksum digits.

    Returns
    -------
    int
        The checksum, 0-255; written as two hex digits after ``*``.
    """
    data = body.encode("ascii", "replace")
    # XOR the bytes by folding the bytes as one integer in halves: a handful of big-int
    # operations instead of a Python step per byte (the decoder's hottest spot)
    folded = int.from_bytes(data, "little")
    width = len(data)
    while width > 1:
        half = (width + 1) // 2
        folded = (folded & ((1 << (8 * half)) - 1)) ^ (folded >> (8 * half))
        width = half
    return folded


def parse_sentence(line: str, *, utc_date: date | None = None) -> Fix | Ignored | Rejected:
    """Parse one NMEA 0183 line into a fix, an ignored sentence or a rejection.

    Parameters
    ----------
    line : str
        One sentence, e.g. ``"$GNRMC,074155.799,A,3114.8770,N,...*76"``; surrounding
        whitespace is ignored.
    utc_date : date, optional, keyword-only
        The UTC date to give a GGA's, GNS's or GLL's time of day (they carry no date).
        Ignored for RMC.

    Returns
    -------
    Fix, Ignored or Rejected
        The fix; a sound sentence without a position; or the line with the reason it gave
        none.
    """
    text = line.strip()
    match = _SENTENCE.fullmatch(text)
    if match is None:
        return Rejected(line, NOT_A_SENTENCE)
    body, written = match["body"], match["checksum"]
    if written is None:
        return Rejected(line, MISSING_CHECKSUM)
    expected = checksum(body)
    if int(written, 16) != expected:
        return Rejected(line, BAD_CHECKSUM, f"computed {expected:02X}, written {written}")
    address = body.split(",", 1)[0]
    kind = address[2:]
    if address.startswith("P"):
        return Ignored(line, "proprietary")
    if kind not in _MIN_FIELDS:  # most lines of a receiver (GSV, GSA, VTG): not split
        if _ADDRESS.fullmatch(address) is None:
            return Rejected(line, UNSUPPORTED_TYPE, address)
        return Ignored(line, kind)
    fields = body.split(",")
    talker = address[:2]
    if talker not in TALKERS:
        return Rejected(line, UNSUPPORTED_TALKER, address)
    if len(fields) < _MIN_FIELDS[kind]:
        return Rejected(line, TOO_FEW_FIELDS, f"{len(fields)} fields in {address}")
    try:
        if kind == "RMC":
            return _read_rmc(line, talker, fields)
        if kind == "GGA":
            return _read_gga(line, talker, fields, utc_date)
        if kind == "GNS":
            return _read_gns(line, talker, fields, utc_date)
        return _read_gll(line, talker, fields, utc_date)
    except _FieldError as error:
        return Rejected(line, error.reason, str(error))


def _read_gga(line: str, talker: str, fields: list[str], utc_date: date | None) -> Fix | Rejected:
    # $--GGA,time,lat,N,lon,E,quality,satellites,hdop,altitude,M,geoid,M,age,station
    quality = _integer("quality", fields[6])
    if quality == 0:
        return Rejected(line, NO_FIX)
    return _fix_with_altitude(talker, "GGA", fields, quality, utc_date)


def _read_gns(line: str, talker: str, fields: list[str],
              utc_date: date | None) -> Fix | Rejected:
    # $--GNS,time,lat,N,lon,E,mode,satellites,hdop,altitude,geoid,age,station[,status]
    mode = fields[6]
    if not mode or re.fullmatch(r"[NADPRFEMS]+", mode) is None:
        raise _FieldError("mode", mode)
    fixing = [letter for letter in mode if letter != "N"]
    if not fixing:
        return Rejected(line, NO_FIX, f"mode {mode!r}")
    return _fix_with_altitude(talker, "GNS", fields, _GNS_QUALITY[fixing[0]], utc_date)


def _fix_with_altitude(talker: str, kind: Literal["GGA", "GNS"], fields: list[str],
                       quality: int, utc_date: date | None) -> Fix:
    """A GGA or GNS fix: both carry time, position, satellites, HDOP and altitude alike."""
    clock = _time_of_day(fields[1])
    return Fix(
        talker=talker,
        kind=kind,
        lon=_coordinate("lon", fields[4], fields[5], degree_digits=3),
        lat=_coordinate("lat", fields[2], fields[3], degree_digits=2),
        at=_dated(clock, utc_date),
        satellites=_integer("satellites", fields[7]) if fields[7] else None,
        hdop=_decimal("hdop", fields[8]) if fields[8] else None,
        quality=quality,
        altitude_m=_altitude(fields[9]) if len(fields) > 9 and fields[9] else None,
        time_of_day=clock,
        sentences=(talker + kind,),
    )


def _read_gll(line: str, talker: str, fields: list[str],
              utc_date: date | None) -> Fix | Rejected:
    # $--GLL,lat,N,lon,E,time,status[,mode]
    if fields[6] != "A":
        return Rejected(line, VOID_STATUS, f"status {fields[6]!r}")
    clock = _time_of_day(fields[5])
    return Fix(
        talker=talker,
        kind="GLL",
        lon=_coordinate("lon", fields[3], fields[4], degree_digits=3),
        lat=_coordinate("lat", fields[1], fields[2], degree_digits=2),
        at=_dated(clock, utc_date),
        time_of_day=clock,
        sentences=(talker + "GLL",),
    )


def _dated(clock: time | None, utc_date: date | None) -> datetime | None:
    return None if clock is None or utc_date is None else datetime.combine(utc_date, clock)


def _altitude(value: str) -> float:
    if _SIGNED.fullmatch(value) is None:
        raise _FieldError("altitude", value)
    return float(value)


def _read_rmc(line: str, talker: str, fields: list[str]) -> Fix | Rejected:
    # $--RMC,time,status,lat,N,lon,E,speed_kn,course,date,variation,E,mode[,nav status]
    if fields[2] != "A":
        return Rejected(line, VOID_STATUS, f"status {fields[2]!r}")
    clock = _time_of_day(fields[1])
    day = _date(fields[9])
    at = None if clock is None or day is None else datetime.combine(day, clock)
    return Fix(
        talker=talker,
        kind="RMC",
        lon=_coordinate("lon", fields[5], fields[6], degree_digits=3),
        lat=_coordinate("lat", fields[3], fields[4], degree_digits=2),
        at=at,
        speed_ms=_decimal("speed", fields[7]) * KNOT_MS if fields[7] else None,
        course_deg=_course(fields[8]) if fields[8] else None,
        time_of_day=clock,
        sentences=(talker + "RMC",),
    )


def _integer(field: str, value: str) -> int:
    if _DIGITS.fullmatch(value) is None:
        raise _FieldError(field, value)
    return int(value)


def _decimal(field: str, value: str) -> float:
    if _NUMBER.fullmatch(value) is None:
        raise _FieldError(field, value)
    return float(value)


def _course(value: str) -> float:
    course = _decimal("course", value)
    if course > 360:
        raise _FieldError("course", value)
    return course % 360


def _coordinate(field: str, value: str, hemisphere: str, *, degree_digits: int) -> float:
    """Read ``ddmm.mmmm`` (lat) or ``dddmm.mmmm`` (lon) with its hemisphere letter."""
    positive, negative = ("N", "S") if field == "lat" else ("E", "W")
    limit = 90 if field == "lat" else 180
    head = value.split(".")[0]
    if (
        _NUMBER.fullmatch(value) is None
        or len(head) != degree_digits + 2
        or hemisphere not in (positive, negative)
    ):
        raise _FieldError(field, f"{value},{hemisphere}")
    degrees = int(head[:degree_digits])
    minutes = float(value[degree_digits:])
    if minutes >= 60 or degrees + minutes / 60 > limit:
        raise _FieldError(field, f"{value},{hemisphere}")
    decimal = degrees + minutes / 60
    return -decimal if hemisphere == negative else decimal


def _time_of_day(value: str) -> time | None:
    if not value:
        return None
    match = _TIME.fullmatch(value)
    if match is None:
        raise _FieldError("time", value)
    hours, minutes, seconds, fraction = match.groups()
    micro = int((fraction or "").ljust(6, "0"))
    try:
        return time(int(hours), int(minutes), int(seconds), micro, tzinfo=UTC)
    except ValueError:
        raise _FieldError("time", value) from None


def _date(value: str) -> date | None:
    if not value:
        return None
    match = _DATE.fullmatch(value)
    if match is None:
        raise _FieldError("date", value)
    day, month, short_year = (int(part) for part in match.groups())
    year = 2000 + short_year if short_year < 80 else 1900 + short_year
    try:
        return date(year, month, day)
    except ValueError:
        raise _FieldError("date", value) from None


def parse_lines(lines: Iterable[str], *, utc_date: date | None = None
                ) -> Iterator[Fix | Ignored | Rejected]:
    """Parse a log line by line, dating GGA, GNS and GLL fixes by the RMCs before them.

    Parameters
    ----------
    lines : iterable of str
        Lines as read from a capture file or feed. Blank lines and lines starting with
        ``#`` (capture headers) are skipped.
    utc_date : datetime.date, optional
        Date for undated sentences that come before any valid RMC (a receiver sending GGA
        only); without it their ``at`` is None.

    Yields
    ------
    Fix, Ignored or Rejected
        One per line read, in input order. An undated fix takes the date of the last valid
        RMC before it (see the module docstring); before any, ``utc_date``.
    """
    last_rmc_at: datetime | None = None
    for line in lines:
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        day = last_rmc_at.date() if last_rmc_at is not None else utc_date
        result = parse_sentence(line, utc_date=day)
        if isinstance(result, Fix):
            if result.kind == "RMC" and result.at is not None:
                last_rmc_at = result.at
            elif (
                result.at is not None
                and last_rmc_at is not None
                and result.at < last_rmc_at - timedelta(hours=12)
            ):
                result = replace(result, at=result.at + timedelta(days=1))
        yield result


def parse_log(lines: Iterable[str], *, utc_date: date | None = None
              ) -> tuple[list[Fix], list[Rejected], Counter[str]]:
    """Parse a log of NMEA lines into one fix per position sentence, and the rejections.

    Sentences without a position are left out (:func:`dispatch.nmea_epochs.read_log`
    counts them, and joins the sentences of one epoch into one fix).

    Parameters
    ----------
    lines : iterable of str
        As :func:`parse_lines`.
    utc_date : datetime.date, optional
        As :func:`parse_lines`.

    Returns
    -------
    fixes : list of Fix
        In input order, one per position sentence.
    rejected : list of Rejected
        In input order.
    reasons : Counter of str
        Number of rejections per reason.
    """
    fixes: list[Fix] = []
    rejected: list[Rejected] = []
    for result in parse_lines(lines, utc_date=utc_date):
        if isinstance(result, Fix):
            fixes.append(result)
        elif isinstance(result, Rejected):
            rejected.append(result)
    return fixes, rejected, Counter(reject.reason for reject in rejected)
