"""NMEA 0183 as AVL boxes stream it: cut into receiver epochs, sources named; pure.

A vehicle's AVL box sends its receiver's sentences over UDP (a datagram per epoch or per
sentence) or a TCP connection (a stream of lines). :class:`EpochSplitter` cuts a source's
lines into epochs: a new epoch begins when a position sentence (GGA, RMC, GNS, GLL) carries
a time of day other than the epoch's; other sentences (GSV, GSA, VTG, proprietary) ride
along with the epoch they came in. Each epoch becomes one message on the radio's ``…/nmea``
topic, read there as :func:`dispatch.nmea_epochs.read_log` reads a posted log.

Which radio: a box may name itself with a line ``@<device id>`` (once after connecting,
or at the head of a datagram); else the source is its address. :func:`source_radio`
turns either into a radio ID — ``GRIDPATROL_NMEA_SOURCES`` maps names to radios; an
unmapped device id is the radio ID itself, an unmapped address ``ip-<address>`` — so a
source nobody mapped is listed among the unknown radios, to be given to a unit with a
radio assignment.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from dispatch.terminals import valid_radio_id

POSITION_SENTENCES: Final = frozenset({"GGA", "RMC", "GNS", "GLL"})
MAX_EPOCH_LINES: Final = 64
"""Lines one epoch may hold before it is cut anyway (a box that never sends a time)."""

_DEVICE = re.compile(r"@([A-Za-z0-9_.\-]{1,32})\s*")
_TIME_FIELD = {"GGA": 1, "RMC": 1, "GNS": 1, "GLL": 5}


def epoch_time(line: str) -> str | None:
    """The time of day of a position sentence (``hhmmss.ss``), else None.

    Parameters
    ----------
    line : str
        One NMEA sentence.

    Returns
    -------
    str or None
        The time field as written, for GGA, RMC, GNS and GLL of any talker; None for
        other sentences or an empty time.
    """
    if len(line) < 7 or line[0] not in "$!":
        return None
    kind = line[3:6]
    index = _TIME_FIELD.get(kind)
    if index is None:
        return None
    fields = line.split("*", 1)[0].split(",")
    value = fields[index] if len(fields) > index else ""
    return value or None


def device_line(line: str) -> str | None:
    """The device id of a line ``@<device id>``, else None.

    The id is 1–32 letters, digits, ``-``, ``_`` and ``.``.
    """
    match = _DEVICE.fullmatch(line.strip())
    return match.group(1) if match else None


class EpochSplitter:
    """One source's lines cut into epochs (see the module)."""

    def __init__(self) -> None:
        self._lines: list[str] = []
        self._time: str | None = None

    def feed(self, line: str) -> list[list[str]]:
        """Take a line; the epochs it completes (usually none, or the previous one)."""
        line = line.strip()
        if not line:
            return []
        done = []
        when = epoch_time(line)
        if (when is not None and self._time is not None and when != self._time) \
                or len(self._lines) >= MAX_EPOCH_LINES:
            done.append(self._lines)
            self._lines, self._time = [], None
        if when is not None:
            self._time = when
        self._lines.append(line)
        return done

    def flush(self) -> list[list[str]]:
        """The epoch in hand, if any (the source went quiet or away)."""
        if not self._lines:
            return []
        done, self._lines, self._time = [self._lines], [], None
        return done


def source_radio(address: str, device: str | None, *,
                 sources: Mapping[str, str]) -> str:
    """The radio ID a source reports for.

    Parameters
    ----------
    address : str
        The sender's IP address.
    device : str or None
        The device id it named (``@<id>``), if any.
    sources : Mapping[str, str]
        ``{device id or address: radio id}``.

    Returns
    -------
    str
        The mapped radio (device id first, then address); else the device id itself;
        else ``ip-<address>`` (other characters than letters, digits, ``-``, ``_`` and
        ``.`` written ``.``; at most 32 characters).
    """
    if device is not None and device in sources:
        return sources[device]
    if address in sources:
        return sources[address]
    if device is not None:
        return device
    radio = ("ip-" + re.sub(r"[^A-Za-z0-9_.\-]", ".", address))[:32]
    return radio if valid_radio_id(radio) else "ip-unknown"
