"""Stored messages worded in the reader's language.

A message written where there is no reader — a job's progress and outcome in the worker,
why the solver left a stop out — is a :class:`runtime.notes.Note`: its English text is
stored where text always was (``jobs.message``, an unserved stop's ``message``: the API's
``message`` stays English for scripts), and its template and arguments beside it as JSON
(``jobs.message_note``, the stop's ``note``). A page, or the API's ``message_localised``,
words it again here in the reader's language: the template through the catalogue, each
argument that is a note likewise, numbers with thousands separators, data as it is. A
message without a note (written before notes, or an error's text) is looked up in the
catalogue as it is, and shown in English when it is not there.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask_babel import force_locale, gettext

from runtime.notes import Note, english

logger = logging.getLogger(__name__)


def note_text(note: Any, fallback: str = "") -> str:
    """``note`` (the JSON of a :class:`Note`) in the user's language; ``fallback`` (the
    stored English) looked up in the catalogue when there is no note, or as it is when the
    note cannot be worded (a translation naming another placeholder)."""
    if not isinstance(note, Mapping):
        return gettext(fallback) if fallback else ""
    try:
        return _worded(note)
    except (KeyError, TypeError, ValueError):
        logger.warning("a note could not be worded: %.200r", note)
        return fallback


def _worded(note: Mapping[str, Any]) -> str:
    text = note["text"]
    if not isinstance(text, str):
        raise TypeError("a note's text is not a string")
    if not text:  # gettext("") is the catalogue's header
        return ""
    args = note.get("args") or {}
    values = {name: _worded(value) if isinstance(value, Mapping) else english(value)
              for name, value in args.items()}
    return gettext(text) % values  # type: ignore[no-any-return]


def label_note(table: str, code: str) -> Note | str:
    """The English name of a code of an :mod:`app.labels` table as a note (its message id),
    so that a message naming it is worded in the reader's language; the code itself when
    the table has no name for it."""
    from app.labels import TABLES

    name = TABLES.get(table, {}).get(code)
    if name is None:
        return code
    with force_locale("en"):
        text = str(name)
    return text if "%" in text else Note(text)  # a message id holds no lone %


def init_app(app: Flask) -> None:
    app.jinja_env.globals["note_text"] = note_text
