"""Cursor-on-Target (CoT) events for TAK clients: units and alerts, typed, self-expiring.

Pure. TAK clients are ATAK, WinTAK, iTAK and TAK Server; they read these events over TCP
or UDP.

A CoT event says what (``type``), who (``uid``), where (``point``) and for how long
(``time``, ``start``, ``stale``)::

    <event version="2.0" uid="gridpatrol.unit.12" type="a-f-G-U-U-L-C" how="m-g"
           time="…Z" start="…Z" stale="…Z">
      <point lat="51.51" lon="-0.09" hae="9999999.0" ce="9999999.0" le="9999999.0"/>
      <detail><contact callsign="P-12"/><track speed="8.0" course="270.0"/>
              <remarks>Patrol car · En route · alert #41</remarks></detail>
    </event>

Decisions
---------
- **Types**, from the CoT type tree (MITRE's CoTtypes.xml; MIL-STD-2525 below ``a-``):
  a unit is ``a-f-G-U-U-L-C`` — friendly, ground, unit, *civilian law enforcement* — more
  exact for a police patrol than the generic ``a-f-G-U-C`` (combat) of a TAK user's own
  position, and drawn by TAK as the 2525 law-enforcement symbol. An alert is a point of
  the incident: ``a-h-G`` (hostile ground, a red diamond) for a red alert, where a threat
  is at large (a wanted person seen, a robbery in progress), and ``a-u-G`` (unknown
  ground, yellow) for orange and yellow ones, as CAD-to-TAK gateways send calls for
  service. Not ``b-r-f-h-c`` (a CASEVAC request: TAK clients open their medevac form for
  it), not ``b-a-o-tbl`` (a TAK user's own emergency beacon), not ``b-m-p-s-p-i`` (a
  sensor's point of interest).
- **how**: ``m-g`` (machine, GPS) for a unit's last fix, ``h-e`` (human, estimated) for an
  alert placed by a dispatcher.
- **Times**: ``time`` is when the event is made, ``start`` when what it says became true
  (the unit's fix, the alert's raising), ``stale`` when a client should drop it unless a
  newer event came: events are sent again well before (see ``app.ingest.tak``).
- **Accuracy**: gridpatrol does not know a fix's error, so ``ce``, ``le`` and ``hae`` carry
  CoT's "unknown", 9999999.0, rather than a made-up figure.
- **uid** is ``<prefix>.unit.<id>`` / ``<prefix>.alert.<id>``: stable, so each event
  replaces the last on every client; the prefix lets ingest drop its own events echoed
  back by a TAK server.
- A closed alert is taken off the clients' maps with a ``t-x-d-d`` delete event.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

UNIT_TYPE: Final = "a-f-G-U-U-L-C"
ALERT_TYPES: Final = {"red": "a-h-G", "orange": "a-u-G", "yellow": "a-u-G"}
DELETE_TYPE: Final = "t-x-d-d"
UNKNOWN: Final = "9999999.0"
"""CoT's value for an unknown error or height."""
UID_PREFIX: Final = "gridpatrol"
DECLARATION: Final = b'<?xml version="1.0" encoding="UTF-8"?>\n'
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class CotUnit:
    """What a unit's event says: WGS-84 degrees, m/s, degrees from north, aware UTC."""

    unit_id: int
    callsign: str
    lon: float
    lat: float
    fix_at: datetime
    remarks: str = ""
    speed_mps: float | None = None
    course_deg: float | None = None


@dataclass(frozen=True)
class CotAlert:
    """What an alert's event says: WGS-84 degrees, aware UTC."""

    alert_id: int
    level: str
    title: str
    lon: float
    lat: float
    raised_at: datetime
    remarks: str = ""


def cot_time(at: datetime) -> str:
    """Return a CoT time: UTC, ISO 8601 with milliseconds and ``Z``.

    Parameters
    ----------
    at : datetime
        Aware.

    Returns
    -------
    str
        E.g. ``"2026-05-01T08:00:00.000Z"``.
    """
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def unit_uid(unit_id: int, *, prefix: str = UID_PREFIX) -> str:
    """Return the uid of a unit's events."""
    return f"{prefix}.unit.{unit_id}"


def alert_uid(alert_id: int, *, prefix: str = UID_PREFIX) -> str:
    """Return the uid of an alert's events."""
    return f"{prefix}.alert.{alert_id}"


def unit_event(unit: CotUnit, *, now: datetime, stale_s: float,
               prefix: str = UID_PREFIX) -> bytes:
    """Return the CoT event of a unit's last position.

    Parameters
    ----------
    unit : CotUnit
    now : datetime, keyword-only
        When the event is made (aware).
    stale_s : float, keyword-only
        Seconds after ``now`` at which clients drop it.
    prefix : str, keyword-only
        Of the uid.

    Returns
    -------
    bytes
        UTF-8 XML with its declaration.
    """
    event = _event(unit_uid(unit.unit_id, prefix=prefix), UNIT_TYPE, "m-g", now=now,
                   start=min(unit.fix_at, now), stale_s=stale_s, lon=unit.lon, lat=unit.lat)
    detail = ET.SubElement(event, "detail")
    ET.SubElement(detail, "contact", callsign=xml_text(unit.callsign))
    if unit.speed_mps is not None or unit.course_deg is not None:
        ET.SubElement(detail, "track", speed=f"{unit.speed_mps or 0.0:.1f}",
                      course=f"{unit.course_deg or 0.0:.1f}")
    if unit.remarks:
        ET.SubElement(detail, "remarks").text = xml_text(unit.remarks)
    return _encode(event)


def alert_event(alert: CotAlert, *, now: datetime, stale_s: float,
                prefix: str = UID_PREFIX) -> bytes:
    """Return the CoT event of an open alert (see the module's decisions for its type).

    Parameters
    ----------
    alert : CotAlert
    now : datetime, keyword-only
        When the event is made (aware).
    stale_s : float, keyword-only
        Seconds after ``now`` at which clients drop it.
    prefix : str, keyword-only
        Of the uid.

    Returns
    -------
    bytes
        UTF-8 XML with its declaration.
    """
    event = _event(alert_uid(alert.alert_id, prefix=prefix), alert_type(alert.level), "h-e",
                   now=now, start=min(alert.raised_at, now), stale_s=stale_s, lon=alert.lon,
                   lat=alert.lat)
    detail = ET.SubElement(event, "detail")
    ET.SubElement(detail, "contact", callsign=xml_text(alert.title))
    if alert.remarks:
        ET.SubElement(detail, "remarks").text = xml_text(alert.remarks)
    return _encode(event)


def delete_event(uid: str, of_type: str, *, now: datetime, lon: float = 0.0,
                 lat: float = 0.0) -> bytes:
    """Return a ``t-x-d-d`` event that takes ``uid`` off TAK clients' maps.

    Parameters
    ----------
    uid : str
        The event to delete.
    of_type : str
        Its type.
    now : datetime, keyword-only
        Aware.
    lon, lat : float, keyword-only
        Where it was (clients ignore it; CoT requires a point).

    Returns
    -------
    bytes
        UTF-8 XML with its declaration.
    """
    event = _event(f"{uid}.delete.{int(now.timestamp() * 1000)}", DELETE_TYPE, "h-g-i-g-o",
                   now=now, start=now, stale_s=60.0, lon=lon, lat=lat)
    detail = ET.SubElement(event, "detail")
    ET.SubElement(detail, "link", uid=uid, relation="none", type=of_type)
    ET.SubElement(detail, "__forcedelete")
    return _encode(event)


def xml_text(text: str) -> str:
    """Return ``text`` without the characters XML 1.0 cannot hold (control characters)."""
    return _NOT_XML.sub("", text)


def alert_type(level: str) -> str:
    """Return the CoT type of an alert of ``level`` (``red``, ``orange``, ``yellow``)."""
    return ALERT_TYPES.get(level, "a-u-G")


def _event(uid: str, of_type: str, how: str, *, now: datetime, start: datetime,
           stale_s: float, lon: float, lat: float) -> ET.Element:
    event = ET.Element("event", version="2.0", uid=uid, type=of_type, how=how,
                       time=cot_time(now), start=cot_time(start),
                       stale=cot_time(now + timedelta(seconds=stale_s)))
    ET.SubElement(event, "point", lat=f"{lat:.7f}", lon=f"{lon:.7f}", hae=UNKNOWN,
                  ce=UNKNOWN, le=UNKNOWN)
    return event


def _encode(event: ET.Element) -> bytes:
    body: bytes = ET.tostring(event, encoding="utf-8", xml_declaration=False)
    return DECLARATION + body + b"\n"
