"""Radio: orders out through a gateway adapter; calls, unit events and acks parsed in.

Outbound, the service writes an order into ``radio_log``, builds a :class:`RadioMessage`
(:func:`dispatch_order`, :func:`cancel_order`, :func:`text_message`) and hands it to a
gateway: the transports live at the edge, in :mod:`app.dispatch.gateways`.

Inbound, the parsers are pure and raise :class:`RadioFormatError` naming the field:
:func:`parse_trunk_recorder_call` (trunk-recorder's per-call JSON), :func:`parse_mqtt_status`
(trunk-recorder's MQTT status plugin) and :func:`parse_ack` (the text acknowledgement).

Modules
-------
- :mod:`dispatch.radio.messages`: outbound messages and their JSON line;
- :mod:`dispatch.radio.calls`: trunk-recorder per-call JSON and MQTT status messages;
- :mod:`dispatch.radio.acks`: the acknowledgement text protocol;
- :mod:`dispatch.radio.fields`: :class:`RadioFormatError` and the inbound field readers.

Every public name is importable from ``dispatch.radio`` itself.
"""

from __future__ import annotations

from dispatch.radio.acks import ACK_KEYWORDS, Ack, format_ack, parse_ack
from dispatch.radio.calls import (
    CALL_MESSAGE_KINDS,
    MQTT_KINDS,
    UNIT_MESSAGE_KINDS,
    RadioCall,
    RadioEvent,
    RadioSource,
    UnsupportedMessageType,
    parse_mqtt_status,
    parse_trunk_recorder_call,
)
from dispatch.radio.fields import RadioFormatError
from dispatch.radio.messages import (
    FORMAT,
    LEVELS_ZH,
    MESSAGE_KINDS,
    AlertRef,
    InvalidRadioMessage,
    MessageKind,
    RadioMessage,
    cancel_order,
    dispatch_order,
    encode_message,
    text_message,
)

__all__ = [
    "ACK_KEYWORDS",
    "CALL_MESSAGE_KINDS",
    "FORMAT",
    "LEVELS_ZH",
    "MESSAGE_KINDS",
    "MQTT_KINDS",
    "UNIT_MESSAGE_KINDS",
    "Ack",
    "AlertRef",
    "InvalidRadioMessage",
    "MessageKind",
    "RadioCall",
    "RadioEvent",
    "RadioFormatError",
    "RadioMessage",
    "RadioSource",
    "UnsupportedMessageType",
    "cancel_order",
    "dispatch_order",
    "encode_message",
    "format_ack",
    "parse_ack",
    "parse_mqtt_status",
    "parse_trunk_recorder_call",
    "text_message",
]
