"""One inbound MQTT message read: its identity, and what it says; pure.

:func:`message_identity` names a message before anything else is done with it (the
journal and the database suppress repeats by it); :func:`read_message` reads it into an
:class:`Inbound`, or raises :class:`TerminalMessageError` with the reason it is refused.

Four families of topics are read:

- the terminals' scheme, ``gridpatrol/units/<radio_id>/<kind>`` (:mod:`dispatch.terminals`);
- trunk-recorder's MQTT status plugin, under the configured prefixes (its unit messages
  ``…/<system>/<kind>`` and status messages ``…/<kind>``), read by
  :func:`dispatch.radio.parse_mqtt_status`;
- trunk-recorder call files taken from the call folder, on
  :data:`dispatch.call_files.CALL_FILE_TOPIC` (:mod:`dispatch.call_files`);
- Cursor-on-Target events of TAK users, on :data:`dispatch.cot_in.COT_TOPIC`
  (:mod:`dispatch.cot_in`).

The last two are never published on a broker: the inputs of ``gridpatrol ingest`` journal
them under those topics.

Decisions
---------
- MQTT carries no message id. A terminal's own ``id`` makes the identity (radio, kind,
  id), a call file's its call (system, talkgroup, start, frequency), a CoT event its uid,
  type and time; otherwise it is the SHA-256 of topic and payload, which hold the radio
  ID and the message's own time: a broker's redelivery, a terminal's retry and a
  replayed capture are all recognised, and two messages differing in any byte are two
  messages.
- A trunk-recorder ``location`` message is a P25 location registration: the stock plugin
  sends no coordinates. When the body carries them (``lat``/``lon`` or
  ``latitude``/``longitude``, as gateways decoding LRRP or vendor GPS add them) it is a
  position; without them it only says the radio is on the air.
- NMEA published on ``…/nmea`` is read as :func:`dispatch.nmea_epochs.read_log` reads a
  posted log: one position per receiver epoch, GGA-only epochs dated with the day the
  message was received (UTC). Its sentences without a position (GSV, GSA, TXT, VTG,
  proprietary) are counted in :attr:`Inbound.ignored_sentences`, apart from the rejected
  lines, also when the message itself is refused (:class:`~dispatch.errors.NmeaMessageError`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from dispatch.call_files import CALL_FILE_TOPIC, CallFile, call_identity, read_call_file
from dispatch.cot_in import COT_TOPIC, callsign_radio_id, peek_cot, read_cot, tak_radio_id
from dispatch.errors import (
    NmeaMessageError,
    RadioFormatError,
    TerminalMessageError,
    UnsupportedMessageType,
)
from dispatch.nmea import Rejected
from dispatch.nmea_epochs import read_log
from dispatch.radio.calls import RadioEvent, parse_mqtt_status
from dispatch.terminals import (
    FUTURE_TOLERANCE,
    AckReport,
    PositionReport,
    ReceiptReport,
    StatusReport,
    TextReport,
    decode_object,
    decode_text,
    parse_topic,
    read_ack,
    read_coordinates,
    read_position,
    read_receipt,
    read_status,
    read_text,
)

TRUNK_RECORDER: Final = "trunk-recorder"
TERMINAL: Final = "terminal"
TAK: Final = "tak"
MAX_PAYLOAD: Final = 256 * 1024
"""Largest payload read, in bytes; a larger one is refused as ``too_large``."""


@dataclass(frozen=True)
class Inbound:
    """What one message says.

    Attributes
    ----------
    source : {"terminal", "trunk-recorder", "tak"}
    kind : str
        ``position``, ``nmea``, ``status``, ``ack``, ``text``, ``receipt``; or
        trunk-recorder's type.
    radio_id : str or None
        The radio it is about (None for trunk-recorder's system-wide messages).
    at : datetime
        The message's own time (aware UTC), else when it was received.
    positions : tuple of PositionReport
        Positions it carries (one, several for NMEA, none for most kinds).
    status, ack, text, receipt : report or None
        The report of a ``status``, ``ack``, ``text`` or ``receipt`` message.
    event : RadioEvent or None
        A trunk-recorder message.
    rejected : tuple of Rejected
        NMEA lines kept aside (bad checksum, no fix, a time in the future).
    ignored_sentences : int
        NMEA sentences without a position (GSV, GSA, TXT, VTG, proprietary): sound, not
        rejected, counted apart.
    alias : str
        The radio's alias as the message names it (trunk-recorder's ``unit_alpha_tag``).
    call_file : CallFile or None
        A trunk-recorder call file dropped into the call folder (``kind`` ``call_file``).
    alternates : tuple of str
        Other radio IDs that may map the sender when ``radio_id`` maps no unit (a TAK
        user's callsign).
    """

    source: str
    kind: str
    radio_id: str | None
    at: datetime
    positions: tuple[PositionReport, ...] = ()
    status: StatusReport | None = None
    ack: AckReport | None = None
    text: TextReport | None = None
    receipt: ReceiptReport | None = None
    event: RadioEvent | None = field(default=None, repr=False)
    rejected: tuple[Rejected, ...] = ()
    alias: str = ""
    call_file: CallFile | None = field(default=None, repr=False)
    alternates: tuple[str, ...] = ()
    ignored_sentences: int = 0

    @property
    def radio_ids(self) -> tuple[str, ...]:
        """Every radio the message speaks of.

        Its own (and its alternates), or a call's transmitting radios.
        """
        if self.call_file is not None:
            return tuple(dict.fromkeys(s.radio_id for s in self.call_file.call.sources))
        return ((self.radio_id,) if self.radio_id is not None else ()) + self.alternates


def message_identity(topic: str, payload: bytes) -> str:
    """Return the identity of a message (64 hex digits).

    Parameters
    ----------
    topic : str
        The MQTT topic.
    payload : bytes
        The payload as received.

    Returns
    -------
    str
        SHA-256 of (radio ID, kind, the terminal's ``id``) when a terminal message carries
        an ``id``; of the call's identity for a readable call file
        (:func:`dispatch.call_files.call_identity`); else of the topic and the payload.
    """
    digest = hashlib.sha256()
    if topic == CALL_FILE_TOPIC:
        try:
            digest.update(b"call\0" + call_identity(read_call_file(payload).call).encode())
            return digest.hexdigest()
        except TerminalMessageError:
            pass  # an unreadable file is known by its name and bytes
    if topic == COT_TOPIC:
        name = peek_cot(payload)
        if name.uid and name.time:  # a TAK server's relay adds detail, not another event
            digest.update(f"cot\0{name.uid}\0{name.type}\0{name.time}".encode())
            return digest.hexdigest()
    own = _own_id(topic, payload)
    if own is not None:
        digest.update(b"id\0" + "\0".join(own).encode())
    else:
        digest.update(b"msg\0" + topic.encode("utf-8", "surrogateescape") + b"\0" + payload)
    return digest.hexdigest()


def _own_id(topic: str, payload: bytes) -> tuple[str, str, str] | None:
    if b'"id"' not in payload:
        return None
    try:
        where = parse_topic(topic)
        data = json.loads(payload) if where is not None else None
    except (ValueError, RecursionError):
        return None
    if where is None or not isinstance(data, dict):
        return None
    raw = data.get("id")
    if isinstance(raw, bool) or not isinstance(raw, int | str) or not str(raw).strip():
        return None
    return where.radio_id, where.kind, str(raw).strip()[:64]


def is_trunk_recorder_topic(topic: str, prefixes: Sequence[str]) -> bool:
    """Tell whether ``topic`` lies under one of trunk-recorder's topic ``prefixes``."""
    return any(topic == p or topic.startswith(p.rstrip("/") + "/") for p in prefixes)


def read_message(topic: str, payload: bytes, *, received_at: datetime,
                 trunk_prefixes: Sequence[str]) -> Inbound:
    """Read one message.

    Parameters
    ----------
    topic : str
        The MQTT topic.
    payload : bytes
        The payload.
    received_at : datetime, keyword-only
        When it reached the journal (aware).
    trunk_prefixes : sequence of str, keyword-only
        Topic prefixes trunk-recorder publishes under (``"trunk-recorder"``).

    Returns
    -------
    Inbound

    Raises
    ------
    TerminalMessageError
        With the reason it is refused: ``unknown_topic``, ``too_large``, ``not_json``,
        ``invalid_field``, ``unsupported_type``, ``no_fix``, ``future_time``, …; an
        NMEA message none of whose sentences gave a position raises its subclass
        :class:`~dispatch.errors.NmeaMessageError` (``nmea_no_fix``, ``nmea_bad_checksum``,
        …), which counts the sentences without a position it held.
    """
    if len(payload) > MAX_PAYLOAD:
        raise TerminalMessageError("payload", f"larger than {MAX_PAYLOAD} bytes",
                                   reason="too_large")
    if topic == CALL_FILE_TOPIC:
        return _read_call_file(payload, received_at)
    if topic == COT_TOPIC:
        return _read_cot(payload, received_at)
    where = parse_topic(topic)
    if where is not None:
        return _read_terminal(where.radio_id, where.kind, payload, received_at)
    if is_trunk_recorder_topic(topic, trunk_prefixes):
        return _read_trunk_recorder(topic, payload, received_at)
    raise TerminalMessageError("topic", "neither a terminal nor a trunk-recorder topic",
                               reason="unknown_topic")


def _read_terminal(radio_id: str, kind: str, payload: bytes, received_at: datetime) -> Inbound:
    if kind == "position":
        report = read_position(payload, received_at=received_at)
        return Inbound(TERMINAL, kind, radio_id, report.at, positions=(report,))
    if kind == "status":
        status = read_status(payload, received_at=received_at)
        return Inbound(TERMINAL, kind, radio_id, status.at, status=status)
    if kind == "ack":
        ack = read_ack(payload, received_at=received_at)
        return Inbound(TERMINAL, kind, radio_id, ack.at, ack=ack)
    if kind == "text":
        text = read_text(payload, received_at=received_at)
        return Inbound(TERMINAL, kind, radio_id, text.at, text=text)
    if kind == "receipt":
        receipt = read_receipt(payload, received_at=received_at)
        return Inbound(TERMINAL, kind, radio_id, receipt.at, receipt=receipt)
    return _read_nmea(radio_id, payload, received_at)


def _read_nmea(radio_id: str, payload: bytes, received_at: datetime) -> Inbound:
    lines = decode_text(payload).splitlines()
    log = read_log(lines, utc_date=received_at.date())
    ignored = sum(log.ignored.values())
    positions, rejected = [], list(log.rejected)
    for fix in log.fixes:
        if fix.at is None or fix.at > received_at + FUTURE_TOLERANCE:
            rejected.append(Rejected(line=f"{fix.talker}{fix.kind} {fix.lon},{fix.lat}",
                                     reason="time in the future"))
            continue
        positions.append(PositionReport(fix.lon, fix.lat, fix.at, fix.speed_ms,
                                        fix.course_deg))
    if not positions and rejected:
        first = rejected[0]
        raise NmeaMessageError("payload", f"{first.reason}: {first.line[:200]}",
                               reason="nmea_" + first.reason.replace(" ", "_"),
                               ignored_sentences=ignored)
    at = max((p.at for p in positions), default=received_at)
    return Inbound(TERMINAL, "nmea", radio_id, at, positions=tuple(positions),
                   rejected=tuple(rejected), ignored_sentences=ignored)


def _read_trunk_recorder(topic: str, payload: bytes, received_at: datetime) -> Inbound:
    data = decode_object(payload)
    try:
        event = parse_mqtt_status(topic, data)
    except UnsupportedMessageType as exc:
        raise TerminalMessageError(exc.field, str(exc), reason="unsupported_type") from None
    except RadioFormatError as exc:
        raise TerminalMessageError(exc.field, str(exc)) from None
    at = event.at or received_at
    if at > received_at + FUTURE_TOLERANCE:
        raise TerminalMessageError("timestamp", f"{at.isoformat()} lies after the time "
                                   "received", reason="future_time")
    positions: tuple[PositionReport, ...] = ()
    if event.kind == "location" and event.radio_id is not None:
        place = location_coordinates(data.get("location"))
        if place is not None:
            positions = (PositionReport(place[0], place[1], at),)
    return Inbound(TRUNK_RECORDER, event.kind, event.radio_id, at, positions=positions,
                   event=event, alias=event.radio_tag)


def _read_call_file(payload: bytes, received_at: datetime) -> Inbound:
    read = read_call_file(payload)
    if read.call.start > received_at + FUTURE_TOLERANCE:
        raise TerminalMessageError("start_time", f"{read.call.start.isoformat()} lies after "
                                   "the time received", reason="future_time")
    return Inbound(TRUNK_RECORDER, "call_file", None, read.call.start, call_file=read)


def _read_cot(payload: bytes, received_at: datetime) -> Inbound:
    report = read_cot(payload, received_at=received_at)
    alias = (f"{report.callsign} ({report.uid})" if report.callsign else report.uid)[:64]
    alternate = callsign_radio_id(report.callsign)
    return Inbound(TAK, "cot", tak_radio_id(report.uid), report.at, positions=(
        PositionReport(report.lon, report.lat, report.at, report.speed_mps,
                       report.course_deg),), alias=alias,
        alternates=(alternate,) if alternate else ())


def location_coordinates(body: object) -> tuple[float, float] | None:
    """``(lon, lat)`` of a trunk-recorder ``location`` body that carries them, else None.

    Parameters
    ----------
    body : object
        The message's ``location`` object.

    Returns
    -------
    tuple of float or None
        WGS-84 degrees from ``lon``/``lat`` or ``longitude``/``latitude``.

    Raises
    ------
    TerminalMessageError
        When coordinates are present but out of range, not numbers or (0, 0).
    """
    if not isinstance(body, Mapping):
        return None
    lon_key = "lon" if "lon" in body else "longitude" if "longitude" in body else None
    lat_key = "lat" if "lat" in body else "latitude" if "latitude" in body else None
    if lon_key is None and lat_key is None:
        return None
    return read_coordinates(body, lon_key=lon_key or "lon", lat_key=lat_key or "lat")
