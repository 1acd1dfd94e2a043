"""Cursor-on-Target events from TAK users, read as positions; pure.

A TAK client (ATAK, iTAK, WinTAK) reports its user's position as a CoT event — over a
TCP stream (events back to back, no framing: :class:`CotStream` cuts them), a UDP
datagram, or relayed by a TAK Server. :func:`read_cot` reads one with ``defusedxml`` (no
entities, no DTDs, no external references) into a :class:`CotPosition`, or refuses it
with a reason; :func:`peek_cot` names an event cheaply, before it is journaled.

Decisions
---------
- **Which events are positions.** A friendly atom (``a-f-…``) reported by a machine
  (``how`` ``m-…``: GPS, INS, relayed) or entered by its user as their own position
  (``h-e``): that is a TAK user's self report. Markers a user drops (``h-g-i-g-o``),
  hostile or unknown points, chat (``b-t-f``), drawings and the rest are refused as
  ``unsupported_type``, counted, not applied (gridpatrol takes TAK users' positions, not
  their map annotations).
- **Who.** A TAK user is named by the event's ``uid`` (stable per device), mapped to a
  unit as any radio: its radio ID is ``tak-<uid>`` (:func:`tak_radio_id`; a uid that
  cannot be one, such as a 36-character UUID, by a digest of it), so an unknown TAK user
  is listed for mapping like an unknown radio, with the callsign as its alias. A radio
  assignment of ``tak-callsign-<CALLSIGN>`` (:func:`callsign_radio_id`) maps whoever
  uses that callsign instead (devices swapped at shift change).
- **When.** The position's time is the event's ``time``; an event whose ``stale`` has
  passed is refused (``stale``), as is one dated more than two minutes ahead.
- **Limits.** An event larger than :data:`MAX_EVENT` bytes is refused (``too_large``);
  TAK's binary protocol (version 1, a ``0xbf`` magic byte) is refused
  (``unsupported_format``): clients must speak XML (protocol version 0, the default of
  TAK clients on plain TCP and UDP inputs).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from dispatch.errors import TerminalMessageError

COT_TOPIC: Final = "gridpatrol/tak/cot"
"""The topic a CoT event from a TAK user is journaled under (never published)."""

MAX_EVENT: Final = 64 * 1024
FUTURE_TOLERANCE: Final = timedelta(minutes=2)
_RADIO_ID = re.compile(r"[A-Za-z0-9_.\-]{1,32}")
_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-]+")
_START = re.compile(rb"<event\b[^>]*>", re.DOTALL)
_ATTRIBUTE = re.compile(rb"""\b(uid|type|how|time)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_END = b"</event>"


@dataclass(frozen=True)
class CotPosition:
    """A TAK user's position: WGS-84 degrees, m/s, degrees from north, aware UTC."""

    uid: str
    callsign: str
    lon: float
    lat: float
    at: datetime
    stale: datetime
    speed_mps: float | None = None
    course_deg: float | None = None


@dataclass(frozen=True)
class CotName:
    """An event's uid, type, how and time as its start tag says (empty when absent)."""

    uid: str
    type: str
    how: str
    time: str


def peek_cot(event: bytes) -> CotName:
    """Name an event from its start tag, without parsing it.

    Parameters
    ----------
    event : bytes
        One CoT event (its XML declaration allowed).

    Returns
    -------
    CotName
    """
    start = _START.search(event[:4096])
    found = {m.group(1).decode(): (m.group(2) or m.group(3) or b"").decode("utf-8", "replace")
             for m in _ATTRIBUTE.finditer(start.group(0))} if start else {}
    return CotName(found.get("uid", ""), found.get("type", ""), found.get("how", ""),
                   found.get("time", ""))


def read_cot(event: bytes, *, received_at: datetime) -> CotPosition:
    """Read a TAK user's position report.

    Parameters
    ----------
    event : bytes
        One CoT event, XML.
    received_at : datetime, keyword-only
        When it was received (aware).

    Returns
    -------
    CotPosition

    Raises
    ------
    TerminalMessageError
        ``too_large``, ``unsupported_format`` (TAK's binary protocol), ``not_xml`` (not
        well-formed, or entities/DTDs refused), ``invalid_field`` naming the attribute
        (``event.uid``, ``point.lat``, ``event.time`` …), ``no_fix`` for (0, 0),
        ``unsupported_type`` for anything but a friendly position report, ``stale``,
        ``future_time``.
    """
    if len(event) > MAX_EVENT:
        raise TerminalMessageError("event", f"larger than {MAX_EVENT} bytes",
                                   reason="too_large")
    if event[:1] == b"\xbf":
        raise TerminalMessageError("event", "TAK protocol version 1 (binary) is not read; "
                                   "send XML (version 0)", reason="unsupported_format")
    try:
        root = fromstring(event)
    except (ParseError, DefusedXmlException, ValueError) as exc:
        raise TerminalMessageError("event", f"not well-formed CoT XML "
                                   f"({type(exc).__name__})", reason="not_xml") from None
    if root.tag != "event":
        raise TerminalMessageError("event", f"expected <event>, got <{root.tag[:40]}>",
                                   reason="not_xml")
    uid = _attribute(root, "event", "uid")
    kind = _attribute(root, "event", "type")
    how = root.get("how", "")
    if not is_position_report(kind, how):
        raise TerminalMessageError("event.type", f"{kind} (how {how or 'absent'}) is not a "
                                   "friendly position report", reason="unsupported_type")
    at = _time(root, "time")
    stale = _time(root, "stale")
    if stale < received_at:
        raise TerminalMessageError("event.stale", f"{stale.isoformat()} has passed",
                                   reason="stale")
    if at > received_at + FUTURE_TOLERANCE:
        raise TerminalMessageError("event.time", f"{at.isoformat()} lies after the time "
                                   "received", reason="future_time")
    point = root.find("point")
    if point is None:
        raise TerminalMessageError("point", "missing")
    lat = _number(point, "lat", -90.0, 90.0)
    lon = _number(point, "lon", -180.0, 180.0)
    if lat == 0.0 and lon == 0.0:
        raise TerminalMessageError("point", "(0, 0): no fix", reason="no_fix")
    detail = root.find("detail")
    contact = detail.find("contact") if detail is not None else None
    track = detail.find("track") if detail is not None else None
    return CotPosition(
        uid=uid, callsign=(contact.get("callsign", "") if contact is not None else "")[:64],
        lon=lon, lat=lat, at=at, stale=stale,
        speed_mps=_optional(track, "speed", 0.0, 150.0),
        course_deg=_optional(track, "course", 0.0, 360.0))


