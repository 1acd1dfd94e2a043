"""How a simulated unit behaves: what it says and where it goes; no transport, no database.

A unit patrols (its planned route, or streets picked at random when it has none), and
answers what comes on its order topic as an officer with a terminal would:

- a dispatch order: a receipt at once, the acknowledgement a few seconds later (the
  officer reads it and presses *acknowledge*), then it drives to the alert at response
  speed; there it reports *on scene* (``10-97``), stays :data:`SCENE_S`, reports
  *available* (``10-8``) and patrols again;
- a cancellation: a receipt and an acknowledgement, and back to patrol;
- anything else (a patrol route published, an overdue warning): a receipt.

An order sent again (its acknowledgement was not seen) is answered again. Every answer is
an :class:`Outgoing` for the runner to publish; paths come from the runner (the road
graph), asked for through :attr:`SimulatedUnit.wants`.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from gis.moving import Path

ACK_DELAY_S = 3.0
SCENE_S = 600.0
# patrol and response speeds, m/s
SPEEDS = {"patrol_car": (8.0, 14.0), "motorcycle": (8.0, 14.0), "foot": (1.3, 2.5),
          "plainclothes": (1.3, 2.5)}
DEFAULT_SPEEDS = (6.0, 12.0)


@dataclass(frozen=True)
class Outgoing:
    """A message for the unit's terminal to publish: ``kind`` (``position``, ``status``,
    ``ack``, ``receipt``) and its JSON payload."""

    kind: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class Want:
    """A path the unit needs: to ``target`` (lon, lat) when responding, else a patrol."""

    purpose: str  # "patrol" or "respond"
    target: tuple[float, float] | None = None


@dataclass
class SimulatedUnit:
    """One unit as the simulator drives it (see the module)."""

    unit_id: int
    callsign: str
    kind: str
    radio_id: str
    lon: float
    lat: float
    course_deg: float = 0.0
    home: tuple[float, float] | None = None  # where it roams around without a route
    mode: str = "patrol"  # patrol, respond, on_scene
    alert_id: int | None = None
    alert_place: tuple[float, float] | None = None
    legs: deque[Path] = field(default_factory=deque)
    along_m: float = 0.0
    scene_left_s: float = 0.0
    speed_mps: float = 0.0
    routed: bool = False  # a path was given since the last change of mode
    answered: set[tuple[str, int]] = field(default_factory=set)
    pending: list[tuple[float, Outgoing]] = field(default_factory=list)  # (in s, message)

    @property
    def speeds(self) -> tuple[float, float]:
        return SPEEDS.get(self.kind, DEFAULT_SPEEDS)

    @property
    def wants(self) -> Want | None:
        """The path it needs now, if any."""
        if self.legs:
            return None
        if self.mode == "respond" and self.alert_place is not None:
            return Want("respond", self.alert_place)
        if self.mode == "patrol":
            return Want("patrol")
        return None

    def follow(self, *paths: Path) -> None:
        """Take these paths, in order, from where it is."""
        self.legs.extend(p for p in paths if p.length_m > 0)
        self.along_m = 0.0
        self.routed = True

    # -- time passing ------------------------------------------------------------------------
    def advance(self, dt_s: float, now: datetime) -> list[Outgoing]:
        """Move ``dt_s`` seconds on; what it says on the way (answers due, arrival)."""
        said = self._due(dt_s)
        if self.mode == "on_scene":
            self.speed_mps = 0.0
            self.scene_left_s -= dt_s
            if self.scene_left_s <= 0:
                self.mode, self.alert_id, self.alert_place = "patrol", None, None
                self._change_course()
                said.append(_status("10-8", now))  # scene cleared: available again
            return said
        speed = self.speeds[1] if self.mode == "respond" else self.speeds[0]
        left = speed * dt_s
        moved = False
        while left > 0 and self.legs:
            leg = self.legs[0]
            step = min(left, leg.length_m - self.along_m)
            self.along_m += step
            left -= step
            here = leg.at(self.along_m)
            self.lon, self.lat, self.course_deg = here.lon, here.lat, here.course_deg
            moved = moved or step > 0
            if self.along_m >= leg.length_m:
                self.legs.popleft()
                self.along_m = 0.0
        self.speed_mps = speed if moved else 0.0
        if self.mode == "respond" and self.routed and not self.legs:
            self.mode, self.scene_left_s, self.speed_mps = "on_scene", SCENE_S, 0.0
            said.append(_status("10-97", now))
        return said

    def position(self, now: datetime) -> Outgoing:
        return Outgoing("position", {"lon": round(self.lon, 7), "lat": round(self.lat, 7),
                                     "at": now.isoformat(), "speed_mps": round(self.speed_mps, 2),
                                     "course_deg": round(self.course_deg, 1)})

    def _due(self, dt_s: float) -> list[Outgoing]:
        due = [message for left, message in self.pending if left <= dt_s]
        self.pending = [(left - dt_s, m) for left, m in self.pending if left > dt_s]
        return due

    # -- orders --------------------------------------------------------------------------------
    def on_message(self, message: dict[str, Any], now: datetime) -> list[Outgoing]:
        """Answer what came on the order topic (a JSON ``gridpatrol.radio/1`` message)."""
        try:
            message_id = int(message["message_id"])
            kind = str(message["kind"])
        except (KeyError, TypeError, ValueError):
            return []
        said = [Outgoing("receipt", {"message_id": message_id, "at": now.isoformat()})]
        if kind not in ("dispatch_order", "cancel"):
            return said
        ack = Outgoing("ack", {"message_id": message_id, "at": now.isoformat(),
                               "note": f"{self.callsign} (simulated)"})
        repeat = (kind, message_id) in self.answered
        self.answered.add((kind, message_id))
        self.pending.append((ACK_DELAY_S if not repeat else 0.0, ack))
        alert = message.get("alert") or {}
        if repeat:
            return said
        if kind == "dispatch_order" and "lon" in alert and "lat" in alert:
            self.mode, self.alert_id = "respond", int(alert.get("id") or 0) or None
            self.alert_place = (float(alert["lon"]), float(alert["lat"]))
            self._change_course()
        elif kind == "cancel" and (self.alert_id is None or alert.get("id") == self.alert_id):
            self.mode, self.alert_id, self.alert_place = "patrol", None, None
            self._change_course()
        return said


    def _change_course(self) -> None:
        self.legs.clear()
        self.along_m = 0.0
        self.routed = False


def _status(code: str, now: datetime) -> Outgoing:
    return Outgoing("status", {"status": code, "at": now.isoformat()})
