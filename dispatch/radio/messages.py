"""Outbound radio messages: an order, a cancellation or a free text to one unit.

:func:`dispatch_order`, :func:`cancel_order` and :func:`text_message` build a
:class:`RadioMessage`; :func:`encode_message` writes it as the JSON line a gateway sends.
This module reads no clock: the caller passes ``created_at``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, Final, Literal

from dispatch.alerts import GENERIC_KIND, alert_kind_label
from dispatch.errors import InvalidRadioMessage as InvalidRadioMessage  # re-exported
from dispatch.radio.fields import is_number

MessageKind = Literal["dispatch_order", "cancel", "text"]
MESSAGE_KINDS: Final = frozenset({"dispatch_order", "cancel", "text"})
FORMAT: Final = "gridpatrol.radio/1"
"""Value of the ``format`` key of every outbound message's JSON."""

LEVELS_ZH: Final[Mapping[str, str]] = MappingProxyType(
    {"red": "红色", "orange": "橙色", "yellow": "黄色", "blue": "蓝色"}
)
"""Chinese names of the alert levels; another level is written as it is."""


@dataclass(frozen=True)
class AlertRef:
    """The alert an order is about.

    Attributes
    ----------
    alert_id : int
        The alert's number (``#41`` in the order text, the reference of an ack).
    level : str
        Alert level, e.g. ``"red"``.
    kind : str
        Alert kind, e.g. ``"burglary"`` (free text; ``"alert"`` when it has none).
    lon, lat : float
        Place of the alert, WGS-84 (EPSG:4326) decimal degrees.
    description : str
        Address or short description; may be empty.
    place_zh, place_en : str
        The place in words (reverse geocoded: "Mannerheimintie × Simonkatu, 25 m from
        Lasipalatsi (bus station)"), in Chinese and in English; empty when unknown (the
        order then gives the coordinates).
    """

    alert_id: int
    level: str
    kind: str
    lon: float
    lat: float
    description: str = ""
    place_zh: str = ""
    place_en: str = ""

    def __post_init__(self) -> None:
        if isinstance(self.alert_id, bool) or not isinstance(self.alert_id, int) \
                or self.alert_id <= 0:
            raise InvalidRadioMessage("alert.id", "expected a positive integer")
        for name in ("level", "kind"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name).strip():
                raise InvalidRadioMessage(f"alert.{name}", "expected non-empty text")
        for name, limit in (("lon", 180.0), ("lat", 90.0)):
            value = getattr(self, name)
            if not is_number(value) or not -limit <= value <= limit:
                raise InvalidRadioMessage(f"alert.{name}", f"expected degrees within ±{limit:g}")

    def to_json(self) -> dict[str, Any]:
        """Return the alert as a JSON-ready dict (``id``, ``level``, ``kind``, ``lon``, …)."""
        return {"id": self.alert_id, "level": self.level, "kind": self.kind,
                "lon": self.lon, "lat": self.lat, "description": self.description,
                "place_zh": self.place_zh, "place_en": self.place_en}


@dataclass(frozen=True)
class RadioMessage:
    """One outbound radio message.

    Attributes
    ----------
    message_id : str
        Unique id, e.g. the ``radio_log`` row id; gateways may use it to drop repeats.
    kind : {"dispatch_order", "cancel", "text"}
    callsign : str
        The addressed unit, e.g. ``"P-12"``.
    radio_ids : tuple of str
        Radio IDs of the unit's radios; may be empty (the gateway then uses the talkgroup).
    talkgroup : str or None
        Talkgroup to send on, when not to the radios directly.
    alert : AlertRef or None
        Required for ``dispatch_order`` and ``cancel``.
    text : str
        The human line, Chinese then English for orders.
    created_at : datetime
        Timezone-aware; stored converted to UTC.
    """

    message_id: str
    kind: MessageKind
    callsign: str
    radio_ids: tuple[str, ...]
    talkgroup: str | None
    alert: AlertRef | None
    text: str
    created_at: datetime

    def __post_init__(self) -> None:
        for name in ("message_id", "callsign", "text"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name).strip():
                raise InvalidRadioMessage(name, "expected non-empty text")
        if self.kind not in MESSAGE_KINDS:
            raise InvalidRadioMessage("kind", f"expected one of {sorted(MESSAGE_KINDS)}")
        if isinstance(self.radio_ids, str) or not all(
            isinstance(radio_id, str) and radio_id.strip() for radio_id in self.radio_ids
        ):
            raise InvalidRadioMessage("radio_ids", "expected a sequence of non-empty text")
        object.__setattr__(self, "radio_ids", tuple(self.radio_ids))
        if self.talkgroup is not None and (
            not isinstance(self.talkgroup, str) or not self.talkgroup.strip()
        ):
            raise InvalidRadioMessage("talkgroup", "expected non-empty text or None")
        if self.kind != "text" and not isinstance(self.alert, AlertRef):
            raise InvalidRadioMessage("alert", f"a {self.kind} needs the alert")
        if not isinstance(self.created_at, datetime) or self.created_at.utcoffset() is None:
            raise InvalidRadioMessage("created_at", "expected a timezone-aware datetime")
        object.__setattr__(self, "created_at", self.created_at.astimezone(UTC))

    def to_json(self) -> dict[str, Any]:
        """Return the message as a JSON-ready dict; ``created_at`` as ISO 8601 with +00:00."""
        return {
            "format": FORMAT,
            "message_id": self.message_id,
            "kind": self.kind,
            "callsign": self.callsign,
            "radio_ids": list(self.radio_ids),
            "talkgroup": self.talkgroup,
            "alert": self.alert.to_json() if self.alert is not None else None,
            "text": self.text,
            "created_at": self.created_at.isoformat(),
        }


