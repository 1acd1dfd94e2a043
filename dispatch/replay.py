"""Recordings turned into the MQTT messages to replay, each at its offset; pure.

Three kinds of recording (:func:`detect_kind`):

- an **NMEA 0183 log** (lines of sentences, ``#`` comments): one message per receiver epoch
  on ``gridpatrol/units/<radio_id>/nmea``, at the epoch's time of day after the first;
  by default re-dated to the replay (:func:`retime_sentence`: times, dates and checksums
  rewritten; each epoch dated when it is sent), so the units move now, as for a training
  run;
- **trunk-recorder calls** (its per-call JSON, one object or a list): for each call,
  ``call_start``, a unit ``call`` for each transmission and ``call_end``, as its MQTT
  status plugin publishes them;
- an **MQTT capture**: JSON lines ``{"topic", "payload" | "payload_base64", "at"?}``
  (``at`` ISO 8601 or epoch seconds), or ``mosquitto_sub -v`` output (``topic payload``
  per line, one second apart).

Nothing here reads a clock or a file: the caller passes text and times.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal

from dispatch.nmea import checksum
from dispatch.nmea_streams import EpochSplitter, epoch_time

ReplayKind = Literal["nmea", "trunk-recorder", "capture"]
CAPTURE_SPACING_S: Final = 1.0
_DATED = {"RMC": 9}  # date field (ddmmyy) of the position sentences that carry one


class ReplayFormatError(ValueError):
    """A recording that cannot be replayed (``.line`` names where, 0 for the whole)."""

    def __init__(self, line: int, problem: str) -> None:
        super().__init__(f"line {line}: {problem}" if line else problem)
        self.line = line


@dataclass(frozen=True)
class ReplayItem:
    """One message to publish ``offset_s`` seconds after the replay began."""

    offset_s: float
    topic: str
    payload: bytes


def detect_kind(text: str) -> ReplayKind:
    """Tell what a recording holds (see the module).

    Raises
    ------
    ReplayFormatError
        When it is none of the three.
    """
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    body = [ln for ln in lines if not ln.startswith("#")]
    if not body:
        raise ReplayFormatError(0, "the recording is empty")
    if all(ln[0] in "$!" for ln in body):
        return "nmea"
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            whole = json.loads(stripped)
        except ValueError:
            whole = None
        calls = whole if isinstance(whole, list) else [whole]
        if whole is not None and all(isinstance(c, dict) and "srcList" in c for c in calls):
            return "trunk-recorder"
        if all(ln.startswith("{") and '"topic"' in ln for ln in body):
            return "capture"
    if all(" " in ln and "/" in ln.split(" ", 1)[0] for ln in body):
        return "capture"
    raise ReplayFormatError(0, "neither an NMEA log, trunk-recorder call JSON nor an MQTT "
                               "capture (JSON lines or mosquitto_sub -v)")


# -- NMEA ---------------------------------------------------------------------------------

def nmea_items(text: str, *, radio_id: str, start: datetime | None,
               speed: float = 1.0) -> list[ReplayItem]:
    """One message per receiver epoch of an NMEA log.

    Parameters
    ----------
    text : str
        The log.
    radio_id : str
        Whose ``…/nmea`` topic.
    start : datetime or None
        Re-date the epochs from this instant (aware) on; None keeps the log's times.
    speed : float, keyword-only
        The replay's speed: a re-dated epoch is dated when it is sent, ``start`` plus its
        offset divided by ``speed`` (0, as fast as possible: a millisecond apart), so a
        fast replay never dates a position in the future.

    Returns
    -------
    list of ReplayItem
        Offsets from the epochs' times of day (a day added when one goes back past
        midnight); epochs without a time follow the previous one by a second.
    """
    splitter = EpochSplitter()
    sentences = [ln.strip() for ln in text.splitlines() if ln.strip()[:1] in ("$", "!")]
    epochs = [e for line in sentences for e in splitter.feed(line)] + splitter.flush()
    items: list[ReplayItem] = []
    first: datetime | None = None
    previous = 0.0
    for lines in epochs:
        clock = next((_clock(t) for t in map(epoch_time, lines) if t and _clock(t)), None)
        offset = previous + (1.0 if items else 0.0)
        if clock is not None:
            if first is None:
                first = clock
            while clock < first + timedelta(seconds=previous):
                clock += timedelta(days=1)
            offset = (clock - first).total_seconds()
        previous = offset
        if start is not None:
            at = start + timedelta(seconds=offset / speed if speed > 0 else len(items) / 1000)
            lines = [retime_sentence(line, at) for line in lines]
        items.append(ReplayItem(offset, f"gridpatrol/units/{radio_id}/nmea",
                                ("\r\n".join(lines) + "\r\n").encode()))
    return items


def _clock(value: str) -> datetime | None:
    match = re.fullmatch(r"(\d{2})(\d{2})(\d{2})(\.\d+)?", value)
    if match is None:
        return None
    hours, minutes, seconds = (int(match.group(i)) for i in (1, 2, 3))
    if hours > 23 or minutes > 59 or seconds > 60:
        return None
    fraction = float(match.group(4) or 0)
    return datetime(2000, 1, 1, tzinfo=UTC) + timedelta(hours=hours, minutes=minutes,
                                                        seconds=seconds + fraction)


def retime_sentence(line: str, at: datetime) -> str:
    """Re-date a sentence: its time of day (and an RMC's date) set to ``at``.

    The time keeps its decimals (truncated); the checksum is made anew.

    Parameters
    ----------
    line : str
        One sentence; one that carries no time is returned unchanged.
    at : datetime
        The new instant (aware; written in UTC).

    Returns
    -------
    str
    """
    if epoch_time(line) is None:
        return line
    body = line[1:].split("*", 1)[0]
    fields = body.split(",")
    kind = fields[0][2:5]
    index = 5 if kind == "GLL" else 1
    utc = at.astimezone(UTC)
    decimals = len(fields[index].split(".", 1)[1]) if "." in fields[index] else 0
    fraction = str(utc.microsecond).rjust(6, "0")[:decimals]  # truncated, never 60 s
    seconds = f"{utc.second:02d}" + (f".{fraction}" if decimals else "")
    fields[index] = f"{utc.hour:02d}{utc.minute:02d}{seconds}"
    date_index = _DATED.get(kind)
    if date_index is not None and len(fields) > date_index and fields[date_index]:
        fields[date_index] = utc.strftime("%d%m%y")
    new_body = ",".join(fields)
    return f"{line[0]}{new_body}*{checksum(new_body):02X}"


# -- trunk-recorder -------------------------------------------------------------------------

def call_items(text: str, *, prefix: str) -> list[ReplayItem]:
    """trunk-recorder per-call JSON (one call or a list) as its MQTT plugin publishes it.

    Parameters
    ----------
    text : str
        The JSON.
    prefix : str
        The plugin's topic prefix (``trunk-recorder``): status messages on
        ``<prefix>/call_start`` and ``<prefix>/call_end``, unit messages on
        ``<prefix>/units/<short_name>/call``.

    Raises
    ------
    ReplayFormatError
        For a call without its times, talkgroup or sources.
    """
    whole = json.loads(text)
    calls: Sequence[Any] = whole if isinstance(whole, list) else [whole]
    timed: list[tuple[float, str, dict[str, Any]]] = []
    for number, call in enumerate(calls, start=1):
        try:
            start, stop = float(call["start_time"]), float(call["stop_time"])
            talkgroup = int(call["talkgroup"])
            sources = list(call["srcList"])
        except (KeyError, TypeError, ValueError):
            raise ReplayFormatError(number, "a call needs start_time, stop_time, talkgroup "
                                            "and srcList") from None
        system = str(call.get("short_name") or "system")
        if not sources or not all(isinstance(x, dict) and "src" in x for x in sources):
            raise ReplayFormatError(number, "srcList: expected the transmissions' sources")
        about = {"id": f"{talkgroup}_{int(start)}", "sys_name": system,
                 "unit": int(sources[0]["src"]),
                 "talkgroup": talkgroup, "talkgroup_tag": call.get("talkgroup_tag", ""),
                 "freq": call.get("freq", 0), "emergency": bool(call.get("emergency")),
                 "encrypted": bool(call.get("encrypted")), "start_time": int(start)}
        timed.append((start, f"{prefix}/call_start", {"type": "call_start",
                                                      "call": about,
                                                      "timestamp": int(start)}))
        for source in sources:
            at = float(source.get("time", start + float(source.get("pos", 0.0))))
            timed.append((at, f"{prefix}/units/{system}/call", {
                "type": "call", "timestamp": int(at), "call": {
                    "sys_name": system, "unit": int(source["src"]),
                    "unit_alpha_tag": source.get("tag", ""), "talkgroup": talkgroup}}))
        timed.append((stop, f"{prefix}/call_end", {
            "type": "call_end", "timestamp": int(stop),
            "call": about | {"unit": int(sources[-1]["src"]), "stop_time": int(stop),
                             "length": stop - start}}))
    timed.sort(key=lambda item: item[0])
    first = timed[0][0] if timed else 0.0
    return [ReplayItem(at - first, topic, json.dumps(body).encode())
            for at, topic, body in timed]


# -- MQTT captures ---------------------------------------------------------------------------

def capture_items(text: str) -> list[ReplayItem]:
    """An MQTT capture's messages at their recorded offsets (see the module).

    Raises
    ------
    ReplayFormatError
        For a line without a topic or a payload, or with an unreadable time.
    """
    items: list[ReplayItem] = []
    first: float | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("{"):
            topic, payload, at = _json_capture(line, number)
        else:
            topic, _, body = line.partition(" ")
            payload, at = body.encode(), None
        if at is None:
            offset = (items[-1].offset_s + CAPTURE_SPACING_S) if items else 0.0
        else:
            first = at if first is None else first
            offset = at - first
        items.append(ReplayItem(max(0.0, offset), topic, payload))
    return items


def _json_capture(line: str, number: int) -> tuple[str, bytes, float | None]:
    try:
        data = json.loads(line)
    except ValueError:
        raise ReplayFormatError(number, "not JSON") from None
    topic = data.get("topic") if isinstance(data, dict) else None
    if not isinstance(topic, str) or not topic or "#" in topic or "+" in topic:
        raise ReplayFormatError(number, "expected a topic (no wildcards)")
    if isinstance(data.get("payload_base64"), str):
        payload = base64.b64decode(data["payload_base64"])
    elif isinstance(data.get("payload"), str):
        payload = data["payload"].encode()
    elif isinstance(data.get("payload"), dict | list):
        payload = json.dumps(data["payload"]).encode()
    else:
        raise ReplayFormatError(number, "expected payload (text or JSON) or payload_base64")
    raw = data.get("at")
    if raw is None:
        return topic, payload, None
    try:
        at = float(raw) if isinstance(raw, int | float) else datetime.fromisoformat(
            str(raw)).timestamp()
    except ValueError:
        raise ReplayFormatError(number, "at: expected ISO 8601 or epoch seconds") from None
    return topic, payload, at


def items_for(text: str, *, kind: ReplayKind, radio_id: str | None,
              retime_from: datetime | None, speed: float = 1.0,
              trunk_prefix: str = "trunk-recorder") -> list[ReplayItem]:
    """The messages of a recording of ``kind``.

    Raises
    ------
    ReplayFormatError
        When it cannot be read, or an NMEA log is given no radio.
    """
    if kind == "nmea":
        if not radio_id:
            raise ReplayFormatError(0, "an NMEA log needs --radio-id (whose position it is)")
        return nmea_items(text, radio_id=radio_id, start=retime_from, speed=speed)
    if kind == "trunk-recorder":
        return call_items(text, prefix=trunk_prefix)
    return capture_items(text)
