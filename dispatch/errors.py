"""Errors raised by dispatch/, each a ``ValueError`` subclass named after the failure.

``app/errors.py`` maps them to HTTP answers once (422 with ``field`` when the error names
one; :class:`IllegalStatusChange` 409). The modules that raise them re-export them, so
``from dispatch.status import IllegalStatusChange`` keeps working.
"""

from __future__ import annotations


class IllegalStatusChange(ValueError):
    """A unit was asked to change to a status not allowed from its current one."""


class InvalidStatusTime(ValueError):
    """A status time is naive (no timezone) or lies after the time it is compared with."""


class InvalidGbId(ValueError):
    """A GB/T 28181 device ID is malformed or not a camera or video device's ID."""


class RadioFormatError(ValueError):
    """Inbound radio data with a missing or unreadable field.

    Attributes
    ----------
    field : str
        Path of the field, e.g. ``"talkgroup"``, ``"srcList[1].src"``, ``"on.unit"``.
    """

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field


class UnsupportedMessageType(RadioFormatError):
    """An MQTT message of a kind not in :data:`MQTT_KINDS`."""


class TerminalMessageError(RadioFormatError):
    """An inbound terminal message refused, with the reason code it is counted under.

    Attributes
    ----------
    field : str
        The field at fault (``"lat"``, ``"at"``, ``"topic"``, ``"payload"``).
    reason : str
        Stable code the rejects are counted by: ``invalid_field`` unless more is known
        (``not_json``, ``not_utf8``, ``empty``, ``no_fix``, ``future_time``,
        ``unknown_topic``, ``unknown_status_code``, ...).
    """

    def __init__(self, field: str, problem: str, *, reason: str = "invalid_field") -> None:
        super().__init__(field, problem)
        self.reason = reason


class NmeaMessageError(TerminalMessageError):
    """An NMEA message refused because none of its sentences gave a position.

    The sound sentences without a position it held (GSV, GSA, TXT, proprietary) are no
    part of the fault: they are counted apart, as in a message that is applied.

    Attributes
    ----------
    ignored_sentences : int
        Sentences without a position in the message.
    """

    def __init__(self, field: str, problem: str, *, reason: str,
                 ignored_sentences: int) -> None:
        super().__init__(field, problem, reason=reason)
        self.ignored_sentences = ignored_sentences


class InvalidStatusCodeTable(ValueError):
    """A status code table that cannot be read (``.field`` names the entry at fault)."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field


class InvalidRadioMessage(ValueError):
    """An outbound message built with a missing or wrong field (``.field`` names it)."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field


class InvalidRankingInput(ValueError):
    """The candidates or options given to :func:`rank_units` are unusable.

    A time is naive, a travel time or distance is negative, a unit is given twice, or an
    option is out of range.
    """


class InvalidAssignment(ValueError):
    """A radio assignment with a bad period (``.field`` names the field at fault)."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field


class InvalidCatalog(ValueError):
    """A GB/T 28181 catalogue that cannot be read.

    Not XML, cut off, with a DTD or entity, in an unknown encoding, too large, or without
    a Catalog response.

    Attributes
    ----------
    field : str
        ``"file"``: the file is at fault, not one of its items.
    """

    field = "file"


class InvalidTour(ValueError):
    """A tour, its schedule or one of its stops cannot be used.

    Attributes
    ----------
    field : str
        Path of the field at fault as the API names it, e.g. ``"layout"``,
        ``"schedule.windows.1.start"``, ``"cameras.3.camera_id"``.
    """

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem
