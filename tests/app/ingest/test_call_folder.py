"""trunk-recorder call files dropped into the watched folder: the shared call record (re-
dated to now, with a short WAV made here beside it) goes through the journal into the
radio log and onto the timeline of the alert its speaker works on; the recording is kept
and served, by byte ranges, to the roles that may hear it, every request audited; a
repeat is recognised, bad files are moved aside with the reason, and the source goes on."""

from __future__ import annotations

import json
import math
import struct
import time
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from app.db import get_session
from app.ingest.broker import Broker
from app.ingest.sources.calls import CallFolderSource
from app.models import AlertEvent, AuditEntry, IngestMessage, RadioLogEntry
from tests.app.ingest.conftest import Units
from tests.app.ingest.support import ServiceThread, wait_for
from tests.conftest import SHARED_DATA, Accounts, bearer

CALL = SHARED_DATA / "radio" / "trunk-recorder" / "berkeley_pd1_call_1702617247.json"


def redated_call(now: float) -> dict[str, Any]:
    """The shared call record, moved in time so that it starts ``now`` (as replay does)."""
    call = json.loads(CALL.read_text(encoding="utf-8"))
    shift = int(now) - int(call["start_time"])
    call["start_time"] += shift
    call["stop_time"] += shift
    for item in call["srcList"] + call["freqList"]:
        item["time"] += shift
    return call


def write_wav(path: Path, *, seconds: float = 1.5, rate: int = 8000) -> bytes:
    """A 440 Hz tone, 16-bit mono PCM (trunk-recorder records 8 kHz mono)."""
    frames = b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate)))
                      for i in range(int(seconds * rate)))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)
    return path.read_bytes()


def drop(inbox: Path, stem: str, call: dict[str, Any] | str, audio: bool = True) -> bytes:
    """Write a call as an upload script does: the audio first, the JSON under a temporary
    name renamed into place."""
    data = write_wav(inbox / f"{stem}.wav") if audio else b""
    partial = inbox / f"{stem}.json.part"
    partial.write_text(call if isinstance(call, str) else json.dumps(call), encoding="utf-8")
    partial.rename(inbox / f"{stem}.json")
    return data


@pytest.fixture
def folder(tmp_path: Path, ingest_app: Flask) -> Iterator[CallFolderSource]:
    source = CallFolderSource(tmp_path / "inbox", tmp_path / "archive", settle_s=0.3,
                              audio_wait_s=1.0, poll_s=0.1)
    ingest_app.config["CALL_ARCHIVE"] = str(source.archive)
    yield source
    ingest_app.config["CALL_ARCHIVE"] = None


def rows(app: Flask, query: Any) -> list[Any]:
    with app.app_context():
        return list(get_session().execute(query).scalars())


def test_a_dropped_call_reaches_the_alert_timeline_with_its_recording(
        broker: Broker, ingest_app: Flask, units: Units, journal: Path,
        folder: CallFolderSource) -> None:
    speaker = units.add(radio_ids=("3124119",))
    alert_id = units.dispatch(speaker)
    call = redated_call(time.time())
    stem = f"{call['talkgroup']}-{call['start_time']}_{call['freq']}"
    folder.inbox.mkdir(parents=True)
    with ServiceThread(ingest_app, broker, journal, sources=[folder]) as running:
        sound = drop(folder.inbox, stem, call)
        wait_for(lambda: running.service.counters["applied"] >= 1, what="the call applied")
        drop(folder.inbox, stem, call)  # the upload script runs twice
        wait_for(lambda: folder.counters["call_files_repeated"] >= 1, what="the repeat")
    (entry,) = rows(ingest_app, sa.select(RadioLogEntry).where(RadioLogEntry.kind == "call"))
    assert entry.alert_id == alert_id and entry.unit_id == speaker
    assert entry.talkgroup == "3105" and entry.payload["radio_ids"] == ["3113008", "3124119"]
    kept = folder.archive / "audio" / entry.payload["audio"]["path"]
    assert kept.read_bytes() == sound and entry.payload["audio"]["content_type"] == "audio/wav"
    assert json.loads(kept.with_suffix(".json").read_text()) == call
    (event,) = rows(ingest_app, sa.select(AlertEvent).where(
        AlertEvent.alert_id == alert_id, AlertEvent.event == "radio_call"))
    assert event.details["radio_log_id"] == entry.id and event.details["audio"] is True
    assert list(folder.inbox.iterdir()) == []
    repeats = sorted(p.name for p in (folder.archive / "duplicates").iterdir())
    assert len(repeats) == 4 and sum(n.endswith(".reason.txt") for n in repeats) == 2


