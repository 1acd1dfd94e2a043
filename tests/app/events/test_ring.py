"""Event ids and the replay ring: what a reconnecting console is sent, and when it must
reload instead."""

from __future__ import annotations

import json

import pytest

from app.events.ring import EventRing, frame


def _ids(frames: list[bytes]) -> list[str]:
    return [f.decode().split("\n", 1)[0].removeprefix("id: ") for f in frames]


def test_a_frame_is_server_sent_events_text() -> None:
    text = frame("unit", {"type": "unit", "callsign": "巡-1"}, event_id="e.7").decode()
    assert text == 'id: e.7\nevent: unit\ndata: {"type":"unit","callsign":"巡-1"}\n\n'
    assert "id:" not in frame("hello", {"at": 1.0}).decode()


def test_replay_sends_what_came_after_the_last_id() -> None:
    ring = EventRing(5, epoch="run1")
    assert ring.last_id == "run1.0"
    assert ring.since("run1.0") == []
    for n in range(1, 4):
        ring.append("unit", {"type": "unit", "n": n})
    missed = ring.since("run1.1")
    assert missed is not None and _ids(missed) == ["run1.2", "run1.3"]
    assert [json.loads(f.decode().split("data: ")[1])["n"] for f in missed] == [2, 3]
    assert ring.since("run1.3") == []


def test_an_id_older_than_the_ring_or_of_another_run_cannot_be_replayed() -> None:
    ring = EventRing(3, epoch="run1")
    for n in range(1, 8):
        ring.append("unit", {"n": n})
    assert _ids(ring.since("run1.4") or []) == ["run1.5", "run1.6", "run1.7"]
    assert ring.since("run1.3") is None  # event 4 has left the ring
    assert ring.since("run0.6") is None  # another run of the service
    assert ring.since("run1.8") is None  # not sent yet: not ours
    for junk in ("", "run1", "run1.x", "run1.-1", "..", "run1.6.1"):
        assert ring.since(junk) is None, junk


def test_resync_frame_carries_the_newest_id() -> None:
    ring = EventRing(2, epoch="r")
    ring.append("alert", {"type": "alert"})
    assert ring.resync_frame() == b"id: r.1\nevent: resync\ndata: {}\n\n"
    with pytest.raises(ValueError):
        EventRing(0)
