"""Applying journaled messages to PostgreSQL, a batch per transaction, in journal order.

For a batch: identities already recorded are duplicates and skipped; each message is
read (:func:`dispatch.inbound.read_message`); its radio is looked up as it stood at the
message's time (:class:`app.ingest.radios.RadioBook`); positions move units (history and
newest fix, :func:`app.dispatch.units.record_positions`), status codes go through the
code table and the status model (an illegal change is kept with why, not applied),
acknowledgements confirm orders; every message's identity and outcome is recorded in
``ingest_messages`` (its key keeps a message from being applied twice) and one audit row
sums the batch up. The caller commits, or rolls back and tries the same batch again.

Outcomes: ``applied``; ``duplicate`` (not recorded again); ``rejected`` (unreadable, with
the reason; position rejects also in ``position_rejects``, as NMEA posts'); ``unmapped``
(a radio nobody held then: the message is kept and the radio listed for mapping);
``illegal`` (a status change or acknowledgement the model refuses, with why);
``ignored`` (trunk-recorder traffic that changes nothing here: grants, affiliations,
system status; an NMEA message of sentences without a position only; counted, not
recorded).

Apart from the outcomes, the NMEA sentences without a position (GSV, GSA, TXT, VTG,
proprietary) are counted, one by one, as ``nmea_ignored``: routine, never an error, also
when the message they came in is refused for want of a fix.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeGuard

from sqlalchemy.orm import Session

from app import audit
from app.dispatch import alerts as alert_service
from app.dispatch.calls import log_call
from app.dispatch.radio import log_inbound
from app.dispatch.units import PositionIn, change_status, record_positions
from app.errors import Failure
from app.ingest.radios import RadioBook
from app.ingest.repository import messages
from app.ingest.repository.journal import Entry
from app.models import PositionReject, Unit
from app.orders import delivery
from dispatch.call_files import CALL_FILE_TOPIC, CallFile
from dispatch.cot_in import COT_TOPIC, peek_cot, tak_radio_id
from dispatch.errors import NmeaMessageError, TerminalMessageError
from dispatch.inbound import TAK, TRUNK_RECORDER, Inbound, read_message
from dispatch.radio import RadioFormatError, parse_ack
from dispatch.status import UnitStatus
from dispatch.status_codes import StatusCode, StatusCodeTable

logger = logging.getLogger(__name__)

ACTOR = "ingest:mqtt"
# trunk-recorder kinds that say something about one of our radios (others are ignored)
RADIO_EVENTS = frozenset({"location", "on", "off", "ackresp"})
KEPT_PAYLOAD = 4000  # characters of a payload kept with a message not applied


@dataclass
class BatchResult:
    """What one batch did (added to the service's counters after the commit)."""

    last_seq: int = 0
    parsed: int = 0
    applied: int = 0
    duplicates: int = 0
    unmapped: int = 0
    illegal: int = 0
    ignored: int = 0
    nmea_ignored: int = 0
    positions: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    received_at: list[float] = field(default_factory=list)


@dataclass
class _Outcome:
    outcome: str
    reason: str | None = None
    unit_id: int | None = None


class Applier:
    """Applies batches of journal entries (see the module docstring)."""

    def __init__(self, codes: StatusCodeTable, *, trunk_prefixes: Sequence[str],
                 actor: str = ACTOR) -> None:
        self.codes = codes
        self.trunk_prefixes = tuple(trunk_prefixes)
        self.actor = actor

    def apply(self, session: Session, entries: Sequence[Entry]) -> BatchResult:
        """Apply ``entries`` in the session's transaction (the caller commits)."""
        result = BatchResult(last_seq=entries[-1].seq if entries else 0)
        known = messages.known_identities(session, [e.identity for e in entries])
        seen: set[str] = set()
        fresh = []
        for entry in entries:
            if entry.identity in known or entry.identity in seen:
                result.duplicates += 1
            else:
                seen.add(entry.identity)
                fresh.append(entry)
        read = [(entry, self._read(entry)) for entry in fresh]
        book = RadioBook(session, [radio for _, m in read if self._resolves(m)
                                   for radio in m.radio_ids])
        units = self._lock_units(session, book, read)
        positions: dict[int, list[PositionIn]] = defaultdict(list)
        rows = []
        for entry, message in read:
            if isinstance(message, Inbound | NmeaMessageError):
                result.nmea_ignored += message.ignored_sentences
            if isinstance(message, TerminalMessageError):
                outcome = _Outcome("rejected", f"{message.reason}: {message}")
                if entry.topic.endswith(("/position", "/nmea")):
                    session.add(PositionReject(radio_id=_radio_of(entry.topic),
                                               line=_text(entry.payload)[:1000],
                                               reason=f"{message.reason}: {message}",
                                               actor=self.actor))
            else:
                result.parsed += 1
                outcome = self._apply_one(session, message, book, units, positions)
                for kept in message.rejected:
                    session.add(PositionReject(unit_id=outcome.unit_id,
                                               radio_id=message.radio_id,
                                               line=kept.line[:1000], reason=kept.reason,
                                               actor=self.actor))
            result.received_at.append(entry.received_at)
            if outcome.outcome == "ignored":
                result.ignored += 1
                continue
            if outcome.outcome == "applied":
                result.applied += 1
            elif outcome.outcome == "unmapped":
                result.unmapped += 1
            elif outcome.outcome == "illegal":
                result.illegal += 1
            elif outcome.outcome == "rejected":
                result.rejected[(outcome.reason or "rejected").split(":", 1)[0]] += 1
            rows.append(self._row(entry, message, outcome))
        for unit_id, fixes in positions.items():
            result.positions += record_positions(session, units[unit_id], fixes, source="mqtt")
        messages.add_outcomes(session, rows)
        if rows:
            audit.record(session, "ingest.apply", object_type="ingest", actor_name=self.actor,
                         details={"applied": result.applied, "positions": result.positions,
                                  "rejected": dict(result.rejected),
                                  "unmapped": result.unmapped, "illegal": result.illegal,
                                  "nmea_ignored": result.nmea_ignored,
                                  "units": sorted(positions)[:100]})
        return result

    # -- reading and resolving -------------------------------------------------------------
    def _read(self, entry: Entry) -> Inbound | TerminalMessageError:
        try:
            return read_message(entry.topic, entry.payload,
                                received_at=datetime.fromtimestamp(entry.received_at, UTC),
                                trunk_prefixes=self.trunk_prefixes)
        except TerminalMessageError as exc:
            return exc

    @staticmethod
    def _resolves(message: Inbound | TerminalMessageError) -> TypeGuard[Inbound]:
        """Whether the message is about radios we must find the units of."""
        return isinstance(message, Inbound) and bool(message.radio_ids) and (
            message.source != TRUNK_RECORDER or message.kind in RADIO_EVENTS
            or message.call_file is not None)

    def _lock_units(self, session: Session, book: RadioBook,
                    read: Sequence[tuple[Entry, Inbound | TerminalMessageError]]
                    ) -> dict[int, Unit]:
        """The units messages act on, locked (a call's speakers are only read)."""
        wanted = {unit_for(book, m) for _, m in read
                  if self._resolves(m) and m.radio_id and m.call_file is None}
        return messages.units_for_update(session, [u for u in wanted if u is not None])

    # -- one message -------------------------------------------------------------------------
    def _apply_one(self, session: Session, message: Inbound, book: RadioBook,
                   units: dict[int, Unit], positions: dict[int, list[PositionIn]]) -> _Outcome:
        if message.call_file is not None:
            return self._call(session, message.call_file, book)
        if message.source == TRUNK_RECORDER and message.kind not in RADIO_EVENTS:
            return _Outcome("ignored")
        if message.radio_id is None:
            return _Outcome("ignored")
        unit_id = unit_for(book, message)
        unit = units.get(unit_id) if unit_id is not None else None
        if unit is None:
            return _Outcome("unmapped", f"no unit held radio {message.radio_id} at "
                                        f"{message.at.isoformat()}")
        if message.positions:
            positions[unit.id].extend(PositionIn(p.lon, p.lat, p.at, p.speed_mps, p.course_deg)
                                      for p in message.positions)
            return _Outcome("applied", unit_id=unit.id)
        if message.kind == "nmea":  # only sentences without a position: nothing to do
            return _Outcome("ignored")
        try:
            return self._act(session, message, unit)
        except Failure as exc:
            return _Outcome("illegal", f"{exc.code}: {exc.message}", unit.id)

    def _act(self, session: Session, message: Inbound, unit: Unit) -> _Outcome:
        if message.status is not None:
            return self._status_code(session, message, unit, message.status.code)
        if message.receipt is not None:
            entry = delivery.mark_delivered(
                session, message.receipt.order_id, unit_id=unit.id, at=message.at,
                how=f"receipt from radio {message.radio_id}", actor=self.actor)
            return _Outcome("applied", unit_id=unit.id) if entry else _Outcome("ignored")
        if message.ack is not None:
            if message.ack.order_id is not None:
                return self._acknowledge_message(session, message, unit, message.ack.order_id,
                                                 message.ack.note)
            if message.ack.alert_id is not None:
                return self._acknowledge(session, message, unit, message.ack.alert_id,
                                         message.ack.note)
            return self._text(session, message, unit, message.ack.text)
        if message.text is not None:
            return self._text(session, message, unit, message.text.text)
        if message.kind == "ackresp":
            if unit.alert_id is None:
                return _Outcome("ignored")
            return self._acknowledge(session, message, unit, unit.alert_id, "ackresp")
        log_inbound(session, kind="radio", body=_radio_event_line(message), actor=self.actor,
                    unit_id=unit.id, alert_id=unit.alert_id, radio_id=message.radio_id,
                    at=message.at, payload={"kind": message.kind, "alias": message.alias})
        return _Outcome("applied", unit_id=unit.id)

    def _call(self, session: Session, dropped: CallFile, book: RadioBook) -> _Outcome:
        """A call file: in the radio log, and on the timelines of its speakers' alerts."""
        speakers = {}
        for source in dropped.call.sources:
            unit_id = book.unit_of(source.radio_id, source.at)
            if unit_id is not None:
                speakers.setdefault(source.radio_id, unit_id)
        entries = log_call(session, dropped.call, speakers=speakers, actor=self.actor,
                           audio=dropped.audio.as_json() if dropped.audio else None,
                           file=dropped.name)
        return _Outcome("applied", unit_id=entries[0].unit_id)

    def _text(self, session: Session, message: Inbound, unit: Unit, text: str) -> _Outcome:
        try:
            ack = parse_ack(text)
        except RadioFormatError:
            ack = None
        if ack is not None:
            return self._acknowledge(session, message, unit, ack.reference, ack.note)
        if self.codes.lookup(text) is not None:
            return self._status_code(session, message, unit, text)
        log_inbound(session, kind="text", body=text, actor=self.actor, unit_id=unit.id,
                    alert_id=unit.alert_id, radio_id=message.radio_id, at=message.at)
        return _Outcome("applied", unit_id=unit.id)

    def _status_code(self, session: Session, message: Inbound, unit: Unit,
                     sent: str) -> _Outcome:
        code = self.codes.lookup(sent)
        if code is None:
            log_inbound(session, kind="status", body=sent, actor=self.actor, unit_id=unit.id,
                        radio_id=message.radio_id, at=message.at,
                        payload={"applied": False, "why": "not in the status code table"})
            return _Outcome("rejected", f"unknown_status_code: {sent!r} is not in the status "
                                        "code table", unit.id)
        if code.action == "acknowledge":
            if unit.alert_id is None:
                return self._refused(session, message, unit, sent, code,
                                     f"unit {unit.callsign} has no order to acknowledge")
            return self._acknowledge(session, message, unit, unit.alert_id, sent)
        assert code.status is not None  # noqa: S101 (a status entry names its status)
        if code.status == UnitStatus.DISPATCHED:
            return self._refused(session, message, unit, sent, code,
                                 "only the dispatcher assigns a unit")
        previous = unit.status
        try:
            change_status(session, unit, code.status, actor=self.actor, source="radio",
                          reason=f"radio {message.radio_id}: {sent}", now=message.at)
        except Failure as exc:
            return self._refused(session, message, unit, sent, code, exc.message)
        log_inbound(session, kind="status", body=sent, actor=self.actor, unit_id=unit.id,
                    alert_id=unit.alert_id, radio_id=message.radio_id, at=message.at,
                    payload={"applied": True, "status": code.status.value,
                             "previous": previous, "meaning": code.meaning})
        return _Outcome("applied", unit_id=unit.id)

    def _refused(self, session: Session, message: Inbound, unit: Unit, sent: str,
                 code: StatusCode, why: str) -> _Outcome:
        log_inbound(session, kind="status", body=sent, actor=self.actor, unit_id=unit.id,
                    alert_id=unit.alert_id, radio_id=message.radio_id, at=message.at,
                    payload={"applied": False, "why": why, "meaning": code.meaning,
                             "status": code.status.value if code.status else code.action})
        logger.info("radio %s (%s): %r not applied: %s", message.radio_id, unit.callsign,
                    sent, why)
        return _Outcome("illegal", f"illegal_status: {why}", unit.id)

    def _acknowledge(self, session: Session, message: Inbound, unit: Unit, alert_id: int,
                     note: str) -> _Outcome:
        alert = alert_service.alert_of(session, alert_id)
        log_inbound(session, kind="ack", body=f"ACK {alert_id} {unit.callsign}"
                    + (f" {note}" if note else ""), actor=self.actor, unit_id=unit.id,
                    alert_id=alert.id, radio_id=message.radio_id, at=message.at,
                    payload={"note": note, "source": message.source})
        alert_service.acknowledge(session, alert, unit, actor=self.actor, source="radio",
                                  at=message.at, how=_how(message))
        return _Outcome("applied", unit_id=unit.id)

    def _acknowledge_message(self, session: Session, message: Inbound, unit: Unit,
                             order_id: int, note: str) -> _Outcome:
        entry = delivery.acknowledge_message(session, order_id, unit_id=unit.id,
                                             at=message.at, how=_how(message),
                                             actor=self.actor)
        log_inbound(session, kind="ack", body=f"ACK message {order_id} {unit.callsign}"
                    + (f" {note}" if note else ""), actor=self.actor, unit_id=unit.id,
                    alert_id=entry.alert_id, radio_id=message.radio_id, at=message.at,
                    payload={"note": note, "source": message.source, "message_id": order_id})
        if entry.kind == "dispatch_order" and entry.alert_id is not None \
                and unit.alert_id == entry.alert_id:
            alert_service.acknowledge(session, alert_service.alert_of(session, entry.alert_id),
                                      unit, actor=self.actor, source="radio", at=message.at,
                                      how=_how(message))
        return _Outcome("applied", unit_id=unit.id)

    def _row(self, entry: Entry, message: Inbound | TerminalMessageError,
             outcome: _Outcome) -> dict[str, Any]:
        inbound = message if isinstance(message, Inbound) else None
        kept = outcome.outcome != "applied"
        return {"identity": entry.identity,
                "source": inbound.source if inbound else _source_of(entry.topic),
                "kind": (inbound.kind if inbound else _kind_of(entry.topic))[:24],
                "topic": entry.topic[:1000],
                "radio_id": ((inbound.radio_id or "")[:32] or None) if inbound
                else _sender_of(entry),
                "alias": (inbound.alias[:64] or None) if inbound else None,
                "unit_id": outcome.unit_id, "at": inbound.at if inbound else None,
                "received_at": datetime.fromtimestamp(entry.received_at, UTC),
                "outcome": outcome.outcome, "reason": outcome.reason,
                "payload": _text(entry.payload)[:KEPT_PAYLOAD] if kept else None}


def unit_for(book: RadioBook, message: Inbound) -> int | None:
    """The unit holding the message's radio at its time, else one of its alternates."""
    for radio_id in message.radio_ids:
        unit_id = book.unit_of(radio_id, message.at)
        if unit_id is not None:
            return unit_id
    return None


def _how(message: Inbound) -> str:
    """How an acknowledgement came, for the message's delivery detail."""
    return f"{message.kind} from radio {message.radio_id} ({message.source})"


def _text(payload: bytes) -> str:
    return payload.decode("utf-8", "replace").replace("\x00", "\ufffd")


def _radio_of(topic: str) -> str | None:
    parts = topic.split("/")
    if len(parts) == 4 and parts[:2] == ["gridpatrol", "units"] and 0 < len(parts[2]) <= 32:
        return parts[2]
    return None


def _source_of(topic: str) -> str:
    if topic == CALL_FILE_TOPIC:
        return TRUNK_RECORDER
    if topic == COT_TOPIC:
        return TAK
    return "terminal" if topic.startswith("gridpatrol/") else TRUNK_RECORDER


def _kind_of(topic: str) -> str:
    return {CALL_FILE_TOPIC: "call_file", COT_TOPIC: "cot"}.get(topic) or \
        topic.rsplit("/", 1)[-1]


def _sender_of(entry: Entry) -> str | None:
    """The radio of a message refused before it was read (a TAK user by the uid)."""
    if entry.topic == COT_TOPIC:
        uid = peek_cot(entry.payload).uid
        return tak_radio_id(uid) if uid else None
    return _radio_of(entry.topic)


def _radio_event_line(message: Inbound) -> str:
    system = message.event.system if message.event is not None else None
    what = {"on": "registered (on the air)", "off": "deregistered (off the air)",
            "location": "location registration"}.get(message.kind, message.kind)
    return f"radio {message.radio_id} {what}" + (f" on {system}" if system else "")
