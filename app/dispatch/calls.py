"""Recorded radio calls (trunk-recorder) in the radio log and on the timelines of the alerts
their speakers work on: posted (``POST /radio-log/trunk-recorder``) or dropped into the
call folder and applied by ingest. The caller resolves which unit held each transmitting
radio at its time, commits and audits."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from app.dispatch import repository
from app.dispatch.radio import log_inbound
from app.models import Alert, AlertEvent, RadioLogEntry, Unit
from dispatch.radio import RadioCall

# A call is about an alert one of its speakers works on when it falls within the alert's
# life: from a minute before it was raised (the call that reported it) until it closed.
LINK_BEFORE = timedelta(minutes=1)


def call_archive(app: Flask) -> Path:
    """Where taken call files are kept (``CALL_ARCHIVE``, else instance/radio-calls)."""
    configured = app.config.get("CALL_ARCHIVE")
    return Path(configured) if configured else Path(app.instance_path) / "radio-calls"


def call_inbox(app: Flask) -> Path | None:
    """The folder ingest takes call files from (``CALL_FOLDER``); None when ``off``."""
    configured = app.config.get("CALL_FOLDER")
    if configured == "off":
        return None
    return Path(configured) if configured else call_archive(app) / "inbox"


def recording_path(app: Flask, audio: Mapping[str, Any]) -> Path | None:
    """The kept recording a radio log entry names, inside the archive's audio folder
    (None for a path that would leave it, or a file that is not there)."""
    root = (call_archive(app) / "audio").resolve()
    relative = audio.get("path")
    if not isinstance(relative, str) or not relative or "\0" in relative:
        return None
    path = (root / relative).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return path


def call_line(call: RadioCall, radio_ids: Sequence[str]) -> str:
    return (f"call on talkgroup {call.talkgroup}{' EMERGENCY' if call.emergency else ''}, "
            f"{(call.stop - call.start).total_seconds():.0f} s, radios {', '.join(radio_ids)}")


def log_call(session: Session, call: RadioCall, *, speakers: Mapping[str, int],
             actor: str, audio: dict[str, Any] | None = None,
             file: str | None = None) -> list[RadioLogEntry]:
    """Write ``call`` to the radio log: one entry per alert its speaking units work on
    (with a ``radio_call`` line on that alert's timeline), or one entry without an alert.

    ``speakers`` maps each transmitting radio to the unit that held it then (radios no
    unit held are left out); ``audio`` is the kept recording (``{path, content_type,
    bytes}``), played through ``GET /radio-log/<id>/audio``."""
    radio_ids = sorted({s.radio_id for s in call.sources})
    units = repository.units_by_id(session, sorted(set(speakers.values())))
    speaking = [units[u] for u in dict.fromkeys(speakers.values()) if u in units]
    on_alert: dict[int | None, list[Unit]] = {}
    for unit in speaking:
        if unit.alert_id is not None and _within(session, unit.alert_id, call):
            on_alert.setdefault(unit.alert_id, []).append(unit)
    if not on_alert:
        on_alert[None] = speaking
    payload: dict[str, Any] = {
        "emergency": call.emergency, "encrypted": call.encrypted,
        "frequency_hz": call.frequency_hz, "stop": call.stop.isoformat(),
        "length_s": call.length_s, "radio_ids": radio_ids, "system": call.system,
        "talkgroup_tag": call.talkgroup_tag,
        "units": [{"unit_id": u.id, "callsign": u.callsign} for u in speaking],
        "audio": audio, "file": file}
    body = call_line(call, radio_ids)
    entries = []
    for alert_id, units_on in on_alert.items():
        unit_id = units_on[0].id if len(units_on) == 1 else None
        entry = log_inbound(session, kind="call", body=body, actor=actor, unit_id=unit_id,
                            alert_id=alert_id,
                            radio_id=radio_ids[0] if len(radio_ids) == 1 else None,
                            talkgroup=call.talkgroup, at=call.start, payload=payload)
        if alert_id is not None:
            session.add(AlertEvent(
                alert_id=alert_id, at=call.start, event="radio_call", actor=actor,
                unit_id=unit_id, details={
                    "radio_log_id": entry.id, "talkgroup": call.talkgroup,
                    "talkgroup_tag": call.talkgroup_tag, "radio_ids": radio_ids,
                    "units": [u.callsign for u in units_on], "emergency": call.emergency,
                    "seconds": round((call.stop - call.start).total_seconds(), 1),
                    "audio": audio is not None}))
        entries.append(entry)
    session.flush()
    return entries


def _within(session: Session, alert_id: int, call: RadioCall) -> bool:
    alert = session.get(Alert, alert_id)
    if alert is None:
        return False
    return alert.raised_at - LINK_BEFORE <= call.start and (
        alert.closed_at is None or call.start <= alert.closed_at)
