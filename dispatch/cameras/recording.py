"""Recording URL templates: where a camera's recorder plays back a stretch of time.

A camera may carry a template with ``{start}`` and ``{end}`` placeholders; an evidence
plan fills them with its window so one click opens the recording of those minutes.

Placeholders (each may appear once or more; both are required):

=================== ======================== ==============================================
placeholder         filled as                for
=================== ======================== ==============================================
``{start}``         ``2025-03-01T21:14:00Z`` ISO 8601 in UTC (the default; ONVIF replay
                                             clients, web players)
``{start:hikvision}`` ``20250301T211400Z``   Hikvision RTSP playback (ISAPI): UTC, basic
                                             ISO form
``{start:dahua}``   ``2025_03_01_22_14_00``  Dahua RTSP playback: the recorder's local time
``{start:local}``   ``2025-03-01T22:14:00``  ISO 8601 in the recorder's local time
``{start:unix}``    ``1740863640``           seconds since 1970 (UTC)
``{start:%Y%m%d%H%M%S}`` ``20250301221400``  any ``strftime`` pattern, local time
=================== ======================== ==============================================

(``{end…}`` alike.) The recorder's local time is the jurisdiction's time zone
(``GRIDPATROL_TIMEZONE``), passed in by the caller.

Common forms::

    Hikvision  rtsp://nvr.example:554/Streaming/tracks/101?starttime={start:hikvision}&endtime={end:hikvision}
    Dahua      rtsp://nvr.example:554/cam/playback?channel=1&subtype=0&starttime={start:dahua}&endtime={end:dahua}
    Uniview    rtsp://nvr.example:554/c1/b{start:unix}/e{end:unix}/replay/
    Web NVR    https://vms.example/playback?camera=17&from={start}&to={end}

A template is a URL with the scheme ``rtsp``, ``rtsps``, ``http`` or ``https`` and a
host, without spaces or control characters, at most :data:`MAX_TEMPLATE_LENGTH`
characters. Braces are only allowed in the placeholders. Credentials in it are kept as
given; the server never opens the URL itself (the operator's player does), so it is not
fenced like a stream URL.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

MAX_TEMPLATE_LENGTH: Final = 2000
"""Longest template accepted, in characters."""
NAMED_FORMATS: Final = ("iso", "hikvision", "dahua", "local", "unix")
"""The named forms a placeholder may take (``{start:NAME}``)."""

_PLACEHOLDER = re.compile(r"\{(start|end)(?::([^{}]*))?\}")
_URL = re.compile(r"(?i)(rtsps?|https?)://(?:[^/?#@\s]*@)?[^/?#:\s\[\]]+[^\s]*")
_BAD_CHARS = re.compile(r"[\s\x00-\x1f\x7f]")


class InvalidRecordingTemplate(ValueError):
    """A recording URL template that cannot be filled (see the module notes)."""

    field = "recording_url"


def check_recording_template(template: str) -> str:
    """Check a recording URL template; return it unchanged.

    Parameters
    ----------
    template : str
        The template, e.g. ``rtsp://nvr/x?starttime={start:hikvision}&endtime={end:hikvision}``.

    Returns
    -------
    str
        The template.

    Raises
    ------
    InvalidRecordingTemplate
        No ``{start}`` or ``{end}``, an unknown placeholder or form, a stray brace, a
        scheme other than rtsp(s)/http(s), a missing host, spaces or control characters.
    """
    if len(template) > MAX_TEMPLATE_LENGTH:
        raise InvalidRecordingTemplate(f"is longer than {MAX_TEMPLATE_LENGTH} characters")
    if _BAD_CHARS.search(template):
        raise InvalidRecordingTemplate("contains a space or control character")
    found = {name for name, _ in _PLACEHOLDER.findall(template)}
    if found != {"start", "end"}:
        raise InvalidRecordingTemplate("needs both {start} and {end} placeholders")
    for _, form in _PLACEHOLDER.findall(template):
        if form and form not in NAMED_FORMATS and not form.startswith("%"):
            raise InvalidRecordingTemplate(
                f"unknown time form {form!r}; use {', '.join(NAMED_FORMATS)} or a "
                "strftime pattern starting with %")
    if "{" in _PLACEHOLDER.sub("", template) or "}" in _PLACEHOLDER.sub("", template):
        raise InvalidRecordingTemplate("has a brace outside the {start} and {end} "
                                       "placeholders")
    if _URL.fullmatch(_PLACEHOLDER.sub("0", template)) is None:
        raise InvalidRecordingTemplate("must be an rtsp, rtsps, http or https URL with a "
                                       "host")
    return template


def fill_recording_template(template: str, *, start: datetime, end: datetime,
                            local_zone: str = "UTC") -> str:
    """The recording URL for a window.

    Parameters
    ----------
    template : str
        A template that :func:`check_recording_template` accepts.
    start, end : datetime
        The window, timezone-aware.
    local_zone : str, optional
        The recorder's IANA time zone, for the local forms.

    Returns
    -------
    str
        The URL with every placeholder filled (seconds are truncated at the start and
        rounded up at the end, so the window is never shortened).

    Raises
    ------
    InvalidRecordingTemplate
        The template is not acceptable, or a time is naive.
    """
    check_recording_template(template)
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidRecordingTemplate("window times must carry a time zone")
    zone = ZoneInfo(local_zone)
    start = start.replace(microsecond=0)
    if end.microsecond:
        end = end.replace(microsecond=0) + timedelta(seconds=1)

    def fill(match: re.Match[str]) -> str:
        moment = start if match.group(1) == "start" else end
        return _format(moment, match.group(2) or "iso", zone)

    return _PLACEHOLDER.sub(fill, template)


def _format(moment: datetime, form: str, zone: ZoneInfo) -> str:
    utc, local = moment.astimezone(UTC), moment.astimezone(zone)
    if form == "iso":
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if form == "hikvision":
        return utc.strftime("%Y%m%dT%H%M%SZ")
    if form == "dahua":
        return local.strftime("%Y_%m_%d_%H_%M_%S")
    if form == "local":
        return local.strftime("%Y-%m-%dT%H:%M:%S")
    if form == "unix":
        return str(int(utc.timestamp()))
    return local.strftime(form)