def is_position_report(kind: str, how: str) -> bool:
    """Tell whether an event of ``kind`` reported ``how`` is a TAK user's own position."""
    return kind.startswith("a-f-") and (how.startswith("m-") or how == "h-e")


def tak_radio_id(uid: str) -> str:
    """Return the radio ID a TAK user (``uid``) is mapped by.

    Parameters
    ----------
    uid : str
        The CoT event's ``uid``.

    Returns
    -------
    str
        ``tak-<uid>`` when that is a radio ID (letters, digits, ``-``, ``_``, ``.``; at
        most 32 characters), else ``tak-`` and 28 hex digits of its SHA-256.
    """
    candidate = f"tak-{uid}"
    if _RADIO_ID.fullmatch(candidate):
        return candidate
    return "tak-" + hashlib.sha256(uid.encode()).hexdigest()[:28]


def callsign_radio_id(callsign: str) -> str | None:
    """Return the radio ID that maps a TAK callsign (``tak-callsign-<CALLSIGN>``).

    Parameters
    ----------
    callsign : str

    Returns
    -------
    str or None
        Upper case, anything but letters, digits, ``-``, ``_`` and ``.`` made ``_``; None
        for an empty callsign or one too long for a radio ID.
    """
    name = _UNSAFE.sub("_", callsign.strip()).upper()
    candidate = f"tak-callsign-{name}"
    return candidate if name and _RADIO_ID.fullmatch(candidate) else None


class CotStream:
    """Cuts a TCP stream of CoT events into events.

    Events come back to back, XML declarations between them allowed; at most
    :data:`MAX_EVENT` bytes of an unfinished one are held.
    """

    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, data: bytes) -> list[bytes]:
        """Add ``data``; return the events it completes.

        Raises
        ------
        TerminalMessageError
            ``too_large`` when an event grows past :data:`MAX_EVENT` bytes without
            ending, ``unsupported_format`` for TAK's binary protocol.
        """
        if not self._buffer and data[:1] == b"\xbf":
            raise TerminalMessageError("stream", "TAK protocol version 1 (binary) is not "
                                       "read", reason="unsupported_format")
        self._buffer += data
        events = []
        while True:
            end = self._buffer.find(_END)
            if end < 0:
                break
            cut = end + len(_END)
            piece = self._buffer[:cut]
            self._buffer = self._buffer[cut:]
            begin = piece.find(b"<event")
            if begin >= 0:
                events.append(piece[begin:])
        if len(self._buffer) > MAX_EVENT:
            raise TerminalMessageError("stream", f"an event longer than {MAX_EVENT} bytes",
                                       reason="too_large")
        return events


def _attribute(element: Element, where: str, name: str) -> str:
    value = element.get(name)
    if not value or not value.strip():
        raise TerminalMessageError(f"{where}.{name}", "missing")
    return value.strip()


def _time(element: Element, name: str) -> datetime:
    raw = _attribute(element, "event", name)
    try:
        at = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise TerminalMessageError(f"event.{name}", f"not an ISO 8601 time: {raw[:40]!r}"
                                   ) from None
    if at.tzinfo is None:
        raise TerminalMessageError(f"event.{name}", "a time without a zone")
    return at.astimezone(UTC)


def _number(element: Element, name: str, low: float, high: float) -> float:
    raw = element.get(name)
    try:
        value = float(raw) if raw is not None else None
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise TerminalMessageError(f"point.{name}", f"expected a number from {low:g} to "
                                   f"{high:g}, got {raw!r}"[:120])
    return value


def _optional(element: Element | None, name: str, low: float, high: float) -> float | None:
    raw = element.get(name) if element is not None else None
    try:
        value = float(raw) if raw is not None else None
    except ValueError:
        return None
    if value is None or not low <= value <= high:
        return None  # TAK sends -1 or 9999999 for "unknown"
    return value % 360.0 if high == 360.0 else value
