"""gpsd's JSON reports read, one position per receiver epoch, devices mapped; pure.

A gpsd daemon watched with ``?WATCH={"enable":true,"json":true}`` sends one JSON object
per line; the ``TPV`` objects (time-position-velocity) carry a fix: ``mode`` (0 unknown,
1 no fix, 2 2-D, 3 3-D), ``time`` (ISO 8601, UTC), ``lat``, ``lon`` (WGS-84 degrees),
``speed`` (m/s), ``track`` (degrees true) and the ``device`` it came from. gpsd reports a
TPV after each sentence group, so one receiver epoch often gives two or three TPVs that
fill in as the sentences arrive (the RMC's track after the GGA's position):
:class:`EpochCollector` keeps the last, most complete one per device and epoch and hands
it on when the next epoch begins, or when no report has come for :data:`EPOCH_WAIT_S`.

Decisions
---------
- Only ``mode`` ≥ 2 with a time and a position is a fix; other TPVs are counted as
  ``no_fix``. gpsd leaves out ``speed`` and ``track`` when it does not know them.
- A receiver's clock can be wrong (a GPS week-rollover bug puts an old receiver, or gpsd
  reading an old log, ~19.6 years out): the caller may date fixes by their arrival
  instead (``time_source="received"``); the receiver's time still names the epoch.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final, Literal

from dispatch.errors import TerminalMessageError

EPOCH_WAIT_S: Final = 1.5
"""Seconds after a device's last report before its epoch is taken as complete."""

TimeSource = Literal["receiver", "received"]


@dataclass(frozen=True)
class Tpv:
    """One gpsd TPV report with a fix (WGS-84 degrees, m/s, degrees true, aware UTC)."""

    device: str
    time: datetime
    lon: float
    lat: float
    mode: int
    speed_mps: float | None = None
    course_deg: float | None = None


@dataclass(frozen=True)
class GpsdFix:
    """A receiver epoch's position, ready to be sent on as a terminal position.

    Attributes
    ----------
    device : str
        The gpsd device path it came from.
    receiver_time : datetime
        The epoch as the receiver dated it.
    at : datetime
        The position's time: the receiver's, or when it arrived (see the module).
    lon, lat, speed_mps, course_deg
        As in :class:`Tpv`.
    """

    device: str
    receiver_time: datetime
    at: datetime
    lon: float
    lat: float
    speed_mps: float | None
    course_deg: float | None

    def payload(self) -> dict[str, object]:
        """The terminal position payload (``gridpatrol/units/<radio>/position``).

        Its ``id`` (device and receiver time) makes a repeat recognisable.
        """
        body: dict[str, object] = {
            "lon": self.lon, "lat": self.lat, "at": self.at.isoformat(),
            "id": f"gpsd:{self.device}:{self.receiver_time.isoformat()}"[-64:]}
        if self.speed_mps is not None:
            body["speed_mps"] = round(self.speed_mps, 3)
        if self.course_deg is not None:
            body["course_deg"] = round(self.course_deg % 360.0, 2)
        return body


def read_report(line: str) -> Tpv | str | None:
    """Read one line from gpsd.

    Parameters
    ----------
    line : str
        A JSON object as gpsd sends it.

    Returns
    -------
    Tpv, str or None
        A :class:`Tpv` with a fix; ``"no_fix"`` for a TPV without one (mode < 2, or no
        time or position); None for any other class (VERSION, DEVICES, WATCH, SKY, …).

    Raises
    ------
    TerminalMessageError
        ``not_json`` for a line that is not a JSON object; ``invalid_field`` naming the
        field for a TPV value out of range.
    """
    try:
        data = json.loads(line)
    except (ValueError, RecursionError):
        raise TerminalMessageError("line", "not JSON", reason="not_json") from None
    if not isinstance(data, dict):
        raise TerminalMessageError("line", "expected a JSON object", reason="not_json")
    if data.get("class") != "TPV":
        return None
    mode = data.get("mode")
    if not isinstance(mode, int) or mode < 2 or not all(k in data for k in ("time", "lat",
                                                                               "lon")):
        return "no_fix"
    return Tpv(str(data.get("device") or ""), _time(data["time"]),
               _number(data, "lon", -180, 180), _number(data, "lat", -90, 90), mode,
               _optional(data, "speed", 0.0, 150.0), _optional(data, "track", 0.0, 360.0))


def _time(raw: object) -> datetime:
    if not isinstance(raw, str):
        raise TerminalMessageError("time", "expected ISO 8601 text")
    try:
        at = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise TerminalMessageError("time", "expected ISO 8601 text") from None
    if at.utcoffset() is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC)


def _number(data: Mapping[str, object], key: str, low: float, high: float) -> float:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise TerminalMessageError(key, f"expected a number from {low:g} to {high:g}")
    return float(value)


def _optional(data: Mapping[str, object], key: str, low: float,
              high: float) -> float | None:
    return _number(data, key, low, high) if data.get(key) is not None else None


class EpochCollector:
    """One position per device and receiver epoch (see the module).

    Parameters
    ----------
    time_source : {"receiver", "received"}, keyword-only
        Date fixes by the receiver's clock, or by when their epoch's first report came.
    """

    def __init__(self, *, time_source: TimeSource = "receiver") -> None:
        self.time_source = time_source
        self._open: dict[str, tuple[Tpv, datetime, datetime]] = {}  # device: (tpv, first, last)

    def feed(self, tpv: Tpv, received_at: datetime) -> list[GpsdFix]:
        """Take a report (``received_at`` aware); the fix of an epoch it completes."""
        done = []
        held = self._open.get(tpv.device)
        first = received_at
        if held is not None:
            if held[0].time == tpv.time:
                first = held[1]
            else:
                done.append(self._fix(held[0], held[1]))
        self._open[tpv.device] = (tpv, first, received_at)
        return done

    def flush(self, now: datetime, *, wait_s: float = EPOCH_WAIT_S) -> list[GpsdFix]:
        """The epochs without a report for ``wait_s`` seconds (all with ``wait_s=0``)."""
        done = []
        for device, (tpv, first, last) in list(self._open.items()):
            if (now - last).total_seconds() >= wait_s:
                done.append(self._fix(tpv, first))
                del self._open[device]
        return done

    def _fix(self, tpv: Tpv, first: datetime) -> GpsdFix:
        at = tpv.time if self.time_source == "receiver" else first
        return GpsdFix(tpv.device, tpv.time, at, tpv.lon, tpv.lat, tpv.speed_mps,
                       tpv.course_deg)


def radio_for(device: str, daemon: str, *, devices: Mapping[str, str],
              daemons: Mapping[str, str]) -> str | None:
    """The radio a gpsd device reports for.

    Parameters
    ----------
    device : str
        The device path in the report (``/dev/ttyUSB0``).
    daemon : str
        ``host:port`` of the gpsd it came through.
    devices : Mapping[str, str]
        ``{device path or "host:port/device path": radio id}``.
    daemons : Mapping[str, str]
        ``{"host:port": radio id}`` for a daemon whose every device is one unit's.

    Returns
    -------
    str or None
        The most specific mapping (daemon and device, then device, then daemon); None
        when the device is not mapped.
    """
    return devices.get(f"{daemon}/{device}") or devices.get(device) or daemons.get(daemon)