def dispatch_order(message_id: str, *, callsign: str, alert: AlertRef, created_at: datetime,
                   radio_ids: Sequence[str] = (), talkgroup: str | None = None) -> RadioMessage:
    """Build the order sending ``callsign`` to ``alert``.

    The text reads e.g. ``派遣 P-12 前往红色警情 #41 入室盗窃 位置 Mannerheimintie 与
    Simonkatu 交叉口 / DISPATCH P-12 to red alert #41 Burglary at Mannerheimintie ×
    Simonkatu — Hauptstr. 1``: the kind by its label in each language when it is one of
    :class:`dispatch.alerts.AlertKind`'s codes (as typed otherwise; left out for the
    generic ``"alert"``), the place in words in each language when the alert has one, else
    latitude then longitude (WGS-84, 5 decimals, about 1 m); the description last when
    there is one. The message's JSON carries the kind's code and the coordinates.

    Parameters
    ----------
    message_id : str
        Unique id (the ``radio_log`` row id).
    callsign : str, keyword-only
    alert : AlertRef, keyword-only
    created_at : datetime, keyword-only
        Timezone-aware time of the order (this module reads no clock).
    radio_ids : sequence of str, keyword-only
    talkgroup : str or None, keyword-only

    Returns
    -------
    RadioMessage
    """
    coordinates = f"{alert.lat:.5f},{alert.lon:.5f}"
    place_zh = alert.place_zh.strip() or coordinates
    place_en = alert.place_en.strip() or coordinates
    zh = (f"派遣 {callsign} 前往{_level_zh(alert.level)}警情 #{alert.alert_id}"
          f"{_kind(alert.kind, zh=True)} 位置 {place_zh}")
    en = (f"DISPATCH {callsign} to {alert.level} alert #{alert.alert_id}"
          f"{_kind(alert.kind, zh=False)} at {place_en}")
    return RadioMessage(message_id, "dispatch_order", callsign, _radio_ids(radio_ids), talkgroup,
                        alert, _with_description(f"{zh} / {en}", alert), created_at)


def cancel_order(message_id: str, *, callsign: str, alert: AlertRef, created_at: datetime,
                 radio_ids: Sequence[str] = (), talkgroup: str | None = None) -> RadioMessage:
    """Build the message cancelling ``callsign``'s order for ``alert``.

    The text reads e.g. ``取消 P-12 红色警情 #41 派遣 / CANCEL P-12 red alert #41``. Parameters
    as for :func:`dispatch_order`.
    """
    zh = f"取消 {callsign} {_level_zh(alert.level)}警情 #{alert.alert_id} 派遣"
    en = f"CANCEL {callsign} {alert.level} alert #{alert.alert_id}"
    return RadioMessage(message_id, "cancel", callsign, _radio_ids(radio_ids), talkgroup, alert,
                        f"{zh} / {en}", created_at)


def text_message(message_id: str, *, callsign: str, text: str, created_at: datetime,
                 radio_ids: Sequence[str] = (), talkgroup: str | None = None,
                 alert: AlertRef | None = None) -> RadioMessage:
    """Build a free-text message to ``callsign`` (the text is sent as typed, stripped)."""
    return RadioMessage(message_id, "text", callsign, _radio_ids(radio_ids), talkgroup, alert,
                        text.strip() if isinstance(text, str) else text, created_at)


def _radio_ids(radio_ids: Sequence[str]) -> tuple[str, ...]:
    if isinstance(radio_ids, str):  # not split into characters
        raise InvalidRadioMessage("radio_ids", "expected a sequence of radio IDs, not a string")
    return tuple(radio_ids)


def _kind(kind: str, *, zh: bool) -> str:
    """The kind as the order names it, after a space; nothing for the generic kind."""
    text = kind.strip()
    return "" if text == GENERIC_KIND else " " + alert_kind_label(text, zh=zh)


def _level_zh(level: str) -> str:
    return LEVELS_ZH.get(level.lower(), level)


def _with_description(text: str, alert: AlertRef) -> str:
    description = alert.description.strip()
    return f"{text} — {description}" if description else text


def encode_message(message: RadioMessage) -> bytes:
    """Return ``message`` as one compact UTF-8 JSON line, ending in a newline."""
    line = json.dumps(message.to_json(), ensure_ascii=False, sort_keys=True,
                      separators=(",", ":"))
    return (line + "\n").encode("utf-8")