def test_the_recording_is_served_by_ranges_to_those_who_may_hear_it(
        broker: Broker, ingest_app: Flask, units: Units, journal: Path,
        folder: CallFolderSource) -> None:
    speaker = units.add(radio_ids=("3124119",))
    units.dispatch(speaker)
    call = redated_call(time.time() - 60)
    folder.inbox.mkdir(parents=True)
    with ServiceThread(ingest_app, broker, journal, sources=[folder]) as running:
        sound = drop(folder.inbox, "call-a", call)
        wait_for(lambda: running.service.counters["applied"] >= 1, what="the call applied")
    (entry,) = rows(ingest_app, sa.select(RadioLogEntry).where(
        RadioLogEntry.kind == "call", RadioLogEntry.unit_id == speaker))
    accounts = Accounts(ingest_app)
    client = ingest_app.test_client()
    url = f"/api/v1/radio-log/{entry.id}/audio"

    def fetch(role: str, **headers: str) -> tuple[int, bytes, Any]:
        with client.get(url, headers=bearer(accounts.create(role)) | headers) as answer:
            return answer.status_code, answer.get_data(), answer.headers

    for role in ("dispatcher", "supervisor"):
        status, data, headers = fetch(role)
        assert status == 200 and data == sound
        assert headers["Content-Type"] == "audio/wav" and headers["Accept-Ranges"] == "bytes"
    status, data, headers = fetch("dispatcher", Range="bytes=44-1043")
    assert status == 206 and data == sound[44:1044]
    assert headers["Content-Range"] == f"bytes 44-1043/{len(sound)}"
    assert headers["Content-Type"] == "audio/wav"
    status, _, headers = fetch("dispatcher", Range=f"bytes={len(sound) + 10}-")
    assert status == 416 and headers["Content-Range"] == f"bytes */{len(sound)}"
    for role in ("analyst", "viewer", "device"):
        assert fetch(role)[0] == 403
    heard = rows(ingest_app, sa.select(AuditEntry).where(
        AuditEntry.action == "radio.recording", AuditEntry.object_id == str(entry.id)))
    assert len(heard) == 4 and {h.details["range"] for h in heard} == {
        None, "bytes=44-1043", f"bytes={len(sound) + 10}-"}
    (folder.archive / "audio" / entry.payload["audio"]["path"]).unlink()
    status, data, _ = fetch("dispatcher")
    assert status == 404 and json.loads(data)["field"] == "entry_id"


def test_bad_files_are_moved_aside_with_the_reason_and_the_source_goes_on(
        broker: Broker, ingest_app: Flask, units: Units, journal: Path,
        folder: CallFolderSource) -> None:
    units.add(radio_ids=("3113008",))
    folder.inbox.mkdir(parents=True)
    drop(folder.inbox, "garbage", "{this is not json")
    drop(folder.inbox, "empty-sources", json.dumps({"talkgroup": 1, "srcList": []}))
    (folder.inbox / "big.json").write_bytes(b" " * (70 * 1024) + b"{}")
    (folder.inbox / "latin1.json").write_bytes('{"short_name": "Mälardalen"}'.encode("latin-1"))
    with ServiceThread(ingest_app, broker, journal, sources=[folder]) as running:
        wait_for(lambda: folder.counters["call_files_rejected"] >= 4, what="the rejects")
        drop(folder.inbox, "good", redated_call(time.time() - 120), audio=False)
        wait_for(lambda: folder.counters["call_files"] >= 1, what="the good call after them")
        wait_for(lambda: running.service.counters["rejected"] >= 4, what="the rejects applied")
    aside = folder.archive / "rejected"
    reasons = {p.name.split("-", 1)[1].removesuffix(".reason.txt"): p.read_text()
               for p in aside.glob("*.reason.txt")}
    assert set(reasons) == {"garbage.json", "garbage.wav", "empty-sources.json",
                            "empty-sources.wav", "big.json", "latin1.json"}
    assert reasons["garbage.json"].startswith("not_json")
    assert reasons["empty-sources.json"].startswith("invalid_field: start_time")
    assert reasons["big.json"].startswith("too_large")
    assert reasons["latin1.json"].startswith("not_utf8")
    assert (aside / next(n for n in (p.name for p in aside.iterdir())
                         if n.endswith("-latin1.json"))).read_bytes().endswith(b"}")
    kept = rows(ingest_app, sa.select(IngestMessage).where(
        IngestMessage.kind == "call_file", IngestMessage.outcome == "rejected"))
    assert {k.reason.split(":", 1)[0] for k in kept} == {
        "not_json", "invalid_field", "too_large", "not_utf8"}
    assert all(k.source == "trunk-recorder" and k.payload for k in kept)
    assert list(folder.inbox.iterdir()) == []
    (logged,) = rows(ingest_app, sa.select(RadioLogEntry).where(
        RadioLogEntry.kind == "call", RadioLogEntry.payload["file"].astext == "good.json"))
    assert logged.payload["audio"] is None and logged.alert_id is None


def test_a_folder_that_cannot_be_made_is_retried_while_the_other_inputs_go_on(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A call folder under a file (as a mount point not yet mounted, or a folder the
    service may not write) is logged and tried again; once it can be made, calls flow."""
    import asyncio

    import app.ingest.sources.calls as calls

    monkeypatch.setattr(calls, "FOLDER_RETRY_S", 0.05)
    blocker = tmp_path / "mount"
    blocker.write_text("not a folder yet")
    source = CallFolderSource(blocker / "inbox", blocker / "archive", poll_s=0.05)

    async def scenario() -> None:
        async def offer(message: Any) -> None:
            raise AssertionError("nothing to offer")

        task = asyncio.create_task(source.run(offer))
        while source.counters["call_folder_unusable"] < 2:
            await asyncio.sleep(0.01)
        assert not task.done() and not source.connected
        blocker.unlink()
        while not source.connected:
            await asyncio.sleep(0.01)
        assert (blocker / "archive" / "audio").is_dir()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(asyncio.wait_for(scenario(), timeout=10))
