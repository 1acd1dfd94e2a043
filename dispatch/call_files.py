"""trunk-recorder call files dropped into a folder, as ingest journals them; pure.

trunk-recorder writes each recorded call as an audio file and a JSON file of the same
name (``3105-1702617247_772393750.wav`` and ``.json``; ``.m4a`` when it compresses the
recording). Its upload script can drop both into a folder that ``gridpatrol ingest``
watches (:mod:`app.ingest.sources.calls`). For each call the folder source keeps the
audio in the archive and journals one *call file message* on :data:`CALL_FILE_TOPIC`,
built by :func:`encode_call_file`: the file's name, its text and the audio kept. The
applier reads it back with :func:`read_call_file`.

Decisions
---------
- The message carries the call JSON as text, not the folder's path: what is journaled
  is what is applied, whatever happens to the folder afterwards.
- The audio a call names is the file of the same stem beside its JSON (trunk-recorder's
  own naming; the upload scripts of rdio-scanner and OpenMHz rely on it too), with a
  suffix of :data:`AUDIO_TYPES`.
- A call's identity is trunk-recorder's: its system, talkgroup, start time and
  frequency (:func:`call_identity`); the same call dropped twice, or by two recorders of
  one system, is one call.
- The audio is kept under a name made of that identity (:func:`archive_path`), so a
  service that stopped after keeping the audio and before journaling finds it again.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, Final

from dispatch.errors import RadioFormatError, TerminalMessageError
from dispatch.radio.calls import RadioCall, parse_trunk_recorder_call

CALL_FILE_TOPIC: Final = "gridpatrol/calls/file"
"""The topic a call file message is journaled under (never published on a broker)."""

FORMAT: Final = "gridpatrol.call-file/1"
MAX_CALL_JSON: Final = 64 * 1024
"""Largest call JSON read, in bytes; a larger file is refused as ``too_large``."""

AUDIO_TYPES: Final[Mapping[str, str]] = {".wav": "audio/wav", ".m4a": "audio/mp4",
                                         ".mp3": "audio/mpeg"}
"""Audio suffixes taken beside a call JSON, with the Content-Type each is served as."""

_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-]+")


@dataclass(frozen=True)
class KeptAudio:
    """A call's recording as kept in the archive.

    Attributes
    ----------
    path : str
        POSIX path relative to the archive's audio folder.
    content_type : str
        Its media type (from :data:`AUDIO_TYPES`).
    size : int
        Bytes.
    """

    path: str
    content_type: str
    size: int

    def as_json(self) -> dict[str, Any]:
        """The audio as stored with the call (``{"path", "content_type", "bytes"}``)."""
        return {"path": self.path, "content_type": self.content_type, "bytes": self.size}


@dataclass(frozen=True)
class CallFile:
    """One call file message read.

    Attributes
    ----------
    name : str
        The JSON file's name as dropped.
    call : RadioCall
        The call it records.
    audio : KeptAudio or None
        Its recording, when one was kept.
    """

    name: str
    call: RadioCall
    audio: KeptAudio | None


def encode_call_file(name: str, text: str | None, *, size: int,
                     audio: KeptAudio | None = None, problem: str | None = None) -> bytes:
    """Return the journaled message of one call file.

    Parameters
    ----------
    name : str
        The JSON file's name.
    text : str or None
        Its text; None when it could not be read as text (``problem`` says why).
    size : int, keyword-only
        Its size in bytes.
    audio : KeptAudio or None, keyword-only
        The recording kept for it.
    problem : str or None, keyword-only
        Why ``text`` is missing: ``too_large`` or ``not_utf8``.

    Returns
    -------
    bytes
        UTF-8 JSON ``{"format", "file", "bytes", "text", "problem", "audio"}``.
    """
    return json.dumps({"format": FORMAT, "file": name, "bytes": size, "text": text,
                       "problem": problem, "audio": audio.as_json() if audio else None},
                      ensure_ascii=False, sort_keys=True).encode()


def read_call_file(payload: bytes) -> CallFile:
    """Read a call file message.

    Parameters
    ----------
    payload : bytes
        As made by :func:`encode_call_file`.

    Returns
    -------
    CallFile

    Raises
    ------
    TerminalMessageError
        ``too_large`` or ``not_utf8`` for a file that could not be read as text,
        ``not_json`` for text that is not one JSON object, ``invalid_field`` naming the
        call's field at fault (``srcList[1].src``), or ``invalid_field`` on ``payload``
        for a message that is not a call file message at all.
    """
    try:
        envelope = json.loads(payload)
    except (ValueError, RecursionError):
        raise TerminalMessageError("payload", "not a call file message") from None
    if not isinstance(envelope, dict) or envelope.get("format") != FORMAT:
        raise TerminalMessageError("payload", "not a call file message")
    name = str(envelope.get("file") or "")
    text = envelope.get("text")
    if not isinstance(text, str):
        problem = str(envelope.get("problem") or "not_utf8")
        why = {"too_large": f"larger than {MAX_CALL_JSON} bytes"}.get(problem, "not UTF-8")
        raise TerminalMessageError("file", f"{name}: {why}", reason=problem)
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise TerminalMessageError("file", f"{name}: not JSON", reason="not_json") from None
    if not isinstance(data, dict):
        raise TerminalMessageError("file", f"{name}: expected a JSON object",
                                   reason="not_json")
    try:
        call = parse_trunk_recorder_call(data)
    except RadioFormatError as exc:
        raise TerminalMessageError(exc.field, str(exc)) from None
    return CallFile(name, call, _audio(envelope.get("audio")))


def _audio(value: object) -> KeptAudio | None:
    if not isinstance(value, dict):
        return None
    path, kind, size = value.get("path"), value.get("content_type"), value.get("bytes")
    if not isinstance(path, str) or not isinstance(kind, str) or not isinstance(size, int):
        raise TerminalMessageError("audio", "expected {path, content_type, bytes}")
    return KeptAudio(path, kind, size)


def call_identity(call: RadioCall) -> str:
    """Return what makes a call one call: system, talkgroup, start and frequency.

    Parameters
    ----------
    call : RadioCall

    Returns
    -------
    str
        ``"<system>/<talkgroup>/<start epoch s>/<frequency Hz>"``.
    """
    return f"{call.system}/{call.talkgroup}/{call.start.timestamp():.3f}/{call.frequency_hz}"


def archive_path(call: RadioCall, suffix: str) -> PurePosixPath:
    """Return where a call's files are kept, relative to the archive's audio folder.

    Parameters
    ----------
    call : RadioCall
    suffix : str
        ``".wav"``, ``".m4a"``, ``".json"`` …

    Returns
    -------
    PurePosixPath
        ``<system>/<YYYY>/<MM>/<DD>/<talkgroup>-<start>_<frequency><suffix>`` (UTC date;
        the system's name with anything but letters, digits, ``-``, ``_`` and ``.``
        replaced, ``calls`` when it has none).
    """
    system = _UNSAFE.sub("_", call.system).strip("._")[:32] or "calls"
    start = call.start
    name = f"{call.talkgroup}-{int(start.timestamp())}_{call.frequency_hz}{suffix.lower()}"
    return PurePosixPath(system, f"{start:%Y}", f"{start:%m}", f"{start:%d}", name)


def audio_type(suffix: str) -> str | None:
    """Return the media type of an audio suffix (any case), None if not audio."""
    return AUDIO_TYPES.get(suffix.lower())
